import Foundation
import Testing
import TacitBytes
import TacitJob
import TacitLedger
import TacitMath
import TacitNet
@testable import TacitNode
import TacitProtocols

/// A sealed output on the real ledger (three `ConsortiumLedger` replicas over the in-memory
/// mesh): large enough to need several sealed fields, committed by consensus, and opened by a
/// reader from another member's replica file the way `tacit ledger open` does.
@Suite("Sealed outputs on the consortium ledger", .serialized, .timeLimit(.minutes(4)))
struct SealedConsortiumLedgerTests {
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
          - {name: total, recipients: [insurer], sealed: true, readers: [hospital-b]}
        """, file: nil, context: SpecContext(members: ConsortiumLedgerTests.names.map { PartyID($0) }, registry: .standard()))

    /// Text that appears in every row of the table and nowhere else.
    static let marker = "PAYOUT-MARKER-7f3a"

    /// Job j1's trail as its parties record it, the insurer sealing `value` beside its
    /// ResultRecorded: (the insurer's entry, the digest all record, the salt).
    static func completeJob(on net: ConsortiumLedgerTests.Net, sealing value: JobValue) async throws -> (LedgerEntry, String, [UInt8]) {
        let a = net.ledgers["hospital-a"]!, b = net.ledgers["hospital-b"]!, i = net.ledgers["insurer"]!
        let commitment = String(repeating: "ab", count: 32)
        try await i.submit(.jobProposed(spec))
        try await a.submit(.jobApproved(Approval(jobID: "j1", party: "hospital-a", dataset: "claims", columns: ["amount"])))
        try await b.submit(.jobApproved(Approval(jobID: "j1", party: "hospital-b", dataset: "claims", columns: ["amount"])))
        try await i.submit(.jobApproved(Approval(jobID: "j1", party: "insurer", dataset: nil, columns: [])))
        try await a.submit(.inputCommitted(jobID: "j1", dataset: "claims", columns: ["amount"], commitment: commitment))
        try await b.submit(.inputCommitted(jobID: "j1", dataset: "claims", columns: ["amount"], commitment: commitment))
        let salt = SecureRandom.bytes(32)
        let digest = ResultDigest.compute(jobID: "j1", output: "total", value: value.canonicalText, salt: salt)
        let outputs = [RecordedOutput(name: "total", digest: digest, publicValue: nil)]
        try await a.submit(.resultRecorded(jobID: "j1", outputs: outputs))
        try await b.submit(.resultRecorded(jobID: "j1", outputs: outputs))
        let sealing = try SealedOutput.fields(
            jobID: "j1", output: spec.outputs[0], result: OutputResult(name: "total", value: value, digest: digest, publicValue: nil, salt: Hex.encode(salt)))
        let entry = try await i.submit(.resultRecorded(jobID: "j1", outputs: outputs), sealing: sealing)
        return (entry, digest, salt)
    }

    @Test("a 20 MB sealed table commits in three fields and opens offline from another member's replica; others and wrong keys are refused")
    func largeSealedTableOpensOffline() async throws {
        let net = try await ConsortiumLedgerTests.Net(encryptionKeys: true)
        defer { try? FileManager.default.removeItem(atPath: net.dir) }
        let a = net.ledgers["hospital-a"]!, b = net.ledgers["hospital-b"]!, i = net.ledgers["insurer"]!
        let filler = String(repeating: "x", count: 1000)
        let value = JobValue.table(try JobTable(columns: ["claim", "payout"], rows: (0..<20_000).map { ["C-\($0)", "\(Self.marker)-\(filler)"] }))
        #expect(value.canonicalText.utf8.count > 20_000_000)
        let (entry, digest, salt) = try await Self.completeJob(on: net, sealing: value)
        #expect(entry.sealed.map(\.name) == ["output/total/1/3", "output/total/2/3", "output/total/3/3"])
        #expect(entry.sealed.allSatisfy { $0.readers == ["hospital-b", "insurer"] })
        try await net.converge(9)
        for l in [a, b, i] {
            #expect(JobBook(entries: await l.entries()).jobs["j1"]?.phase == .completed)
            let v = await l.verify()
            #expect(v.ok, "\(v.problems)")
        }

        // At hospital-b's node: what `tacit job result` reads.
        let online = try await SealedOutput.read(jobID: "j1", output: "total", as: "hospital-b", entries: await b.entries()) {
            try await b.openSealed(entryID: $0, field: $1)
        }
        #expect(online.value == value)
        await expectNodeError(.notApproved) { _ = try await a.openSealed(entryID: entry.id, field: "output/total/1/3") }
        await net.stop()

        // Offline, from hospital-a's replica file, as hospital-b with its key: `tacit ledger open`.
        let replica = try LedgerReplica(path: "\(net.dir)/hospital-a.sqlite")
        let opened = try await replica.openSealedOutput(jobID: "j1", output: "total", member: "hospital-b", keyPath: "\(net.dir)/hospital-b.enc.key")
        #expect(opened.value == value)
        #expect(opened.digest == digest && opened.salt == salt)
        #expect(opened.recordedBy == ["hospital-a", "hospital-b", "insurer"])
        #expect(opened.printed.hasPrefix("claim,payout\nC-0,\(Self.marker)-x"))
        do {
            _ = try await replica.openSealedOutput(jobID: "j1", output: "total", member: "hospital-a", keyPath: "\(net.dir)/hospital-a.enc.key")
            Issue.record("hospital-a read an output not sealed to it")
        } catch let e as NodeError {
            #expect(e.code == .notApproved)
            #expect(e.message == "output 'total' of job j1 is sealed to insurer, hospital-b; member hospital-a is not among them")
        }
        // Another member's key under the reader's name.
        await expectNodeError(.keys) {
            _ = try await replica.openSealedOutput(jobID: "j1", output: "total", member: "hospital-b", keyPath: "\(net.dir)/hospital-a.enc.key")
        }
    }

    @Test("tacit ledger open prints a sealed table as CSV or writes it to a new private file; the export shows the sealed fields' names and recipients, never their contents")
    func commandAndExport() async throws {
        let net = try await ConsortiumLedgerTests.Net()
        defer { try? FileManager.default.removeItem(atPath: net.dir) }
        let value = JobValue.table(try JobTable(columns: ["claim", "payout"], rows: [["C-1", "\(Self.marker) 12.50"], ["C-2", "a, \"quoted\" cell"]]))
        let (_, digest, _) = try await Self.completeJob(on: net, sealing: value)
        try await net.converge(9)
        await net.stop()

        let csv = "claim,payout\nC-1,\(Self.marker) 12.50\nC-2,\"a, \"\"quoted\"\" cell\"\n"
        let args = ["ledger", "open", "--db", "\(net.dir)/hospital-a.sqlite", "--key", "\(net.dir)/hospital-b.enc.key", "--member", "hospital-b", "j1", "total"]
        let printed = try await TacitBinary.run(args)
        #expect(printed.status == 0, "\(printed.err)")
        #expect(printed.out == csv)
        #expect(printed.err.contains("digest \(digest) matches the one recorded by hospital-a, hospital-b, insurer"), "\(printed.err)")
        let out = "\(net.dir)/payouts.csv"
        let written = try await TacitBinary.run(args + ["--out", out])
        #expect(written.status == 0, "\(written.err)")
        #expect(FileManager.default.contents(atPath: out) == Data(csv.utf8))
        #expect((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Never over an existing file; never for a member it is not sealed to.
        #expect(try await TacitBinary.run(args + ["--out", out]).status != 0)
        let refused = try await TacitBinary.run(args.map { $0.replacingOccurrences(of: "hospital-b", with: "hospital-a") })
        #expect(refused.status != 0 && refused.out.isEmpty)
        #expect(refused.err.contains("output 'total' of job j1 is sealed to insurer, hospital-b; member hospital-a is not among them"), "\(refused.err)")

        // The export names the sealed fields and their recipients; their contents never appear.
        let export = try LedgerReplica(path: "\(net.dir)/hospital-a.sqlite").exportJSON()
        #expect(export.range(of: Data(Self.marker.utf8)) == nil)
        #expect(export.range(of: Data(Hex.encode(Array(Self.marker.utf8)).utf8)) == nil)
        let root = try #require(try JSONSerialization.jsonObject(with: export) as? [String: Any])
        let txs = (root["blocks"] as? [[String: Any]] ?? []).flatMap { $0["transactions"] as? [[String: Any]] ?? [] }
        let sealed = txs.compactMap { $0["sealedFields"] as? [[String: Any]] }.filter { !$0.isEmpty }
        #expect(sealed.count == 1)
        #expect(sealed.first?.map { $0["name"] as? String } == ["output/total/1/1"])
        #expect(sealed.first?.first?["recipients"] as? [String] == ["hospital-b", "insurer"])
    }

    @Test("job managers on the consortium ledger run a job with a sealed output; the reader's node reads it, the other's is refused")
    func jobManagersSealAndRead() async throws {
        let net = try await ConsortiumLedgerTests.Net(encryptionKeys: true)
        defer { try? FileManager.default.removeItem(atPath: net.dir) }
        var managers: [String: JobManager] = [:]
        let lists = ["hospital-a": "claim_id\nC-1001\nR-2002\n", "hospital-b": "claim_id\nC-1003\n", "insurer": "claim_id\nC-1001\nC-1002\nC-1003\n"]
        for (n, csv) in lists {
            let d = "\(net.dir)/\(n)-data"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            try csv.write(toFile: "\(d)/claims.csv", atomically: true, encoding: .utf8)
            let ledger = net.ledgers[n]!
            let m = JobManager(
                party: PartyID(n), ledger: ledger, channel: net.mesh.channel(for: PartyID(n)), registry: .standard(), secrets: .none,
                datasets: [DatasetDeclaration(name: "claims", file: "\(d)/claims.csv", columns: [ColumnDeclaration(name: "claim_id", type: .identifier)])],
                members: { await ledger.members() }, dataDirectory: d, stepTimeout: .seconds(60), logger: SealedOutputLifecycleTests.quiet)
            await m.start()
            managers[n] = m
        }
        let spec = """
            id: psi-sealed
            protocol: psi
            parties:
              - {name: insurer, roles: [input], input: {dataset: claims, columns: [claim_id]}}
              - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [claim_id]}}
              - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [claim_id]}}
            parameters: {path: ecdh}
            outputs:
              - {name: result, recipients: [insurer], sealed: true, readers: [hospital-b]}
            """
        _ = try await managers["insurer"]!.submit(specText: spec, file: nil)
        for n in ConsortiumLedgerTests.names {
            // Each replica commits the proposal in its own time.
            let l = net.ledgers[n]!
            for await _ in l.changes() where JobBook(entries: await l.entries()).jobs["psi-sealed"] != nil { break }
            try await managers[n]!.approve("psi-sealed", columns: nil)
        }
        let b = net.ledgers["hospital-b"]!
        for await _ in b.changes() where JobBook(entries: await b.entries()).jobs["psi-sealed"]?.phase.isTerminal == true { break }
        let job = try #require(JobBook(entries: await b.entries()).jobs["psi-sealed"])
        #expect(job.phase == .completed, "\(job.reason ?? "")")

        let expected = JobValue.table(try JobTable(columns: ["row", "claim_id", "listedBy"], rows: [["1", "C-1001", "hospital-a"], ["3", "C-1003", "hospital-b"]]))
        #expect(try await managers["hospital-b"]!.result("psi-sealed").outputs[0].value == expected)
        await expectNodeError(.notApproved) { _ = try await managers["hospital-a"]!.result("psi-sealed") }
        let sealedBy = await b.entries().filter { !$0.sealed.isEmpty }.map(\.author)
        #expect(sealedBy == ["insurer"])
        for m in managers.values { await m.shutdown() }
        await net.stop()
    }
}
