import Foundation
import Testing
import TacitJob
import TacitJobHarness
import TacitMPC
import TacitNet
import TacitProtocols

@testable import TacitPSI

/// The psi job end to end in the in-process harness: one bank checks its applicants against
/// two others' blacklists, and the result is compared with the plaintext intersection of the
/// normalised identifiers (Swift `Set`s).
@Suite("psi job: banks' blacklists against plaintext")
struct PSIJobTests {
    let harness = JobHarness(registry: .standard())

    static func ids(_ values: [String], party: PartyID, column: String = "national_id") -> DatasetInput {
        DatasetInput(jobID: "simulation", party: party, dataset: "list", columns: [
            .init(declaration: ColumnDeclaration(name: column, type: .identifier), values: values)])
    }

    func spec(_ inputs: [PartyID: DatasetInput], parameters: [String: String], recipients: [PartyID] = ["bank-a"]) -> JobSpec {
        JobHarness.spec(protocol: "psi", inputs: inputs, parameters: parameters, outputs: [JobSpec.Output(name: "result", recipients: recipients)])
    }

    // Applicants with duplicates (after normalisation), a blank, non-ASCII and ID numbers
    // written in groups.
    let applicants = ["AB-123 456", "ab123456", "Zoë Ng", "zoe\u{308} ng", "", "MÜLLER", "carol", "ＤＡＶＥ", "erin", "frank"]
    let listB = ["ab 123 456", "müller", "nobody", "dave"]
    let listC = ["Carol", "zoë ng", "DAVE", "ghost"]

    /// What the receiver's table must say: each applicant row whose normalised identifier a
    /// list holds, with the lists that hold it, computed from plain sets.
    func expected(_ n: IdentifierNormalisation) throws -> JobTable {
        let b = Set(listB.map(n.apply).filter { !$0.isEmpty }), c = Set(listC.map(n.apply).filter { !$0.isEmpty })
        var rows: [[String]] = []
        for (i, a) in applicants.enumerated() {
            let v = n.apply(a)
            guard !v.isEmpty else { continue }
            let by = [b.contains(v) ? "bank-b" : nil, c.contains(v) ? "bank-c" : nil].compactMap { $0 }
            if !by.isEmpty { rows.append([String(i + 1), a, by.joined(separator: ";")]) }
        }
        return try JobTable(columns: ["row", "national_id", "listedBy"], rows: rows)
    }

    @Test("the receiver learns its matched rows and which bank lists each; the others learn nothing", arguments: PSI.Path.allCases)
    func intersection(_ path: PSI.Path) async throws {
        let inputs: [PartyID: DatasetInput] = [
            "bank-a": Self.ids(applicants, party: "bank-a"), "bank-b": Self.ids(listB, party: "bank-b"), "bank-c": Self.ids(listC, party: "bank-c"),
        ]
        let normalisation = IdentifierNormalisation(separators: true)
        let report = try await harness.run(spec(inputs, parameters: ["path": path.rawValue, "normalise": "trim,nfkc,casefold,separators"]), inputs: inputs)
        let table = try expected(normalisation)
        // Rows 1 and 2 (one person written two ways), 3 and 4, 6, 7 and 8 match; 5 is blank.
        #expect(table.rows.map { $0[0] } == ["1", "2", "3", "4", "6", "7", "8"])
        #expect(try report.value("result", at: "bank-a") == .table(table))
        #expect(try report.value("result", at: "bank-b") == nil)
        #expect(try report.value("result", at: "bank-c") == nil)
    }

    @Test("without the separators step, grouped ID numbers do not match")
    func normalisationMatters() async throws {
        let inputs: [PartyID: DatasetInput] = ["bank-a": Self.ids(applicants, party: "bank-a"), "bank-b": Self.ids(listB, party: "bank-b")]
        let report = try await harness.run(spec(inputs, parameters: [:]), inputs: inputs)
        guard case .table(let t) = try report.value("result", at: "bank-a") else { Issue.record("no table"); return }
        // "AB-123 456" vs "ab 123 456" differ once only trim, nfkc and casefold apply.
        #expect(t.rows.map { $0[0] } == ["6", "8"])
    }

    @Test("reveal: size gives only how many per bank (ecdh path by default)")
    func sizeOnly() async throws {
        let inputs: [PartyID: DatasetInput] = [
            "bank-a": Self.ids(applicants, party: "bank-a"), "bank-b": Self.ids(listB, party: "bank-b"), "bank-c": Self.ids(listC, party: "bank-c"),
        ]
        let report = try await harness.run(spec(inputs, parameters: ["reveal": "size"]), inputs: inputs)
        // Distinct normalised applicants: ab-123 456, ab123456, zoë ng, müller, carol, dave,
        // erin, frank. bank-b holds müller and dave; bank-c zoë ng, carol and dave.
        #expect(try report.value("result", at: "bank-a") == .table(try JobTable(columns: ["party", "matches"], rows: [["bank-b", "2"], ["bank-c", "3"]])))
    }

    @Test("reveal: count gives each matched row only how many banks list it, against plaintext counts")
    func countOnly() async throws {
        let listD = ["dave", "erin", "zoë ng"]
        let inputs: [PartyID: DatasetInput] = [
            "bank-a": Self.ids(applicants, party: "bank-a"), "bank-b": Self.ids(listB, party: "bank-b"),
            "bank-c": Self.ids(listC, party: "bank-c"), "bank-d": Self.ids(listD, party: "bank-d"),
        ]
        let report = try await harness.run(spec(inputs, parameters: ["reveal": "count"]), inputs: inputs)
        let n = IdentifierNormalisation.standard
        let lists = [listB, listC, listD].map { Set($0.map(n.apply).filter { !$0.isEmpty }) }
        var rows: [[String]] = []
        for (i, a) in applicants.enumerated() {
            let v = n.apply(a)
            let c = v.isEmpty ? 0 : lists.filter { $0.contains(v) }.count
            if c > 0 { rows.append([String(i + 1), a, String(c)]) }
        }
        // dave is on all three lists; zoë ng on two; müller, carol and erin on one.
        #expect(rows.contains { $0[2] == "3" } && rows.contains { $0[2] == "2" })
        #expect(try report.value("result", at: "bank-a") == .table(try JobTable(columns: ["row", "national_id", "listings"], rows: rows)))
        for bank in ["bank-b", "bank-c", "bank-d"] { #expect(try report.value("result", at: PartyID(bank)) == nil) }
    }

    @Test("five banks: the receiver runs two pairs at a time and every bank's matches arrive", arguments: PSI.Path.allCases)
    func manyBanks(_ path: PSI.Path) async throws {
        let banks = (0..<5).map { PartyID("list-\($0)") }
        var inputs: [PartyID: DatasetInput] = ["bank-a": Self.ids((0..<60).map { "p\($0)" }, party: "bank-a")]
        for (i, b) in banks.enumerated() { inputs[b] = Self.ids((i * 10..<(i * 10 + 15)).map { "p\($0)" }, party: b) }
        let report = try await harness.run(spec(inputs, parameters: ["path": path.rawValue]), inputs: inputs)
        guard case .table(let t) = try report.value("result", at: "bank-a") else { Issue.record("no table"); return }
        // p(10i) … p(10i+14) at list-i: rows 1…55 match, those in two lists' ranges twice.
        var want: [[String]] = []
        for r in 0..<60 {
            let by = banks.enumerated().filter { (i, _) in (i * 10..<(i * 10 + 15)).contains(r) }.map(\.1.name)
            if !by.isEmpty { want.append([String(r + 1), "p\(r)", by.joined(separator: ";")]) }
        }
        #expect(t == (try JobTable(columns: ["row", "national_id", "listedBy"], rows: want)))
    }

    @Test("a bank waiting its turn outlasts its receive timeout on the receiver's keepalives, and times out without them")
    func turnKeepalives() async throws {
        // Runs in the serial stage (Makefile SERIAL_TESTS): beside the parallel suites, whose
        // hashing holds both cooperative threads for seconds at a time, the receiver's
        // keepalive task itself could wait past a short timeout.
        let timeout = Duration.seconds(2)
        for keepingAlive in [true, false] {
            let mesh = InMemoryMesh(parties: ["bank-a", "bank-b"], defaultTimeout: .seconds(60))
            let sid = SessionID.random()
            let receiver = try PairLink(channel: mesh.channel(for: "bank-a").session(sid).pair(with: "bank-b"), tag: Tag(5), timeout: timeout)
            let bank = try PairLink(channel: mesh.channel(for: "bank-b").session(sid).pair(with: "bank-a"), tag: Tag(5), timeout: timeout)
            let turns = PSI.Turns(0)
            let waiting = Task { () async -> Result<Void, any Error> in
                do { try await PSI.awaitTurn(bank); return .success(()) } catch { return .failure(error) }
            }
            if keepingAlive {
                // The slot frees after two and a half receive timeouts.
                let freer = Task { try await Task.sleep(for: timeout * 2.5); turns.give() }
                try await turns.take(keepingAlive: receiver)
                try await receiver.send(step: PSI.turnStep, count: 0, bodyBytes: 0) { _ in }
                let r = await waiting.value
                #expect(throws: Never.self) { try r.get() }
                _ = try? await freer.value
            } else {
                // Nobody keeps it alive: the bank gives up after its timeout.
                guard case .failure(let e as JobError) = await waiting.value else { Issue.record("the bank did not time out without keepalives"); continue }
                #expect(e.message.contains("timeout"), "\(e.message)")
            }
        }
    }

    @Test("a spec that does not fit psi gets a problem per field, saying what to write")
    func specProblems() {
        let two: [PartyID: DatasetInput] = ["bank-a": Self.ids(["x"], party: "bank-a"), "bank-b": Self.ids(["y"], party: "bank-b")]
        let cases: [(JobSpec, String, String)] = [
            (spec(two, parameters: ["reveal": "size", "path": "ot"]), "parameters.path", "use path: ecdh"),
            (spec(two, parameters: ["reveal": "all"]), "parameters.reveal", "not intersection, size or count"),
            (spec(two, parameters: ["reveal": "count", "path": "ot"]), "parameters.path", "only the count; use path: ecdh"),
            (spec(two, parameters: ["path": "gc"]), "parameters.path", "not ot or ecdh"),
            (spec(two, parameters: ["normalise": "lower"]), "parameters.normalise", "trim, nfkc, casefold, separators"),
            (spec(two, parameters: ["receiver": "bank-z"]), "parameters.receiver", "not an input party"),
            (spec(two, parameters: [:], recipients: ["bank-a", "bank-b"]), "parameters.receiver", "exactly one recipient"),
            (spec(two, parameters: ["receiver": "bank-a"], recipients: ["bank-b"]), "outputs[1]", "to the receiver bank-a only"),
            (JobHarness.spec(protocol: "psi", inputs: two, compute: ["auditor"], outputs: [JobSpec.Output(name: "result", recipients: ["bank-a"])]),
             "parties[3]", "has no input"),
            (JobHarness.spec(protocol: "psi", inputs: ["bank-a": two["bank-a"]!], compute: ["bank-b"], outputs: [JobSpec.Output(name: "result", recipients: ["bank-a"])]),
             "parties", "at least one other party"),
        ]
        for (s, path, text) in cases {
            let problems = PSI().validate(s, engine: nil)
            #expect(problems.contains { $0.path == path && $0.message.contains(text) }, "\(path): \(problems)")
        }
        #expect(PSI().validate(spec(two, parameters: ["reveal": "size"]), engine: nil).isEmpty)
        #expect(PSI().validate(spec(two, parameters: ["reveal": "count"]), engine: nil).isEmpty)
    }

    @Test("a number column is refused with what to declare instead, naming no value")
    func numberColumn() async throws {
        let inputs: [PartyID: DatasetInput] = ["bank-a": .column("national_id", ["0042"], fractionDigits: 0, party: "bank-a"), "bank-b": Self.ids(["42"], party: "bank-b")]
        let report = try await harness.run(spec(inputs, parameters: [:]), inputs: inputs)
        guard case .failure(let e) = report.outcomes["bank-a"] else { Issue.record("bank-a did not fail"); return }
        #expect(e.code == .invalidInput)
        #expect(e.message.contains("type: identifier"), "\(e.message)")
        #expect(!e.message.contains("0042"))
    }
}
