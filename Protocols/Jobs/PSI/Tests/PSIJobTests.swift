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

    @Test("a spec that does not fit psi gets a problem per field, saying what to write")
    func specProblems() {
        let two: [PartyID: DatasetInput] = ["bank-a": Self.ids(["x"], party: "bank-a"), "bank-b": Self.ids(["y"], party: "bank-b")]
        let cases: [(JobSpec, String, String)] = [
            (spec(two, parameters: ["reveal": "size", "path": "ot"]), "parameters.path", "use path: ecdh"),
            (spec(two, parameters: ["reveal": "all"]), "parameters.reveal", "not intersection or size"),
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
