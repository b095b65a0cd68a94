// swift-tools-version: 6.1
import PackageDescription

// One settings list for every target: Swift 6 language mode is the package default;
// these upcoming features keep imports and existentials explicit across module boundaries.
let tacitSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// One folder under Protocols/: a target of its own and a test target from its Tests/ folder.
/// Adding a protocol is one line in `engineFolders` or `jobFolders` (and one registration
/// line in Protocols/Standard/StandardProtocols.swift when it ships).
struct ProtocolFolder {
    let folder: String
    let target: String
    /// Registered in the standard registries (templates are not).
    var shipped = true
}

let engineFolders: [ProtocolFolder] = [
    ProtocolFolder(folder: "Additive", target: "TacitAdditive"),
    ProtocolFolder(folder: "Shamir", target: "TacitShamir"),
    ProtocolFolder(folder: "Replicated", target: "TacitReplicated"),
    ProtocolFolder(folder: "_Template", target: "TacitEngineTemplate", shipped: false),
]

let jobFolders: [ProtocolFolder] = [
    ProtocolFolder(folder: "Statistics", target: "TacitStatistics"),
    ProtocolFolder(folder: "PaillierAggregation", target: "TacitPaillierAggregation"),
    ProtocolFolder(folder: "MeanVariance", target: "TacitMeanVariance"),
    ProtocolFolder(folder: "Millionaires", target: "TacitMillionaires"),
    ProtocolFolder(folder: "PSI", target: "TacitPSI"),
    ProtocolFolder(folder: "Claims", target: "TacitClaims"),
    ProtocolFolder(folder: "_Template", target: "TacitJobTemplate", shipped: false),
]

/// Engines see TacitMPC and below; job protocols TacitJob and below (engines only through the
/// registry). Neither sees the ledger or the node.
let engineLayer: [Target.Dependency] = ["TacitMPC", "TacitCrypto", "TacitMath", "TacitNet"]
let jobLayer: [Target.Dependency] = ["TacitJob", "TacitBytes"] + engineLayer + [.product(name: "Logging", package: "swift-log")]

let protocolTargets: [Target] = engineFolders.flatMap { f in [
    Target.target(
        name: f.target, dependencies: engineLayer, path: "Protocols/Engines/\(f.folder)",
        exclude: ["README.md", "Tests"], swiftSettings: tacitSettings),
    Target.testTarget(
        name: f.target + "Tests", dependencies: [.target(name: f.target), "TacitEngineConformance"] + engineLayer,
        path: "Protocols/Engines/\(f.folder)/Tests", swiftSettings: tacitSettings),
] } + jobFolders.flatMap { f in [
    Target.target(
        name: f.target, dependencies: jobLayer, path: "Protocols/Jobs/\(f.folder)",
        exclude: ["README.md", "Tests"], swiftSettings: tacitSettings),
    Target.testTarget(
        name: f.target + "Tests", dependencies: [.target(name: f.target), "TacitJobHarness", "TacitProtocols", "TacitTestSupport"] + jobLayer,
        path: "Protocols/Jobs/\(f.folder)/Tests", swiftSettings: tacitSettings),
] }

let package = Package(
    name: "Tacit",
    // macOS 15: `Mutex` (Synchronization), which TacitNet uses for its cross-thread state.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TacitMath", targets: ["TacitMath"]),
        .library(name: "TacitCrypto", targets: ["TacitCrypto"]),
        .library(name: "TacitNet", targets: ["TacitNet"]),
        .library(name: "TacitMPC", targets: ["TacitMPC"]),
        .library(name: "TacitKeygen", targets: ["TacitKeygen"]),
        .library(name: "TacitJob", targets: ["TacitJob"]),
        .library(name: "TacitJobHarness", targets: ["TacitJobHarness"]),
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
        // The web console's HTTP server (and TLS when asked). swift-configuration support is
        // not used: the console takes its settings from the command line and node.yaml.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: ["FullFoundation"]),
        // Already Hummingbird's: named for the console's TLS configuration and bound channel.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: protocolTargets + [
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
        // ristretto255 for the ECDH PSI path (libzmq's CURVE already links libsodium).
        .systemLibrary(
            name: "CSodium",
            path: "Sources/CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),

        // Bytes: the length-prefixed big-endian codec, SHA-256 and hex that every layer from
        // TacitCrypto and TacitNet up shares. Only libcrypto below it.
        .target(
            name: "TacitBytes",
            dependencies: ["COpenSSL"],
            swiftSettings: tacitSettings
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
            dependencies: ["TacitMath", "TacitBytes", "COpenSSL", "CSodium"],
            swiftSettings: tacitSettings
        ),

        // Transport: the only module that imports libzmq.
        .target(
            name: "TacitNet",
            dependencies: [
                "CZeroMQ",
                "TacitBytes",
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

        // A consortium member gone bad, for the hostile-member node test: joins the mesh with a
        // member's key, runs no node, and sends malformed, oversized and wrong messages.
        .executableTarget(
            name: "tacit-hostile-peer",
            dependencies: [
                "TacitNet", "TacitJob", "TacitLedger", "TacitBytes",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/TacitHostilePeer",
            swiftSettings: tacitSettings
        ),

        // MPC runtime: the protocol plugin API, registry, job context, preprocessing sources.
        .target(
            name: "TacitMPC",
            dependencies: ["TacitMath", "TacitCrypto", "TacitNet"],
            swiftSettings: tacitSettings
        ),
        // Dealer-free threshold Paillier key generation (Boneh–Franklin modulus, Nishide–Sakurai
        // shares) as a ceremony over an MPCContext.
        .target(
            name: "TacitKeygen",
            dependencies: ["TacitMPC", "TacitCrypto", "TacitMath", "TacitNet", "TacitBytes"],
            exclude: ["README.md"],
            swiftSettings: tacitSettings
        ),
        // The job layer: the job-protocol API (context, outputs, result digests, registry).
        .target(
            name: "TacitJob",
            dependencies: [
                "TacitMPC", "TacitCrypto", "TacitMath", "TacitNet", "TacitBytes",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: tacitSettings
        ),
        // Runs any job protocol with N parties in one process over InMemoryMesh (tests,
        // `tacit simulate`), counting bytes and rounds.
        .target(
            name: "TacitJobHarness",
            dependencies: ["TacitJob", "TacitMPC", "TacitNet", "TacitBytes", .product(name: "Logging", package: "swift-log")],
            swiftSettings: tacitSettings
        ),
        // The engine conformance suite as a library: every registered engine against plaintext.
        .target(
            name: "TacitEngineConformance",
            dependencies: ["TacitMPC", "TacitNet", "TacitTestSupport"],
            swiftSettings: tacitSettings
        ),
        // The registries of what Tacit ships (`EngineRegistry.standard()`,
        // `JobProtocolRegistry.standard()`): one registration line per protocol.
        .target(
            name: "TacitProtocols",
            dependencies: ["TacitMPC", "TacitJob"] + (engineFolders + jobFolders).filter(\.shipped).map { .target(name: $0.target) },
            path: "Protocols/Standard",
            swiftSettings: tacitSettings
        ),

        // One MPC party as a process: the multi-process MPC tests and `make bench-mpc` run it.
        .executableTarget(
            name: "tacit-mpc-peer",
            dependencies: ["TacitMPC", "TacitProtocols", "TacitAdditive", "TacitReplicated", "TacitMillionaires", "TacitNet"],
            path: "Sources/TacitMPCPeer",
            swiftSettings: tacitSettings
        ),

        // Party node: configuration, job specs, datasets, commitments, the job lifecycle,
        // the executor and the local control socket.
        .target(
            name: "TacitNode",
            dependencies: [
                "TacitBytes",
                "TacitMath",
                "TacitCrypto",
                "TacitNet",
                "TacitLedger",
                "TacitMPC",
                "TacitJob",
                "TacitJobHarness",
                "TacitProtocols",
                "TacitMillionaires",
                "TacitPSI",
                "TacitClaims",
                "TacitKeygen",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: tacitSettings
        ),

        // Permissioned audit ledger: identities, transactions, blocks, Tendermint consensus,
        // SQLite replica, verifier.
        .target(
            name: "TacitLedger",
            dependencies: [
                "TacitBytes",
                "TacitNet",
                // Ed25519 verification only (libsodium's verifier); signing is swift-crypto's.
                "TacitCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: tacitSettings
        ),

        // The web console for operators and auditors: pages over the node's control socket and
        // its verified ledger replica, served beside the node (`tacit console`).
        .target(
            name: "TacitConsole",
            dependencies: [
                "TacitNode", "TacitBytes", "TacitJob", "TacitNet", "TacitMath",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: tacitSettings
        ),

        // Command line.
        .executableTarget(
            name: "tacit",
            dependencies: [
                "TacitNode",
                "TacitConsole",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: tacitSettings
        ),

        .testTarget(
            name: "TacitMathTests",
            dependencies: ["TacitMath", "TacitTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitCryptoTests",
            dependencies: ["TacitCrypto", "TacitMath"],
            exclude: ["Fixtures"],
            swiftSettings: tacitSettings
        ),
        // Shared by the test suites: child-process helpers, the free-port finder, the seeded
        // test generator.
        .target(
            name: "TacitTestSupport",
            dependencies: ["TacitNet", "TacitBytes"],
            path: "Tests/TacitTestSupport",
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitNetTests",
            // The peer helper is a build dependency so `swift build --build-tests` puts it
            // in the bin directory the multi-process tests launch it from.
            dependencies: ["TacitNet", "TacitBytes", "TacitTestSupport", "tacit-net-peer"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitMPCTests",
            dependencies: [
                "TacitMPC", "TacitProtocols", "TacitAdditive", "TacitShamir", "TacitEngineTemplate", "TacitEngineConformance",
                "TacitMath", "TacitNet", "TacitBytes", "TacitTestSupport", "tacit-mpc-peer",
            ],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitKeygenTests",
            dependencies: ["TacitKeygen", "TacitMPC", "TacitCrypto", "TacitMath", "TacitNet", "TacitTestSupport"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitJobTests",
            dependencies: ["TacitJob", "TacitJobHarness", "TacitProtocols", "TacitMPC", "TacitNet", .product(name: "Logging", package: "swift-log")],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitNodeTests",
            // `tacit` and `tacit-hostile-peer` are build dependencies so the end-to-end tests find
            // the binaries they start (node processes, a hostile member) in the bin directory.
            dependencies: ["TacitNode", "TacitJob", "TacitBytes", "TacitLedger", "TacitNet", "TacitCrypto", "TacitMath", "TacitTestSupport", "TacitClaims", "tacit",
                           "tacit-hostile-peer"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitConsoleTests",
            dependencies: ["TacitConsole", "TacitNode", "TacitJob", "TacitNet"],
            swiftSettings: tacitSettings
        ),
        .testTarget(
            name: "TacitLedgerTests",
            // `tacit` is a build dependency: the multi-process tests launch `tacit ledger serve`.
            dependencies: [
                "TacitLedger", "TacitBytes", "TacitNet", "TacitTestSupport", "tacit",
                // swift-crypto's verifier: the reference the libsodium one is tested against.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: tacitSettings
        ),
    ]
)
