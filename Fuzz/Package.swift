// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every decoder that reads bytes from outside the node (issue 11):
// `make fuzz` builds them with `-sanitize=fuzzer,address` and runs each. A package of its own
// so the main build and `make test` never pay for the sanitized build.
//
// Each target is one file defining `LLVMFuzzerTestOneInput` (libFuzzer supplies `main`), so
// it is compiled with `-parse-as-library`. Internal decoders are reached with
// `@testable import`, which the debug build allows.
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .unsafeFlags(["-parse-as-library"]),
]

func tacit(_ product: String) -> Target.Dependency { .product(name: product, package: "Tacit") }

/// (target, what it depends on); the corpus of target `FuzzX` is `Corpus/x` in kebab case.
let fuzzTargets: [(String, [Target.Dependency])] = [
    ("FuzzFrameHeader", [tacit("TacitNet")]),
    ("FuzzPaillierWire", [tacit("TacitCrypto"), tacit("TacitMath")]),
    ("FuzzPaillierJSON", [tacit("TacitCrypto"), tacit("TacitMath")]),
    ("FuzzDGKWire", [tacit("TacitCrypto")]),
    ("FuzzLedgerTransaction", ["FuzzLedgerSupport", tacit("TacitLedger")]),
    ("FuzzLedgerBlock", ["FuzzLedgerSupport", tacit("TacitLedger")]),
    ("FuzzLedgerConsensus", ["FuzzLedgerSupport", tacit("TacitLedger")]),
    ("FuzzLedgerGenesis", ["FuzzLedgerSupport", tacit("TacitLedger")]),
    ("FuzzJobSpecYAML", ["FuzzNodeSupport", tacit("TacitNode"), tacit("TacitJob")]),
    ("FuzzJobSpecLedger", ["FuzzNodeSupport", tacit("TacitNode"), tacit("TacitJob")]),
    ("FuzzNodeConfig", [tacit("TacitNode")]),
    ("FuzzDatasetCSV", [tacit("TacitNode"), tacit("TacitJob")]),
    ("FuzzControlRequest", [tacit("TacitNode")]),
    ("FuzzLedgerExport", [
        "FuzzLedgerSupport", tacit("TacitLedger"), tacit("TacitNode"), .product(name: "GRDB", package: "GRDB.swift"),
    ]),
    ("FuzzMPCMessages", [
        tacit("TacitJob"), tacit("TacitJobHarness"), tacit("TacitProtocols"), tacit("TacitNet"), tacit("TacitCrypto"),
        tacit("TacitMath"), .product(name: "Logging", package: "swift-log"),
    ]),
]

let package = Package(
    name: "TacitFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tacit", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [tacit("TacitCrypto"), tacit("TacitMath")], swiftSettings: settings),
        .target(name: "FuzzLedgerSupport", dependencies: [tacit("TacitLedger")], swiftSettings: settings),
        .target(
            name: "FuzzNodeSupport", dependencies: [tacit("TacitNode"), tacit("TacitJob"), tacit("TacitNet"), tacit("TacitProtocols")],
            swiftSettings: settings),
    ] + fuzzTargets.map { name, deps in
        .executableTarget(name: name, dependencies: ["FuzzSupport"] + deps, swiftSettings: settings)
    }
)
