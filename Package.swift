// swift-tools-version: 6.1
import PackageDescription

// One settings list for every target: Swift 6 language mode is the package default;
// these upcoming features keep imports and existentials explicit across module boundaries.
let tacitSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Tacit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TacitMath", targets: ["TacitMath"]),
        .library(name: "TacitCrypto", targets: ["TacitCrypto"]),
        .executable(name: "tacit", targets: ["tacit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries: module maps and shims only.
        .systemLibrary(
            name: "CGMP",
            path: "Sources/CGMP",
            pkgConfig: "gmp",
            providers: [.apt(["libgmp-dev"]), .brew(["gmp"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .systemLibrary(
            name: "CZeroMQ",
            path: "Sources/CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),

        // Arithmetic.
        .target(
            name: "TacitMath",
            dependencies: ["CGMP", "COpenSSL"],
            swiftSettings: tacitSettings
        ),

        // Cryptography: Paillier (+ threshold).
        .target(
            name: "TacitCrypto",
            dependencies: ["TacitMath", "COpenSSL"],
            swiftSettings: tacitSettings
        ),

        // Command line.
        .executableTarget(
            name: "tacit",
            dependencies: [
                "TacitMath",
                "TacitCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: tacitSettings
        ),

        .testTarget(
            name: "TacitMathTests",
            dependencies: ["TacitMath"],
            exclude: ["Fixtures"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitCryptoTests",
            dependencies: ["TacitCrypto", "TacitMath"],
            exclude: ["Fixtures"],
            swiftSettings: tacitSettings
        ),
    ]
)
