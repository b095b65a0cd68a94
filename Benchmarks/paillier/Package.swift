// swift-tools-version: 6.1
// The Paillier benchmark (issue 3), as its own small package so the main build does not pay
// for it. Run through run.sh, which also runs the C floor and python-paillier.
import PackageDescription

let package = Package(
    name: "PaillierBench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Tacit", path: "../..")],
    targets: [
        .executableTarget(
            name: "PaillierBench",
            dependencies: [.product(name: "TacitCrypto", package: "Tacit"), .product(name: "TacitMath", package: "Tacit")],
            path: "Sources/PaillierBench"
        ),
    ]
)
