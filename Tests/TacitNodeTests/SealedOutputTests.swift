import Foundation
import Logging
import Testing
import TacitBytes
import TacitJob
@testable import TacitNode
import TacitProtocols
import TacitNet

/// Waits, on the ledger's change notifications, until `predicate` holds for its job book.
func waitForBook(_ ledger: InMemoryLedger, as party: PartyID, _ predicate: (JobBook) -> Bool) async throws -> JobBook {
    for await _ in ledger.replica(for: party).changes() {
        let book = JobBook(entries: ledger.allEntries)
        if predicate(book) { return book }
    }
    throw TestFailure("the ledger closed")
}

/// A job whose output is sealed to its recipient and to a regulator that takes no part in it,
/// with every party and the regulator in one process (in-memory ledger and mesh).
@Suite("Sealed outputs on the in-memory ledger", .serialized, .timeLimit(.minutes(2)))
struct SealedOutputLifecycleTests {
    static let parties: [PartyID] = ["insurer", "hospital-a", "hospital-b"]
    static let members: [PartyID] = parties + ["regulator"]
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let spec = """
        id: j
        protocol: psi
        parties:
          - {name: insurer, roles: [input], input: {dataset: claims, columns: [claim_id]}}
          - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [claim_id]}}
          - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [claim_id]}}
        parameters: {path: ecdh}
        outputs:
          - {name: result, recipients: [insurer], sealed: true, readers: [regulator]}
        """

    static let claims: [PartyID: String] = [
        "insurer": "claim_id\nC-1001\nC-1002\nC-1003\n", "hospital-a": "claim_id\nC-1001\nR-2002\n", "hospital-b": "claim_id\nC-1003\nN-3002\n",
    ]

    struct World {
        let ledger = InMemoryLedger()
        let mesh = InMemoryMesh(parties: SealedOutputLifecycleTests.members, defaultTimeout: .seconds(60))
        var managers: [PartyID: JobManager] = [:]
        let dir = tempDir()

        init() async throws {
            for p in SealedOutputLifecycleTests.members {
                let d = "\(dir)/\(p)"
                try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
                var datasets: [DatasetDeclaration] = []
                if let csv = SealedOutputLifecycleTests.claims[p] {
                    try csv.write(toFile: "\(d)/claims.csv", atomically: true, encoding: .utf8)
                    datasets = [DatasetDeclaration(name: "claims", file: "\(d)/claims.csv", columns: [ColumnDeclaration(name: "claim_id", type: .identifier)])]
                }
                let m = JobManager(
                    party: p, ledger: ledger.replica(for: p), channel: mesh.channel(for: p), registry: .standard(), secrets: .none,
                    datasets: datasets, members: SealedOutputLifecycleTests.members, dataDirectory: d, stepTimeout: .seconds(60),
                    logger: SealedOutputLifecycleTests.quiet)
                await m.start()
                managers[p] = m
            }
        }
    }

    @Test("a reader that is not a party reads the sealed table from the ledger; a party that is not a reader is refused")
    func readerReadsAndOthersAreRefused() async throws {
        let w = try await World()
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec, file: nil)
        for p in Self.parties { try await w.managers[p]!.approve("j", columns: nil) }
        let book = try await waitForBook(w.ledger, as: "regulator") { $0.jobs["j"]?.phase.isTerminal == true }
        let job = try #require(book.jobs["j"])
        #expect(job.phase == .completed, "\(job.reason ?? "")")
        #expect(book.problems.isEmpty, "\(book.problems)")

        let expected = JobValue.table(try JobTable(columns: ["row", "claim_id", "listedBy"], rows: [["1", "C-1001", "hospital-a"], ["3", "C-1003", "hospital-b"]]))
        let atInsurer = try await w.managers["insurer"]!.result("j")
        #expect(atInsurer.outputs[0].value == expected)
        // The regulator ran nothing and has no result file: it reads the sealed copy, checked
        // against the digest all three parties recorded.
        let atRegulator = try await w.managers["regulator"]!.result("j")
        #expect(atRegulator.outputs[0].value == expected)
        #expect(atRegulator.outputs[0].digest == atInsurer.outputs[0].digest)
        #expect(atRegulator.outputs[0].salt == atInsurer.outputs[0].salt)
        #expect(!FileManager.default.fileExists(atPath: "\(w.dir)/regulator/results/\(JobManager.fileName("j")).json"))

        for p: PartyID in ["hospital-a", "hospital-b"] {
            do {
                _ = try await w.managers[p]!.result("j")
                Issue.record("\(p) read a value sealed to others")
            } catch let e as NodeError {
                #expect(e.code == .notApproved)
                #expect(e.message == "output 'result' of job j is sealed to insurer, regulator; this node (\(p)) is not among them")
            }
        }

        // Only the sealing party's ResultRecorded carries the copy; the job transactions of all
        // three are the same.
        let results = w.ledger.allEntries.filter { $0.transaction.kind == "ResultRecorded" }
        #expect(results.count == 3)
        #expect(Set(results.map(\.transaction)).count == 1)
        let sealing = try #require(results.first { $0.author == "insurer" })
        #expect(sealing.sealed == [SealedFieldInfo(name: "output/result/1/1", readers: ["insurer", "regulator"])])
        #expect(results.filter { $0.author != "insurer" }.allSatisfy { $0.sealed.isEmpty })
        // The ledger gives the payload to a reader only.
        await expectNodeError(.notApproved) { _ = try await w.ledger.replica(for: "hospital-a").openSealed(entryID: sealing.id, field: "output/result/1/1") }
        let payload = try await w.ledger.replica(for: "regulator").openSealed(entryID: sealing.id, field: "output/result/1/1")
        #expect(payload.starts(with: [0, 0, 0, 22] + Array("tacit.sealed-output.v1".utf8)))
    }

    /// The trail of a completed job, appended as its parties would: the sealing party's
    /// ResultRecorded carries `sealing`.
    static func completedJob(on ledger: InMemoryLedger, spec: JobSpec, digest: String, sealing: [SealedPayload]) {
        ledger.append(.jobProposed(spec), author: "insurer")
        for p in spec.parties {
            ledger.append(.jobApproved(Approval(jobID: spec.id, party: p.name, dataset: p.input?.dataset, columns: p.input?.columns ?? [])), author: p.name)
        }
        for p in spec.parties {
            guard let i = p.input else { continue }
            ledger.append(.inputCommitted(jobID: spec.id, dataset: i.dataset, columns: i.columns, commitment: String(repeating: "ab", count: 32)), author: p.name)
        }
        for p in spec.parties {
            ledger.append(
                .resultRecorded(jobID: spec.id, outputs: [RecordedOutput(name: "result", digest: digest, publicValue: nil)]), author: p.name,
                sealing: p.name == "insurer" ? sealing : [])
        }
    }

    @Test("a sealed copy that is not the value the parties recorded is refused, and one sealed beyond the grant is reported")
    func tamperedCopiesAreRefused() async throws {
        let spec = try JobSpec.parse(Self.spec, context: SpecContext(members: Self.members, registry: .standard()))
        let output = spec.outputs[0]
        let salt = [UInt8](repeating: 7, count: 32)
        let value = JobValue.table(try JobTable(columns: ["row"], rows: [["1"]]))
        let digest = ResultDigest.compute(jobID: "j", output: "result", value: value.canonicalText, salt: salt)
        let honest = OutputResult(name: "result", value: value, digest: digest, publicValue: nil, salt: Hex.encode(salt))

        func regulatorReads(_ sealing: [SealedPayload], jobID: String = "j") async throws -> StoredResult {
            var s = spec
            s.id = jobID
            let ledger = InMemoryLedger()
            Self.completedJob(on: ledger, spec: s, digest: digest, sealing: sealing)
            let m = JobManager(
                party: "regulator", ledger: ledger.replica(for: "regulator"), channel: InMemoryMesh(parties: Self.members).channel(for: "regulator"),
                registry: .standard(), secrets: .none, datasets: [], members: Self.members, dataDirectory: tempDir(), stepTimeout: .seconds(5),
                logger: Self.quiet)
            return try await m.result(jobID)
        }
        #expect(try await regulatorReads(try SealedOutput.fields(jobID: "j", output: output, result: honest)).outputs[0].value == value)

        // Another value under the same salt: its digest is not the recorded one.
        var other = honest
        other.value = .table(try JobTable(columns: ["row"], rows: [["2"]]))
        for (sealing, why) in [
            (try SealedOutput.fields(jobID: "j", output: output, result: other), "does not match the result digest every party recorded"),
            // The honest payload of another job (the digest covers the job id too).
            (try SealedOutput.fields(jobID: "k", output: output, result: honest), "names another output"),
            // Cut short.
            (try SealedOutput.fields(jobID: "j", output: output, result: honest).map { var p = $0; p.bytes.removeLast(); return p }, "does not decode"),
            // Chunks that are not 1...n of n.
            ([SealedPayload(name: "output/result/2/2", readers: ["insurer", "regulator"], bytes: [1])], "is malformed"),
        ] {
            do {
                _ = try await regulatorReads(sealing)
                Issue.record("accepted a copy that \(why)")
            } catch let e as NodeError {
                #expect(e.code == .ledger, "\(e)")
                #expect(e.message.contains(why), "\(e)")
                #expect(!e.message.contains(value.canonicalText), "\(e)")
            }
        }

        // Sealed to a member the spec does not grant: it still opens for the regulator, and
        // the ledger's job check names the extra member.
        let leaked = try SealedOutput.fields(jobID: "j", output: output, result: honest).map { var p = $0; p.readers.append("hospital-a"); return p }
        let ledger = InMemoryLedger()
        Self.completedJob(on: ledger, spec: spec, digest: digest, sealing: leaked)
        let problems = JobBook(entries: ledger.allEntries).problems
        #expect(problems.count == 1 && problems[0].contains("is sealed to hospital-a, insurer, regulator; the spec grants insurer, regulator"), "\(problems)")
        // Left out altogether: the regulator is told who did not seal it, and so is an auditor.
        await #expect(throws: NodeError.self) { _ = try await regulatorReads([]) }
        let none = InMemoryLedger()
        Self.completedJob(on: none, spec: spec, digest: digest, sealing: [])
        #expect(JobBook(entries: none.allEntries).problems == [
            "entry 8 (ResultRecorded by insurer): insurer recorded its result without the sealed copy of output 'result' the spec grants to insurer, regulator",
        ])
    }

    @Test("the payload is LP(tag) ‖ LP(job id) ‖ LP(output) ‖ LP(salt) ‖ LP(text), cut into 8 MiB chunks named output/NAME/i/n")
    func payloadFormat() throws {
        let p = SealedOutput.payload(jobID: "j", output: "o", salt: [9, 9], text: "42")
        #expect(p == [0, 0, 0, 22] + Array("tacit.sealed-output.v1".utf8) + [0, 0, 0, 1, 0x6a, 0, 0, 0, 1, 0x6f, 0, 0, 0, 2, 9, 9, 0, 0, 0, 2, 0x34, 0x32])
        let big = [UInt8](repeating: 1, count: 2 * SealedOutput.chunkBytes + 5)
        let chunks = SealedOutput.chunks(big, output: "o", readers: ["a"])
        #expect(chunks.map(\.name) == ["output/o/1/3", "output/o/2/3", "output/o/3/3"])
        #expect(chunks.map(\.bytes.count) == [SealedOutput.chunkBytes, SealedOutput.chunkBytes, 5])
        #expect(SealedOutput.maxChunks == 7)
    }
}

/// `keys.encryption` in node.yaml: the member's X25519 key, checked against the ledger's
/// membership at start, and written by `tacit init`.
@Suite("A node's encryption key")
struct NodeEncryptionKeyTests {
    @Test("tacit init names each member's NAME.enc.key; a node takes it only if the membership lists it for that member")
    func encryptionKeyIsConfiguredAndChecked() async throws {
        let c = try await LocalConsortium(["insurer", "hospital-a", "hospital-b"])
        defer { c.cleanup() }
        let config = try NodeConfig.load(path: c.config("insurer"))
        #expect(config.encryptionKeyPath == "\(c.dir)/insurer/keys/insurer.enc.key")
        let curve = CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: config.transportKeyPath)).publicKey.z85
        let (_, _, _, key) = try PartyNode.ledgerIdentity(config, curvePublicKey: curve, logger: SealedOutputLifecycleTests.quiet)
        #expect(key != nil)

        // Another member's key under this member's name is refused at start.
        var wrong = config
        wrong.encryptionKeyPath = "\(c.dir)/hospital-a/keys/hospital-a.enc.key"
        await expectNodeError(.keys) { _ = try PartyNode.ledgerIdentity(wrong, curvePublicKey: curve, logger: SealedOutputLifecycleTests.quiet) }
        // Without one the node runs, and says what to add when it must open a sealed field.
        var none = config
        none.encryptionKeyPath = nil
        #expect(try PartyNode.ledgerIdentity(none, curvePublicKey: curve, logger: SealedOutputLifecycleTests.quiet).3 == nil)
        let parsed = try NodeConfig.parse(
            "name: a\ngenesis: g.bin\nkeys: {transport: k, signing: s, encryption: keys/a.enc.key}\ndataDirectory: d\n", baseDirectory: "/srv/a")
        #expect(parsed.encryptionKeyPath == "/srv/a/keys/a.enc.key")
    }
}
