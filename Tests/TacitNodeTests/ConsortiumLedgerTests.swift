import Foundation
import Logging
import Testing
import TacitLedger
import TacitNet
import TacitJob
import TacitNode
import TacitProtocols

/// `ConsortiumLedger` in one process: three replicas of the real ledger (Tendermint, SQLite)
/// over the in-memory mesh.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ConsortiumLedgerTests {
    static let names = ["hospital-a", "hospital-b", "insurer"]

    final class Net: @unchecked Sendable {
        // @unchecked: built, used and closed by one test task.
        let dir: String
        var ledgers: [String: ConsortiumLedger] = [:]
        /// The mesh the replicas run consensus over; jobs can run over it too.
        let mesh: InMemoryMesh

        /// `encryptionKeys`: each replica opens the fields sealed to its member.
        init(encryptionKeys: Bool = false) async throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-ledger-\(UUID().uuidString.prefix(8))").path
            let genesis = try LedgerFiles.createTestnet(
                dir: dir, members: ConsortiumLedgerTests.names.enumerated().map { ($1, "tcp://127.0.0.1:\(21000 + $0)") })
            mesh = InMemoryMesh(parties: ConsortiumLedgerTests.names.map { PartyID($0) })
            var t = ConsensusTimeouts()
            t.propose = .milliseconds(300)
            t.tick = .milliseconds(100)
            for n in ConsortiumLedgerTests.names {
                let key = encryptionKeys ? try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(dir)/\(n).enc.key")) : nil
                ledgers[n] = try await ConsortiumLedger.start(
                    identity: try LedgerFiles.signingKey(dir: dir, name: n), genesis: genesis, databasePath: "\(dir)/\(n).sqlite",
                    channel: mesh.channel(for: PartyID(n)), encryptionKey: key, timeouts: t, submitTimeout: .seconds(120), logger: Logger(label: "test"))
            }
        }

        func close() async {
            await stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Stops every replica, keeping their files (checkpointed: each file alone is the replica).
        func stop() async {
            for l in ledgers.values { await l.close() }
        }

        /// Waits until every replica holds `count` entries.
        func converge(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                var all = true
                for l in ledgers.values where await l.entries().count < count { all = false }
                if all { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw TestFailure("replicas did not reach \(count) entries")
        }
    }

    static let spec = try! JobSpec.parse(
        """
        id: j1
        protocol: paillier-aggregation
        parties:
          - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: insurer, roles: [compute]}
        parameters: {statistic: sum}
        outputs:
          - {name: total, recipients: [insurer]}
        """, file: nil, context: SpecContext(members: names.map { PartyID($0) }, registry: .standard()))

    @Test func jobTransactionsRoundTripAndTheLedgerEnforcesTheLifecycle() async throws {
        let net = try await Net()
        let a = net.ledgers["hospital-a"]!, b = net.ledgers["hospital-b"]!, i = net.ledgers["insurer"]!
        let commitment = String(repeating: "ab", count: 32)
        let proposed = try await i.submit(.jobProposed(Self.spec))
        #expect(proposed.author == "insurer" && proposed.index == 1)

        // The real ledger refuses an input committed before approval.
        await #expect(throws: NodeError.self) {
            try await a.submit(.inputCommitted(jobID: "j1", dataset: "claims", columns: ["amount"], commitment: commitment))
        }
        try await a.submit(.jobApproved(Approval(jobID: "j1", party: "hospital-a", dataset: "claims", columns: ["amount"])))
        try await b.submit(.jobApproved(Approval(jobID: "j1", party: "hospital-b", dataset: "claims", columns: ["amount"])))
        try await i.submit(.jobApproved(Approval(jobID: "j1", party: "insurer", dataset: nil, columns: [])))
        try await a.submit(.inputCommitted(jobID: "j1", dataset: "claims", columns: ["amount"], commitment: commitment))
        try await b.submit(.inputCommitted(jobID: "j1", dataset: "claims", columns: ["amount"], commitment: commitment))
        let outputs = [RecordedOutput(name: "total", digest: String(repeating: "cd", count: 32), publicValue: nil)]
        try await a.submit(.resultRecorded(jobID: "j1", outputs: outputs))
        try await i.submit(.resultRecorded(jobID: "j1", outputs: outputs))
        // hospital-b disagrees: the ledger refuses its digest and the job fails instead.
        let other = [RecordedOutput(name: "total", digest: String(repeating: "ef", count: 32), publicValue: nil)]
        await #expect(throws: NodeError.self) { try await b.submit(.resultRecorded(jobID: "j1", outputs: other)) }
        try await net.converge(9)

        for l in [a, b, i] {
            let entries = await l.entries()
            #expect(entries.map(\.transaction.kind) == [
                "JobProposed", "JobApproved", "JobApproved", "JobApproved", "InputCommitted", "InputCommitted",
                "ResultRecorded", "ResultRecorded", "JobFailed",
            ])
            #expect(entries[0].transaction == .jobProposed(Self.spec))
            #expect(entries[1].transaction == .jobApproved(Approval(jobID: "j1", party: "hospital-a", dataset: "claims", columns: ["amount"])))
            #expect(entries[4].transaction == .inputCommitted(jobID: "j1", dataset: "claims", columns: ["amount"], commitment: commitment))
            #expect(entries[6].transaction == .resultRecorded(jobID: "j1", outputs: outputs))
            let job = try #require(JobBook(entries: entries).jobs["j1"])
            #expect(job.phase == .failed)
            #expect(job.reason?.contains("hospital-b computed a different result") == true, "\(job.reason ?? "")")
            let v = await l.verify()
            #expect(v.ok, "\(v.problems)")
            #expect(v.entries == 9)
        }
        await net.close()
    }
}
