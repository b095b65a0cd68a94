import Foundation
import Testing
import TacitJob
import TacitNode
import TacitTestSupport

/// The psi job between three node processes: an insurer checks which of its claim ids the two
/// hospitals also hold (double billing), through approval, commitments, two pairwise PSIs
/// over the consortium's mesh, the result at the insurer only and the ledger record.
@Suite("psi as a job between node processes")
struct PSINodeTests {
    static let parties = ["insurer", "hospital-a", "hospital-b"]

    @Test func anInsurerFindsClaimsBothItAndTheHospitalsHold() async throws {
        let c = try await LocalConsortium(Self.parties, timeout: 30)
        defer { c.cleanup() }
        // The sample config declares claim_id as an identifier column. The insurer's sample
        // holds C-1001, C-1002, C-1003; the hospitals hold some of them, spelled differently.
        try "claim_id,patient_age,amount,diagnosis\n c-1001,54,1200.50,J18.9\nR-2002,29,42.10,J06.9\nC-1003,71,87.25,I10\n"
            .write(toFile: "\(c.dir)/hospital-a/data/claims.csv", atomically: true, encoding: .utf8)
        try "claim_id,patient_age,amount,diagnosis\nＣ-１００３,71,87.25,I10\nN-3002,82,2250.00,S72.0\n"
            .write(toFile: "\(c.dir)/hospital-b/data/claims.csv", atomically: true, encoding: .utf8)
        let nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }
        let spec = """
            id: psi-1
            protocol: psi
            description: which of the insurer's claims the hospitals also hold
            parties:
              - {name: insurer, roles: [input], input: {dataset: claims, columns: [claim_id]}}
              - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [claim_id]}}
              - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [claim_id]}}
            outputs:
              - {name: result, recipients: [insurer]}
            """
        let submit = try await TacitBinary.run(["job", "submit", "--config", c.config("insurer"), try c.writeSpec(spec, name: "psi-1.yaml")])
        #expect(submit.status == 0, "\(submit.err)")
        for n in Self.parties {
            _ = try await nodes[n]!.waitFor("psi-1", "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: "psi-1"))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
        for n in Self.parties {
            let s = try await nodes[n]!.waitFor("psi-1", "finished") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(n): \(s.reason ?? "")\n\(nodes[n]!.stderr)")
        }
        let r = try nodes["insurer"]!.ask(ControlRequest(op: "result", job: "psi-1"))
        let value = try #require(r.result?.outputs.first?.value, "\(r.error ?? "")")
        #expect(value == .table(try JobTable(columns: ["row", "claim_id", "listedBy"], rows: [
            ["1", "C-1001", "hospital-a"], ["3", "C-1003", "hospital-a;hospital-b"],
        ])))
        // The hospitals are not recipients: they hold the digest only.
        for n in ["hospital-a", "hospital-b"] { #expect(!(try nodes[n]!.ask(ControlRequest(op: "result", job: "psi-1"))).ok) }
        // The CLI writes the insurer's matched rows as CSV.
        let csv = "\(c.dir)/matches.csv"
        let w = try await TacitBinary.run(["job", "result", "psi-1", "--config", c.config("insurer"), "--csv", csv])
        #expect(w.status == 0, "\(w.err)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "row,claim_id,listedBy\n1,C-1001,hospital-a\n3,C-1003,hospital-a;hospital-b\n")

        // The stricter mode: per claim only how many hospitals hold it.
        #expect(try await Self.run("psi-2", "reveal: count", c, nodes) == .table(try JobTable(columns: ["row", "claim_id", "listings"], rows: [
            ["1", "C-1001", "1"], ["3", "C-1003", "2"],
        ])))
        // Unbalanced mode: the hospitals keep their lists prepared between jobs; after
        // hospital-b's list changes, the next job sees the change.
        #expect(try await Self.run("psi-3", "prepared: \"yes\"", c, nodes) == value)
        for n in Self.parties {
            let kept = (FileManager.default.subpaths(atPath: "\(c.dir)/\(n)/data/protocol-state") ?? []).filter { $0.contains("/") }
            #expect(kept.count == 2 - (n == "insurer" ? 0 : 1), "\(n): \(kept)")
        }
        try "claim_id,patient_age,amount,diagnosis\nN-3002,82,2250.00,S72.0\nC-1002,40,10.00,I10\n"
            .write(toFile: "\(c.dir)/hospital-b/data/claims.csv", atomically: true, encoding: .utf8)
        #expect(try await Self.run("psi-4", "prepared: \"yes\"", c, nodes) == .table(try JobTable(columns: ["row", "claim_id", "listedBy"], rows: [
            ["1", "C-1001", "hospital-a"], ["2", "C-1002", "hospital-b"], ["3", "C-1003", "hospital-a"],
        ])))

        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0, "\(nodes[n]!.stderr)") }
        let v = try await TacitBinary.run(["ledger", "verify", "--db", "\(c.dir)/insurer/data/ledger.sqlite"])
        #expect(v.status == 0 && v.out.contains("job psi-1 (psi): complete") && v.out.contains("job psi-4 (psi): complete"), "\(v.out)\(v.err)")
    }

    /// Submits the three-party claims job with `parameters` (YAML lines), has every party
    /// approve it, and returns the insurer's result.
    static func run(_ id: String, _ parameters: String, _ c: LocalConsortium, _ nodes: [String: NodeProcess]) async throws -> JobValue? {
        let spec = """
            id: \(id)
            protocol: psi
            parties:
              - {name: insurer, roles: [input], input: {dataset: claims, columns: [claim_id]}}
              - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [claim_id]}}
              - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [claim_id]}}
            parameters:
              \(parameters)
            outputs:
              - {name: result, recipients: [insurer]}
            """
        let submit = try await TacitBinary.run(["job", "submit", "--config", c.config("insurer"), try c.writeSpec(spec, name: "\(id).yaml")])
        #expect(submit.status == 0, "\(submit.err)")
        for n in parties {
            _ = try await nodes[n]!.waitFor(id, "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: id))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
        for n in parties {
            let s = try await nodes[n]!.waitFor(id, "finished") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(id) at \(n): \(s.reason ?? "")\n\(nodes[n]!.stderr)")
        }
        return try nodes["insurer"]!.ask(ControlRequest(op: "result", job: id)).result?.outputs.first?.value
    }
}
