// swift-tools-version: 6.1
// Tacit's benchmarks, as their own package so the main build does not pay for them. Each
// `make bench-NAME` runs a script beside its sources that also runs the peer tool (C on GMP,
// python-paillier, pyzmq) in the same run and prints ratios.
import PackageDescription

let package = Package(
    name: "TacitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Tacit", path: "..")],
    targets: [
        .executableTarget(
            name: "BigIntBench",
            dependencies: [.product(name: "TacitMath", package: "Tacit")],
            path: "bigint/Sources/BigIntBench"
        ),
        .executableTarget(
            name: "PaillierBench",
            dependencies: [
                .product(name: "TacitCrypto", package: "Tacit"),
                .product(name: "TacitMath", package: "Tacit"),
            ],
            path: "paillier/Sources/PaillierBench"
        ),
    ]
)
