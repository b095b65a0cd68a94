import Foundation
@testable import TacitLedger

/// A fixed three-member test consortium (a, b, c) whose genesis and signing keys are checked
/// in under `Fuzz/Fixtures/consortium`: seeds signed by these keys stay valid across runs, so
/// the fuzzer starts from messages that pass signature checks and reaches the state checks
/// behind them. Test keys only; they sign nothing outside the fuzz targets.
public enum TestConsortium {
    public static let names = ["a", "b", "c"]

    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)  // Fuzz/Sources/FuzzLedgerSupport/…
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/consortium").path
    }()

    public static let genesis: Genesis = {
        do { return try LedgerFiles.genesis(dir: directory) } catch {
            fatalError("fuzz fixture: no test consortium at \(directory) (\(error)); run `make fuzz-fixtures` once and commit it")
        }
    }()

    public static let identities: [String: SigningIdentity] = Dictionary(
        uniqueKeysWithValues: names.map { ($0, try! LedgerFiles.signingKey(dir: directory, name: $0)) })

    public static let state: LedgerState = try! LedgerState(genesis: genesis)
    public static var chainID: Hash256 { genesis.hash }
    /// Block and transaction times just after the genesis, inside the certificates' validity.
    public static var time: UInt64 { genesis.timestamp + 1000 }

    /// With `TACIT_FUZZ_FIXTURES=create` in the environment (`make fuzz-fixtures`): writes
    /// the fixture and exits. Called first from the ledger targets' `LLVMFuzzerInitialize`.
    public static func createIfAsked() {
        guard ProcessInfo.processInfo.environment["TACIT_FUZZ_FIXTURES"] == "create" else { return }
        do {
            try create()
            print("wrote the test consortium to \(directory)")
            exit(0)
        } catch {
            print("writing the test consortium failed: \(error)")
            exit(1)
        }
    }

    /// Writes the fixture (once; the files are then committed).
    static func create() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try LedgerFiles.createTestnet(
            dir: directory, members: names.enumerated().map { ($1, "tcp://127.0.0.1:\(7101 + $0)") }, chainName: "tacit-fuzz")
        // Only what the targets read is kept (and committed): the CA key and transport keys are not.
        for f in try FileManager.default.contentsOfDirectory(atPath: directory) where f != "genesis.bin" && !f.hasSuffix(".signing.key") {
            try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(f))
        }
    }

    /// The block at height 1 holding `transactions`, proposed by a.
    public static func block(_ transactions: [[UInt8]], proposer: String = "a") -> Block {
        Block.make(
            chainID: chainID, height: 1, previousHash: state.lastHash, transactions: transactions, timestamp: time, proposer: proposer)
    }

    public static func transaction(_ author: String, nonce: UInt64, _ body: TransactionBody, endorsers: [String] = []) -> Transaction {
        Transaction(
            chainID: chainID, author: identities[author]!, nonce: nonce, timestamp: time, body: body,
            endorsers: endorsers.map { identities[$0]! })
    }

    /// One of each kind of transaction, valid in order at height 1 (a job proposed, approved,
    /// committed, recorded; a rejection and failure of others; governance changes).
    public static func sampleTransactions() -> [Transaction] {
        let spec = Array(#"{"id":"job-1","outputs":[{"name":"total","recipients":["a"]}],"parties":[{"name":"a","roles":["input","compute"]},{"name":"b","roles":["compute"]}],"protocol":"statistics"}"#.utf8)
        let header = JobHeader(
            jobID: "job-1", protocolName: "statistics/additive",
            parties: [.init(name: "a", role: "input,compute", inputFields: ["claims/amount"]), .init(name: "b", role: "compute", inputFields: [])])
        let c = Hash256.of(Array("commitment".utf8))
        let result = Array(#"[{"name":"total","value":{"kind":"number","value":"12.50"}}]"#.utf8)
        return [
            transaction("a", nonce: 1, .jobProposed(header, spec: spec)),
            transaction("a", nonce: 2, .jobApproved(jobID: "job-1", fields: ["claims/amount"])),
            transaction("a", nonce: 3, .inputCommitted(jobID: "job-1", commitment: c)),
            transaction("a", nonce: 4, .resultRecorded(jobID: "job-1", resultDigest: Hash256.of(result), result: result)),
            transaction("b", nonce: 1, .resultRecorded(jobID: "job-1", resultDigest: Hash256.of(result), result: result)),
            transaction("b", nonce: 2, .jobProposed(JobHeader(jobID: "job-2", protocolName: "statistics/additive", parties: header.parties, approval: .allParties), spec: spec)),
            transaction("a", nonce: 5, .jobRejected(jobID: "job-2", reason: "not this quarter")),
            transaction("b", nonce: 3, .jobFailed(jobID: "job-2", reason: "rejected")),
            transaction("c", nonce: 1, .policyChanged(Policies(changeThreshold: 2, jobProposerRole: "member", maxBlockTransactions: 100)), endorsers: ["a", "b"]),
            transaction("c", nonce: 2, .memberRemoved(name: "c"), endorsers: ["a", "b"]),
            transaction("a", nonce: 6, .memberAdded(genesis.members[2]), endorsers: ["b"]),
        ]
    }
}
