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
    // macOS 15: `Mutex` (Synchronization), which TacitNet uses for its cross-thread state.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TacitMath", targets: ["TacitMath"]),
        .library(name: "TacitCrypto", targets: ["TacitCrypto"]),
        .library(name: "TacitNet", targets: ["TacitNet"]),
        .library(name: "TacitMPC", targets: ["TacitMPC"]),
        .library(name: "TacitProtocols", targets: ["TacitProtocols"]),
        .library(name: "TacitNode", targets: ["TacitNode"]),
        .library(name: "TacitLedger", targets: ["TacitLedger"]),
        .executable(name: "tacit", targets: ["tacit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        // Ledger: Ed25519/X25519/ChaCha20-Poly1305/SHA-256, X.509 for member identities, SQLite.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
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

        // Transport: the only module that imports libzmq.
        .target(
            name: "TacitNet",
            dependencies: [
                "CZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: tacitSettings
        ),
        // Helper the multi-process transport tests launch, and the transport benchmark's
        // Swift side. Not installed; it lives in the bin directory beside the tests.
        .executableTarget(
            name: "tacit-net-peer",
            dependencies: [
                "TacitNet",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/TacitNetPeer",
            swiftSettings: tacitSettings
        ),

        // MPC runtime: the protocol plugin API, registry, job context, preprocessing sources.
        .target(
            name: "TacitMPC",
            dependencies: ["TacitMath", "TacitCrypto", "TacitNet"],
            swiftSettings: tacitSettings
        ),
        // Protocol families, one target each, depending on TacitMPC and below only.
        .target(
            name: "TacitAdditive",
            dependencies: ["TacitMPC", "TacitMath", "TacitNet"],
            path: "Protocols/Additive",
            exclude: ["README.md"],
            swiftSettings: tacitSettings
        ),
        .target(
            name: "TacitShamir",
            dependencies: ["TacitMPC", "TacitMath", "TacitNet"],
            path: "Protocols/Shamir",
            exclude: ["README.md"],
            swiftSettings: tacitSettings
        ),
        .target(
            name: "TacitProtocolTemplate",
            dependencies: ["TacitMPC", "TacitNet"],
            path: "Protocols/_Template",
            exclude: ["README.md"],
            swiftSettings: tacitSettings
        ),
        // The registry of the protocols Tacit ships (`ProtocolRegistry.standard()`).
        .target(
            name: "TacitProtocols",
            dependencies: ["TacitMPC", "TacitAdditive", "TacitShamir"],
            path: "Protocols/Standard",
            swiftSettings: tacitSettings
        ),

        // One MPC party as a process: the multi-process MPC tests and `make bench-mpc` run it.
        .executableTarget(
            name: "tacit-mpc-peer",
            dependencies: ["TacitMPC", "TacitProtocols", "TacitAdditive", "TacitNet"],
            path: "Sources/TacitMPCPeer",
            swiftSettings: tacitSettings
        ),

        // Party node: configuration, job specs, datasets, commitments, the job lifecycle,
        // the executor and the local control socket.
        .target(
            name: "TacitNode",
            dependencies: [
                "TacitMath",
                "TacitCrypto",
                "TacitNet",
                "TacitLedger",
                "TacitMPC",
                "TacitProtocols",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: tacitSettings
        ),

        // Permissioned audit ledger: identities, transactions, blocks, Tendermint consensus,
        // SQLite replica, verifier.
        .target(
            name: "TacitLedger",
            dependencies: [
                "TacitNet",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: tacitSettings
        ),

        // Command line.
        .executableTarget(
            name: "tacit",
            dependencies: [
                "TacitNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
        // Child-process helpers shared by the multi-process test suites.
        .target(
            name: "TacitTestSupport",
            dependencies: ["TacitNet"],
            path: "Tests/TacitTestSupport",
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitNetTests",
            // The peer helper is a build dependency so `swift build --build-tests` puts it
            // in the bin directory the multi-process tests launch it from.
            dependencies: ["TacitNet", "TacitTestSupport", "tacit-net-peer"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitMPCTests",
            dependencies: [
                "TacitMPC", "TacitProtocols", "TacitAdditive", "TacitShamir", "TacitProtocolTemplate",
                "TacitMath", "TacitNet", "TacitTestSupport", "tacit-mpc-peer",
            ],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitNodeTests",
            // `tacit` is a build dependency so the end-to-end tests find the binary they start
            // as node processes in the bin directory beside them.
            dependencies: ["TacitNode", "TacitLedger", "TacitNet", "TacitCrypto", "TacitMath", "tacit"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitLedgerTests",
            // `tacit` is a build dependency: the multi-process tests launch `tacit ledger serve`.
            dependencies: ["TacitLedger", "TacitNet", "tacit"],
            swiftSettings: tacitSettings
        ),
    ]
)
