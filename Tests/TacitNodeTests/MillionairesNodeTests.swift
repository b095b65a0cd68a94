import Foundation
import Testing
import TacitJob
import TacitNode
import TacitTestSupport

/// The millionaires job between two of three node processes: approval, commitments, the run
/// over the consortium's mesh (which the third member is on but not part of), the ledger record.
@Suite("millionaires as a job between node processes")
struct MillionairesNodeTests {
    static let parties = ["insurer", "hospital-a", "hospital-b"]

    static func amounts(_ csv: String) -> [Decimal] {
        let lines = csv.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let col = header.firstIndex(of: "amount") ?? 0
        return lines.dropFirst().map { Decimal(string: String($0.split(separator: ",")[col]))! }
    }

    @Test func twoHospitalsCompareTheirClaimsRowByRow() async throws {
        let c = try await LocalConsortium(Self.parties, timeout: 30)
        defer { c.cleanup() }
        // hospital-b's sample gets as many rows as hospital-a's, with amounts around them
        // (equal, one cent more, less), so every case of the predicate shows up.
        let a = try String(contentsOfFile: "\(c.dir)/hospital-a/data/claims.csv", encoding: .utf8)
        let xs = Self.amounts(a)
        let offsets: [Decimal] = [0, Decimal(string: "0.01")!, -1000, 5]
        var b = "claim_id,patient_age,amount,diagnosis\n"
        var ys: [Decimal] = []
        for (i, x) in xs.enumerated() {
            let y = x + offsets[i % offsets.count]
            ys.append(y)
            b += "B-\(i),40,\(NSDecimalNumber(decimal: y).stringValue),Z00\n"
        }
        try b.write(toFile: "\(c.dir)/hospital-b/data/claims.csv", atomically: true, encoding: .utf8)

        let nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }
        let spec = """
            id: cmp-1
            protocol: millionaires
            description: which of hospital-a's claims exceed hospital-b's, row by row
            parties:
              - name: hospital-a
                roles: [input]
                input: {dataset: claims, columns: [amount]}
              - name: hospital-b
                roles: [input]
                input: {dataset: claims, columns: [amount]}
            parameters:
              predicate: ge
              left: hospital-a
              fractionDigits: "2"
            outputs:
              - name: result
                recipients: [hospital-a]
            """
        let submit = try await TacitBinary.run(["job", "submit", "--config", c.config("hospital-a"), try c.writeSpec(spec, name: "cmp-1.yaml")])
        #expect(submit.status == 0, "\(submit.err)")
        for n in ["hospital-a", "hospital-b"] {
            _ = try await nodes[n]!.waitFor("cmp-1", "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: "cmp-1"))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
        for n in ["hospital-a", "hospital-b"] {
            let s = try await nodes[n]!.waitFor("cmp-1", "finished") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(n): \(s.reason ?? "")\n\(nodes[n]!.stderr)")
        }
        let want = zip(xs, ys).map { $0 >= $1 ? "1" : "0" }
        let r = try nodes["hospital-a"]!.ask(ControlRequest(op: "result", job: "cmp-1"))
        let value = try #require(r.result?.outputs.first?.value, "\(r.error ?? "")")
        if want.count == 1 {
            #expect(value == .number(want[0]))
        } else {
            #expect(value == .table(try JobTable(columns: ["result"], rows: want.map { [$0] })))
        }
        // hospital-b is not a recipient: it holds the digest only.
        #expect(!(try nodes["hospital-b"]!.ask(ControlRequest(op: "result", job: "cmp-1"))).ok)
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0, "\(nodes[n]!.stderr)") }
        let v = try await TacitBinary.run(["ledger", "verify", "--db", "\(c.dir)/insurer/data/ledger.sqlite"])
        #expect(v.status == 0 && v.out.contains("job cmp-1 (millionaires): complete"), "\(v.out)\(v.err)")
    }
}
