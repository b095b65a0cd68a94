import Foundation
import TacitBytes
import TacitMath
import Logging
import Testing
import TacitCrypto
import TacitJob
@testable import TacitNode
import TacitProtocols
import TacitNet

func tempDir() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("tn-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

struct DatasetReaderTests {
    let dir = tempDir()
    var dataset: DatasetDeclaration {
        DatasetDeclaration(name: "claims", file: "\(dir)/claims.csv", columns: [
            ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2), ColumnDeclaration(name: "age", type: .integer)])
    }
    var reader: DatasetReader { DatasetReader(owner: "hospital-a", datasets: [dataset]) }
    let selection = JobSpec.InputSelection(dataset: "claims", columns: ["amount"])

    init() throws {
        try "id,age,amount,diagnosis\n1,54,\"1,200.5\",secret\n2,37,310,secret\n".replacingOccurrences(of: "\"1,200.5\"", with: "1200.5")
            .write(toFile: "\(dir)/claims.csv", atomically: true, encoding: .utf8)
    }

    func approval(_ cols: [String], party: PartyID = "hospital-a", job: String = "j1") -> Approval {
        Approval(jobID: job, party: party, dataset: "claims", columns: cols)
    }

    @Test func readsOnlyApprovedColumnsCanonically() throws {
        let input = try reader.read(selection, jobID: "j1", approval: approval(["amount"]))
        #expect(input.columns.map(\.declaration.name) == ["amount"])
        #expect(input.columns[0].values == ["1200.50", "310.00"])
        #expect(try input.encoded("amount", fractionDigits: 2) == [120050, 31000])
    }

    @Test func refusesWithoutTheOwnersOwnApproval() {
        for (a, why) in [
            (nil, "has not approved"), (approval(["amount"], party: "insurer"), "not by the data owner"),
            (approval(["amount"], job: "j2"), "is for job j2"), (approval(["age"]), "column 'amount' of dataset 'claims' was not approved"),
        ] as [(Approval?, String)] {
            #expect(throws: NodeError.self) { try reader.read(selection, jobID: "j1", approval: a) }
            do { _ = try reader.read(selection, jobID: "j1", approval: a) } catch let e as NodeError {
                #expect(e.code == .notApproved)
                #expect(e.message.contains(why), "\(e.message)")
            } catch { Issue.record("not a NodeError: \(error)") }
        }
    }

    @Test func refusesColumnsNotOfferedEvenIfApproved() {
        let sel = JobSpec.InputSelection(dataset: "claims", columns: ["diagnosis"])
        do { _ = try reader.read(sel, jobID: "j1", approval: approval(["diagnosis"])); Issue.record("read an unoffered column") } catch let e as NodeError {
            #expect(e.code == .notApproved)
            #expect(e.message.contains("not offered"))
        } catch { Issue.record("not a NodeError: \(error)") }
    }

    @Test func badCellsAreReportedWithoutTheirValue() throws {
        try "age,amount\n54,12.345\n".write(toFile: "\(dir)/claims.csv", atomically: true, encoding: .utf8)
        do { _ = try reader.read(selection, jobID: "j1", approval: approval(["amount"])); Issue.record("accepted 3 digits") } catch let e as NodeError {
            #expect(e.code == .dataset)
            #expect(e.message == "dataset 'claims', column 'amount': expected a decimal with at most 2 fraction digits in every row", "\(e.message)")
            // Where it is goes to the local log (the description), never into the message,
            // which is what a failure reason on the ledger carries.
            #expect(e.file == "\(dir)/claims.csv" && e.line == 2)
            #expect(e.description.hasPrefix("\(dir)/claims.csv:2: "))
            #expect(!e.description.contains("12.345"))
        } catch { Issue.record("not a NodeError: \(error)") }
    }
}

struct CommitmentTests {
    let input = DatasetInput(jobID: "j1", party: "hospital-a", dataset: "claims", columns: [
        .init(declaration: ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2), values: ["1200.50", "310.00"])])

    @Test func documentedEncodingAndVector() {
        let salt = [UInt8](repeating: 7, count: 32)
        let bytes = InputCommitment.encoding(input, salt: salt)
        // frame("tacit.input-commitment.v1") starts the encoding.
        #expect(Array(bytes.prefix(4)) == [0, 0, 0, 25])
        #expect(String(decoding: bytes[4..<29], as: UTF8.self) == "tacit.input-commitment.v1")
        // Computed from Docs/TacitNode.md alone, in Python with hashlib and struct.pack('>I'):
        // frame("tacit.input-commitment.v1") + frame(7 * 32) + frame("j1") + frame("hospital-a")
        // + frame("claims") + u32(1) + frame("amount") + frame("decimal:2") + u32(2)
        // + frame("1200.50") + frame("310.00").
        #expect(InputCommitment.compute(input, salt: salt).digest == "82d3346b268f987ede92b9f03f2f53d5a80bd4cd09d421495023c0d6b2bb4364")
    }

    @Test func hidingNeedsTheSaltBindingCatchesChanges() {
        let salt = CommitmentOpening.freshSalt()
        let opening = CommitmentOpening(input: input, salt: salt)
        #expect(opening.verify(against: opening.commitment))
        #expect(CommitmentOpening(input: input, salt: CommitmentOpening.freshSalt()).commitment != opening.commitment)
        var changed = opening
        changed.input.columns[0].values[1] = "310.01"
        #expect(!changed.verify(against: opening.commitment))
    }

    @Test func auditOpensFromCSVAgainstTheLedger() throws {
        let salt = CommitmentOpening.freshSalt()
        let opening = CommitmentOpening(input: input, salt: salt)
        let entry = LedgerEntry(author: "hospital-a", index: 1, time: Date(), transaction: .inputCommitted(
            jobID: "j1", dataset: "claims", columns: input.columns.map(\.declaration.name), commitment: opening.commitment), id: "x")
        let types = input.columns.map(\.declaration)
        let csv = "claim,amount,diagnosis\nA,1200.5,x\nB,310,y\n"
        let ok = try Audit.check(jobID: "j1", party: "hospital-a", csv: csv, csvName: "c.csv", salt: Hex.encode(salt), types: types, entries: [entry])
        #expect(ok.matches && ok.rows == 2)
        let tampered = try Audit.check(jobID: "j1", party: "hospital-a", csv: csv.replacingOccurrences(of: "310", with: "311"),
                                       csvName: "c.csv", salt: Hex.encode(salt), types: types, entries: [entry])
        #expect(!tampered.matches)
        #expect(try Audit.check(opening: opening, entries: [entry]).matches)
        #expect(throws: NodeError.self) { try Audit.check(jobID: "j2", party: "hospital-a", csv: csv, csvName: "c", salt: Hex.encode(salt), types: types, entries: [entry]) }
        // A wrong type canonicalises differently: no match.
        let wrong = [ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 3)]
        #expect(try !Audit.check(jobID: "j1", party: "hospital-a", csv: csv, csvName: "c.csv", salt: Hex.encode(salt), types: wrong, entries: [entry]).matches)
    }
}

/// The one-pass byte scanner the dataset reader uses reads what the whole-file parser reads.
struct CSVScanTests {
    static let inputs = [
        "a,b\n1,2\n", "a,b\r\n1,\"x, y\"\r\n3,\"say \"\"hi\"\"\"\r\n", "a\n\"two\nlines\"\n\nlast", "a,b,c\n,,\n1,,3",
        "x\n\"\"\n", "naïve,Straße\nü,ß\n", "", "\n\n", "a,b\n1,2,3,4\n5\n",
    ]

    @Test("every record and cell as CSV.rows reads them; unwanted cells come back nil", arguments: inputs)
    func sameAsRows(_ text: String) throws {
        var all: [[String]] = []
        try CSV.scan(Array(text.utf8), keep: { _ in true }) { cells, count in all.append((0..<count).map { cells[$0] ?? "<nil>" }) }
        #expect(all == CSV.rows(text), "\(all) vs \(CSV.rows(text))")
        var second: [String?] = []
        try CSV.scan(Array(text.utf8), keep: { $0 == 1 }) { cells, count in
            #expect(count == 0 || cells[0] == nil)
            second.append(count > 1 ? cells[1] : nil)
        }
        #expect(second == all.map { $0.count > 1 ? $0[1] : nil })
    }

    @Test("extract reports the record's line, and reads a column of a wide file without its other cells")
    func extractLines() throws {
        let text = "id,amount,note\nA,1.50,\"long, quoted\"\nB,x,\n"
        do { _ = try CSV.extract(Array(text.utf8), columns: [ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2)], file: "f.csv"); Issue.record("read x") } catch let e as NodeError {
            #expect(e.line == 3 && e.message.contains("column 'amount'"), "\(e)")
        }
        let ids = try CSV.extract(Array(text.utf8), columns: [ColumnDeclaration(name: "note", type: .identifier)], file: "f.csv")
        #expect(ids[0].values == ["long, quoted", ""])
    }
}

/// Identifier columns (for matching jobs): read and committed exactly as written.
struct IdentifierColumnTests {
    let dir = tempDir()
    var reader: DatasetReader {
        DatasetReader(owner: "bank-a", datasets: [DatasetDeclaration(name: "applicants", file: "\(dir)/a.csv", columns: [
            ColumnDeclaration(name: "national_id", type: .identifier), ColumnDeclaration(name: "score", type: .integer)])])
    }
    let selection = JobSpec.InputSelection(dataset: "applicants", columns: ["national_id"])
    let approval = Approval(jobID: "j1", party: "bank-a", dataset: "applicants", columns: ["national_id", "score"])

    @Test("cells are kept as written: spaces, case, quotes and non-ASCII; a numeric job refuses the column by name")
    func keptAsWritten() throws {
        try "score,national_id\n1, AB-12 34 \n2,\"Straße, Köln\"\n3,0042\n".write(toFile: "\(dir)/a.csv", atomically: true, encoding: .utf8)
        let input = try reader.read(selection, jobID: "j1", approval: approval)
        #expect(input.columns[0].values == [" AB-12 34 ", "Straße, Köln", "0042"])
        do { _ = try input.encoded("national_id", fractionDigits: 0); Issue.record("an identifier column was read as numbers") } catch let e as JobError {
            #expect(e.code == .invalidInput)
            #expect(e.message.contains("declared as an identifier"), "\(e.message)")
            #expect(!e.message.contains("0042"))
        }
        let score = try reader.read(.init(dataset: "applicants", columns: ["score"]), jobID: "j1", approval: approval)
        #expect(try score.encoded("score", fractionDigits: 0) == [1, 2, 3])
    }

    @Test("an over-long or NUL-holding identifier is refused without quoting it, the row in the local detail")
    func refusedCells() throws {
        for bad in [String(repeating: "x", count: ColumnDeclaration.maxIdentifierBytes + 1), "ab\u{0}cd"] {
            try "score,national_id\n1,ok\n2,\(bad)\n".write(toFile: "\(dir)/a.csv", atomically: true, encoding: .utf8)
            do { _ = try reader.read(selection, jobID: "j1", approval: approval); Issue.record("accepted a bad identifier") } catch let e as NodeError {
                #expect(e.code == .dataset)
                #expect(e.message.contains("longer than 1024 bytes or holds a NUL"), "\(e.message)")
                #expect(e.line == 3)
                #expect(!e.message.contains("xxxx") && !e.message.contains("abcd"))
            }
        }
    }

    @Test("the commitment covers the text as written, with the type 'identifier' (vector from Docs/TacitNode.md in Python)")
    func commitmentVector() throws {
        let input = DatasetInput(jobID: "j1", party: "bank-a", dataset: "applicants", columns: [
            .init(declaration: ColumnDeclaration(name: "national_id", type: .identifier), values: [" AB-12 34 ", "Straße"])])
        // frame("tacit.input-commitment.v1") + frame(7 * 32) + frame("j1") + frame("bank-a")
        // + frame("applicants") + u32(1) + frame("national_id") + frame("identifier") + u32(2)
        // + frame(" AB-12 34 ") + frame("Straße"), hashed with hashlib.sha256.
        #expect(InputCommitment.compute(input, salt: [UInt8](repeating: 7, count: 32)).digest
            == "a9a5bb21de5e920f01288a31936dbee7faf95274a22db5bb42784cdc830e45eb")
        #expect(try ColumnDeclaration.parse(spec: "national_id:identifier") == ColumnDeclaration(name: "national_id", type: .identifier))
        #expect(throws: NodeError.self) { try ColumnDeclaration.parse(spec: "national_id:identifier:2") }
    }
}

/// The lifecycle with every party in one process: in-memory ledger and mesh.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct LifecycleTests {
    static let parties: [PartyID] = ["hospital-a", "hospital-b", "insurer"]
    static let key = try! Paillier.dealThresholdKey(bits: 512, threshold: 2, parties: 3, policy: .insecureAnySizeForTesting)

    struct World {
        let ledger = InMemoryLedger()
        let mesh = InMemoryMesh(parties: LifecycleTests.parties, defaultTimeout: .seconds(60))
        var managers: [PartyID: JobManager] = [:]
        let dir = tempDir()

        /// `csv` replaces a party's claims file (default: two valid rows).
        init(csv: [PartyID: String] = [:]) async throws {
            let holders = LifecycleTests.parties.sorted()
            let index = Dictionary(uniqueKeysWithValues: holders.enumerated().map { ($0.element, $0.offset + 1) })
            for p in LifecycleTests.parties {
                let d = "\(dir)/\(p)"
                try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
                try (csv[p] ?? "amount\n10.00\n5.25\n").write(toFile: "\(d)/claims.csv", atomically: true, encoding: .utf8)
                let m = JobManager(
                    party: p, ledger: ledger.replica(for: p), channel: mesh.channel(for: p), registry: .standard(),
                    secrets: JobResources(paillier: PaillierKeyMaterial(share: LifecycleTests.key.1[index[p]! - 1], indexOf: index)),
                    datasets: [DatasetDeclaration(name: "claims", file: "\(d)/claims.csv", columns: [ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2)])],
                    members: LifecycleTests.parties, dataDirectory: d, stepTimeout: .seconds(60), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
                await m.start()
                managers[p] = m
            }
        }

        func book() -> JobBook { JobBook(entries: ledger.allEntries) }

        func wait(_ job: String, _ pred: (JobRecord) -> Bool) async throws -> JobRecord {
            for _ in 0..<400 {
                if let r = book().jobs[job], pred(r) { return r }
                try await Task.sleep(for: .milliseconds(25))
            }
            throw TestFailure("job \(job) stuck at \(String(describing: book().jobs[job]?.phase)); \(book().problems)")
        }
    }

    static let spec = """
        id: j
        protocol: paillier-aggregation
        parties:
          - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: insurer, roles: [compute]}
        parameters: {statistic: mean}
        outputs:
          - {name: avg, recipients: [insurer], public: true}
        """

    @Test func approvedJobRunsAndRecordsAgreeingResults() async throws {
        let w = try await World()
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec, file: nil)
        for p in Self.parties { try await w.managers[p]!.approve("j", columns: nil) }
        let r = try await w.wait("j") { $0.phase.isTerminal }
        #expect(r.phase == .completed, "\(r.reason ?? "")")
        #expect(r.recordedOutputs?.first?.publicValue == "7.63")  // (10 + 5.25) * 2 / 4 = 7.625 → 7.63
        #expect(try await w.managers["insurer"]!.result("j").outputs[0].value == .number("7.63"))
        #expect(w.book().problems.isEmpty)
    }

    /// A private output: the value exists at the recipient only; every other node refuses
    /// with `notApproved`, holds no result file, and its ledger has the digest, not the value.
    @Test func aNonRecipientGetsNoValueOfAPrivateOutput() async throws {
        let w = try await World()
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec.replacingOccurrences(of: ", public: true", with: ""), file: nil)
        for p in Self.parties { try await w.managers[p]!.approve("j", columns: nil) }
        let r = try await w.wait("j") { $0.phase.isTerminal }
        #expect(r.phase == .completed, "\(r.reason ?? "")")
        #expect(try await w.managers["insurer"]!.result("j").outputs[0].value == .number("7.63"))
        let recorded = try #require(r.recordedOutputs?.first)
        #expect(recorded.publicValue == nil && recorded.digest.count == 64)
        for p: PartyID in ["hospital-a", "hospital-b"] {
            await expectNodeError(.notApproved) { _ = try await w.managers[p]!.result("j") }
            #expect(!FileManager.default.fileExists(atPath: "\(w.dir)/\(p)/results/\(JobManager.fileName("j")).json"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(w.dir)/\(p)/results")) ?? [] == [])
        }
    }

    /// A bad cell and a value beyond the protocol's range fail the job; the reason on the
    /// ledger names the dataset and column but no local path and no row number (those are in
    /// the owner's local log).
    @Test func inputErrorsKeepPathsAndRowsOffTheLedger() async throws {
        let w = try await World(csv: ["hospital-b": "amount\n10.00\n5.2x\n"])
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec, file: nil)
        for p in Self.parties { try await w.managers[p]!.approve("j", columns: nil) }
        let r = try await w.wait("j") { $0.phase.isTerminal }
        #expect(r.phase == .failed)
        let reason = try #require(r.reason)
        #expect(reason.contains("hospital-b could not read its input") && reason.contains("dataset 'claims', column 'amount'"), "\(reason)")
        #expect(!reason.contains(w.dir) && !reason.contains("claims.csv") && reason.range(of: #"row \d"#, options: .regularExpression) == nil, "\(reason)")

        let statistics = """
            id: s
            protocol: statistics
            engine: shamir
            parties:
              - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [amount]}}
              - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [amount]}}
              - {name: insurer, roles: [compute]}
            parameters: {statistic: sum}
            outputs:
              - {name: total, recipients: [insurer]}
            """
        let w2 = try await World(csv: ["hospital-a": "amount\n10.00\n20000000000.00\n"])
        _ = try await w2.managers["insurer"]!.submit(specText: statistics, file: nil)
        for p in Self.parties { try await w2.managers[p]!.approve("s", columns: nil) }
        let s = try await w2.wait("s") { $0.phase.isTerminal }
        #expect(s.phase == .failed)
        let why = try #require(s.reason)
        #expect(why.contains("±2^40"), "\(why)")
        #expect(!why.contains(w2.dir) && why.range(of: #"row \d"#, options: .regularExpression) == nil, "\(why)")
    }

    @Test func aForgedApprovalDoesNotOpenTheOwnersData() async throws {
        let w = try await World()
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec, file: nil)
        try await w.managers["hospital-b"]!.approve("j", columns: nil)
        try await w.managers["insurer"]!.approve("j", columns: nil)
        // The insurer posts an approval in hospital-a's name: the ledger ignores it, and
        // hospital-a's node reads nothing.
        w.ledger.append(.jobApproved(Approval(jobID: "j", party: "hospital-a", dataset: "claims", columns: ["amount"])), author: "insurer")
        w.ledger.append(.inputCommitted(jobID: "j", dataset: "claims", columns: [], commitment: "00"), author: "hospital-b")
        try await Task.sleep(for: .milliseconds(500))
        let r = try #require(w.book().jobs["j"])
        #expect(r.phase == .proposed)
        #expect(r.awaitingApproval == ["hospital-a"])
        #expect(w.book().problems.count == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(w.dir)/hospital-a/openings/\(JobManager.fileName("j")).json"))
    }

    /// A member writes specs straight onto the ledger (no YAML, no validation at its end): one
    /// whose id is a path, one with no outputs. Every node ignores both: no file is named
    /// after the id, nothing traps, and the victim takes no part.
    @Test func specsFromTheLedgerAreValidatedAndNeverNameAFile() async throws {
        let w = try await World()
        // What `running/../evil` would name: a node that built paths from ids would create,
        // then remove, this file.
        for p in Self.parties { try "precious".write(toFile: "\(w.dir)/\(p)/evil", atomically: true, encoding: .utf8) }
        let commitment = String(repeating: "ab", count: 32)
        func propose(_ spec: JobSpec) {
            w.ledger.append(.jobProposed(spec), author: "insurer")
            w.ledger.append(.jobApproved(Approval(jobID: spec.id, party: "insurer", dataset: "claims", columns: ["amount"])), author: "insurer")
            w.ledger.append(.inputCommitted(jobID: spec.id, dataset: "claims", columns: ["amount"], commitment: commitment), author: "insurer")
        }
        let parties: [JobSpec.Party] = [
            .init(name: "insurer", roles: [.input], input: .init(dataset: "claims", columns: ["amount"])),
            .init(name: "hospital-a", roles: [.compute]), .init(name: "hospital-b", roles: [.compute]),
        ]
        propose(JobSpec(id: "../evil", protocolName: "statistics", engine: "shamir", parties: parties,
                        outputs: [.init(name: "r", recipients: ["insurer"])], approvers: ["insurer"]))
        propose(JobSpec(id: "no-outputs", protocolName: "statistics", engine: "shamir", parties: parties, outputs: [], approvers: ["insurer"]))
        // A valid job afterwards still runs: the nodes are up and reconciling.
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec, file: nil)
        for p in Self.parties { try await w.managers[p]!.approve("j", columns: nil) }
        #expect(try await w.wait("j") { $0.phase.isTerminal }.phase == .completed)
        for p in Self.parties {
            #expect((try? String(contentsOfFile: "\(w.dir)/\(p)/evil", encoding: .utf8)) == "precious", "\(p) touched a file named by a peer's job id")
            let entries = try FileManager.default.contentsOfDirectory(atPath: "\(w.dir)/\(p)").sorted()
            #expect(entries == ["claims.csv", "evil", "openings", "results", "running"], "\(p): \(entries)")
        }
        for id in ["../evil", "no-outputs"] {
            let r = try #require(w.book().jobs[id])
            #expect(r.results.isEmpty && r.failures.isEmpty, "\(id): a node acted on an invalid spec")
        }
    }

    @Test func crashedPeerFailsTheJobWithNothingRevealed() async throws {
        let w = try await World()
        _ = try await w.managers["insurer"]!.submit(specText: Self.spec, file: nil)
        w.mesh.crash("hospital-b")
        for p in Self.parties { try await w.managers[p]!.approve("j", columns: nil) }
        let r = try await w.wait("j") { $0.phase.isTerminal }
        #expect(r.phase == .failed)
        #expect(r.reason?.contains("hospital-b") == true, "\(r.reason ?? "")")
        #expect(!FileManager.default.fileExists(atPath: "\(w.dir)/insurer/results/j.json"))
    }
}

func expectNodeError(_ code: NodeError.Code, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected a NodeError \(code)", sourceLocation: sourceLocation)
    } catch let e as NodeError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a NodeError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

struct ControlSocketTests {
    @Test func malformedRequestsGetClearErrorsAndTheConnectionStays() throws {
        let path = tempDir() + "/c.sock"
        let server = try ControlServer(path: path) { r in
            var out = ControlResponse()
            out.job = r.op
            return out
        }
        defer { server.close() }
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let c = try ControlClient(path: path)
        for (raw, expect) in [
            ("not json\n", "malformed request"), ("{\"job\":\"x\"}\n", "missing \"op\""), ("{\"op\":5}\n", "wrong type at op"),
            ("{\"op\":\"explode\"}\n", "unknown op 'explode'; ops: submit"), ("   \n", "empty request"), ("[1,2]\n", "malformed request"),
        ] {
            let r = try c.sendRaw(Array(raw.utf8))
            #expect(!r.ok)
            #expect(r.error?.contains(expect) == true, "\(raw): \(r.error ?? "")")
        }
        // Still serving on the same connection.
        let ok = try c.send(ControlRequest(op: "list"))
        #expect(ok.ok && ok.job == "list")
        // A second server on the same path is refused while the first answers.
        #expect(throws: NodeError.self) { _ = try ControlServer(path: path) { _ in ControlResponse() } }
        server.close()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("the line reader gives the same lines whatever the reads, and reports a line over the limit")
    func lineReaderIsIndependentOfReads() throws {
        let stream = Array("{\"op\":\"list\"}\n\n  \n{\"op\":\"status\",\"job\":\"j\"}\npartial".utf8)
        var whole = ControlLineReader(maxLineBytes: 64)
        let lines = whole.feed(stream[...])
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["{\"op\":\"list\"}", "", "  ", "{\"op\":\"status\",\"job\":\"j\"}"])
        #expect(whole.pending == 7 && !whole.overflowed)
        for size in 1...9 {
            var r = ControlLineReader(maxLineBytes: 64)
            var got: [[UInt8]] = []
            var at = 0
            while at < stream.count {
                got += r.feed(stream[at..<min(stream.count, at + size)])
                at += size
            }
            #expect(got == lines, "reads of \(size) bytes")
        }
        #expect(try ControlServer.request(from: lines[0]).op == "list")
        do {
            _ = try ControlServer.request(from: lines[1])
            Issue.record("a blank line was accepted as a request")
        } catch {
            #expect(error.code == .control && error.message.hasPrefix("empty request"))
        }
        var long = ControlLineReader(maxLineBytes: 64)
        #expect(long.feed(Array(repeating: 65, count: 65)[...]).isEmpty)
        #expect(long.overflowed)
    }
}

@Suite("CSV decimals: the fast path gives what FixedPointFormat gives")
struct FastDecimalTests {
    @Test("every plain decimal the fast path takes is canonicalised as the general path does; the rest it leaves to it")
    func sameAsFixedPoint() throws {
        var cells = ["0", "-0", "-0.00", "007.50", "1200.5", "1200.50", "-5.25", "999999999999999999", "1.", ".5", "+1", "1e3",
                     " 1", "1 ", "--1", "1.2.3", "", "-", "12.345", "0.001", "123456789012345678.5"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let whole = String(UInt64.random(in: 0...UInt64(1) << UInt64.random(in: 1...62), using: &rng))
            let frac = String((0..<Int.random(in: 0...5, using: &rng)).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            cells.append((Bool.random(using: &rng) ? "-" : "") + String(repeating: "0", count: Int.random(in: 0...2, using: &rng)) + whole + (frac.isEmpty ? "" : "." + frac))
        }
        var fast = 0
        for digits in [0, 2, 4] {
            let format = FixedPointFormat(fractionalDigits: digits, bits: 64)
            for cell in cells {
                let general = try? format.decode(try format.encode(cell.trimmingCharacters(in: .whitespaces)))
                if let f = CSV.canonicalDecimal(cell, digits: digits) {
                    fast += 1
                    #expect(f == general, "'\(cell)' with \(digits) digits: fast \(f), general \(general ?? "refused")")
                }
            }
        }
        #expect(fast > 2000)
    }
}

@Suite("The opening file")
struct OpeningFileTests {
    @Test("the opening written directly reads back, through JSONDecoder, to the same value, whatever the cells hold")
    func roundTrip() throws {
        let odd = ["plain", "quo\"te", "back\\slash", "tab\tnew\nline\r", "\u{01}\u{1f}", "é漢字🙂", "", "/slash/", "\u{7f}"]
        let input = DatasetInput(jobID: "j-1", party: "st-marys", dataset: "bills", columns: [
            .init(declaration: ColumnDeclaration(name: "id \"x\"", type: .identifier), values: odd),
            .init(declaration: ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2), values: odd.indices.map { "\($0).50" }),
            .init(declaration: ColumnDeclaration(name: "n", type: .integer), values: odd.indices.map { "-\($0)" }),
        ])
        let opening = CommitmentOpening(input: input, salt: CommitmentOpening.freshSalt())
        let back = try JSONDecoder().decode(CommitmentOpening.self, from: opening.encodedJSON())
        #expect(back == opening)
        #expect(back.verify(against: opening.commitment))
    }
}

@Suite("The stored result file")
struct StoredResultFileTests {
    @Test("written directly, it reads back through JSONDecoder to the same result: numbers, sets, tables, odd strings")
    func roundTrip() throws {
        let odd = ["plain", "quo\"te", "back\\slash", "tab\tnew\nline", "é漢字🙂", "", "/x/"]
        let stored = StoredResult(jobID: "j-\"1\"", outputs: [
            OutputResult(name: "total", value: .number("12.50"), digest: "ab", publicValue: "12.50", salt: "cd"),
            OutputResult(name: "t", value: .table(try JobTable(columns: ["a", "b\"c"], rows: odd.map { [$0, $0 + "!"] })), digest: "ef", publicValue: nil, salt: "01"),
            OutputResult(name: "plain", value: .table(try JobTable(columns: ["a"], rows: [["1"], ["2"]])), digest: "ef", publicValue: nil, salt: "01"),
            OutputResult(name: "s", value: .makeSet(odd), digest: "23", publicValue: nil, salt: nil),
            OutputResult(name: "none", value: nil, digest: "45", publicValue: nil, salt: nil),
        ])
        #expect(try JSONDecoder().decode(StoredResult.self, from: stored.encodedJSON()) == stored)
    }
}
