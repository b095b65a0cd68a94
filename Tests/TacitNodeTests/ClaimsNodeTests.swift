import Foundation
import Testing
import TacitClaims
import TacitJob
import TacitNet
@testable import TacitNode

/// The claims job as `make demo` runs it: `tacit init --example claims`, three node
/// processes, every approver's approval, the payouts checked against the plaintext reference;
/// then the same consortium with a malformed bill.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ClaimsNodeTests {
    static let parties = ["acme-insurance", "st-marys", "regulator"]

    func consortium(claims: Int) async throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tc-\(UUID().uuidString.prefix(8))").path
        let r = try await TacitBinary.run(["init", "--example", "claims", "--parties", Self.parties.joined(separator: ","),
                                           "--claims", "\(claims)", "--seed", "5", "--protocol-timeout", "20", dir])
        guard r.status == 0 else { throw TestFailure("tacit init failed: \(r.out)\n\(r.err)") }
        return dir
    }

    func runJob(_ dir: String, _ nodes: [String: NodeProcess], id: String) async throws -> [String: JobStatus] {
        var spec = try String(contentsOfFile: "\(dir)/jobs/claims.yaml", encoding: .utf8)
        spec = "id: \(id)\n" + spec
        let path = "\(dir)/jobs/\(id).yaml"
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let submit = try await TacitBinary.run(["job", "submit", "--config", "\(dir)/acme-insurance/node.yaml", path])
        guard submit.status == 0 else { throw TestFailure("submit: \(submit.err)") }
        for n in Self.parties {
            _ = try await nodes[n]!.waitFor(id, "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: id))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
        var out: [String: JobStatus] = [:]
        for n in Self.parties { out[n] = try await nodes[n]!.waitFor(id, timeout: .seconds(180), "ended") { $0.phase.isTerminal } }
        return out
    }

    @Test("the demo's job: payouts equal the reference, the regulator reads the sealed copy; a negative amount fails the next job, its row and file only in the hospital's log")
    func claimsJobAcrossThreeNodes() async throws {
        let dir = try await consortium(claims: 400)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var nodes: [String: NodeProcess] = [:]
        for n in Self.parties { nodes[n] = try NodeProcess(name: n, config: "\(dir)/\(n)/node.yaml") }
        defer { nodes.values.forEach { $0.kill() } }
        for n in Self.parties { try await nodes[n]!.waitReady() }

        let done = try await runJob(dir, nodes, id: "claims-1")
        for (n, s) in done { #expect(s.phase == .completed, "\(n): \(s.reason ?? "")") }
        let result = try nodes["acme-insurance"]!.ask(ControlRequest(op: "result", job: "claims-1"))
        guard case .table(let t)? = result.result?.outputs.first?.value else { throw TestFailure("no payout table: \(result.error ?? "")") }

        // The reference, from the very files the nodes read.
        let reader = { (party: String, name: String) throws -> DatasetInput in
            let config = try NodeConfig.load(path: "\(dir)/\(party)/node.yaml")
            return try DatasetReader(owner: PartyID(party), datasets: config.datasets).read(
                JobSpec.InputSelection(dataset: name, columns: config.datasets[0].columns.map(\.name)), jobID: "claims-1",
                approval: Approval(jobID: "claims-1", party: PartyID(party), dataset: name, columns: config.datasets[0].columns.map(\.name)))
        }
        let categories = Claims.defaultCategories
        let claims = try ClaimsPlan.claims(try ClaimsData.bills(try reader("st-marys", "bills"), categories: categories), categories: categories.count)
        let expected = try ClaimsReference.payouts(claims, policies: try ClaimsData.policies(try reader("acme-insurance", "policies"), categories: categories))
        #expect(t.rows.count == 400)
        #expect(t.rows.map { [$0[0], $0[2], $0[3]] } == expected.map { [$0.claimID, Cents.text($0.payoutCents), $0.capped ? "true" : "false"] })
        #expect(try nodes["st-marys"]!.ask(ControlRequest(op: "result", job: "claims-1")).result == nil)
        // The regulator is granted the table sealed on the ledger and reads it from its replica.
        let sealed = try nodes["regulator"]!.ask(ControlRequest(op: "result", job: "claims-1"))
        #expect(sealed.result?.outputs.first?.value == .table(t), "\(sealed.error ?? "")")

        // A negative amount on the fifth data row.
        let bills = "\(dir)/st-marys/data/bills.csv"
        var rows = try String(contentsOfFile: bills, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var cells = rows[5].split(separator: ",").map(String.init)
        cells[5] = "-" + cells[5]
        rows[5] = cells.joined(separator: ",")
        try rows.joined(separator: "\n").write(toFile: bills, atomically: true, encoding: .utf8)
        let failed = try await runJob(dir, nodes, id: "claims-2")
        for (n, s) in failed { #expect(s.phase == .failed, "\(n)") }
        let reason = failed["regulator"]?.reason ?? ""
        #expect(reason.contains("column 'amount'") && reason.contains("negative"), "\(reason)")
        #expect(!reason.contains("data row") && !reason.contains(bills) && !reason.contains(cells[5]), "\(reason)")
        let log = nodes["st-marys"]!.stderr
        #expect(log.contains("data row 5, column 'amount' of \(bills)"), "the hospital's log: \(log.suffix(2000))")
        // The nodes stay up.
        for n in Self.parties { #expect(nodes[n]!.isRunning, "\(n)") }
    }
}
