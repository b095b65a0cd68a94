import Testing
import TacitClaims
import TacitJob
import TacitJobHarness
import TacitMPC
import TacitNet
import TacitProtocols

let categories = Claims.defaultCategories
let ratesHeader = categories.map { "rate_" + $0 }

/// A policy row with `rates` for the named categories and 0 for the rest.
func policyRow(_ member: String, deductible: String, cap: String, paid: String, _ rates: [String: String]) -> [String] {
    [member, deductible, cap, paid] + categories.map { rates[$0] ?? "0" }
}
let policyHeader = ["member_id", "deductible", "annual_cap", "paid_this_year"] + ratesHeader
let billHeader = ["line_id", "claim_id", "member_id", "service_date", "category", "amount"]

@Suite("claims: the plaintext reference, worked by hand")
struct ReferenceTests {
    func payouts(_ bills: [[String]], _ policies: [[String]]) throws -> [ClaimsReference.Payout] {
        let lines = try ClaimsData.bills(Inputs.bills(Inputs.csv([billHeader] + bills)), categories: categories)
        let claims = try ClaimsPlan.claims(lines, categories: categories.count)
        return try ClaimsReference.payouts(claims, policies: try ClaimsData.policies(Inputs.policies(Inputs.csv([policyHeader] + policies)), categories: categories))
    }

    @Test("deductible first, then the rate, then the cap, carried over the member's claims in date order")
    func carryOver() throws {
        // Filed out of order: C3 is dated first.
        let p = try payouts([
            ["L1", "C1", "M1", "2026-02-01", "OP", "400.00"],
            ["L2", "C2", "M1", "2026-03-01", "OP", "600.00"], ["L3", "C2", "M1", "2026-03-01", "DEN", "300.00"],
            ["L4", "C3", "M1", "2026-01-15", "LAB", "50.00"],
            ["L5", "C4", "M1", "2026-04-01", "OP", "1000.00"],
        ], [policyRow("M1", deductible: "500.00", cap: "1000.00", paid: "100.00", ["OP": "0.8", "LAB": "1"])])
        // C3: 50.00 covered, all to the deductible (450.00 left). C1: 320.00 covered, all to the
        // deductible (130.00 left). C2: 480.00 covered (dental not), 350.00 paid. C4: 800.00
        // covered, 550.00 of the 900.00 cap left after 350.00: paid 550.00, cap reached.
        #expect(p.map(\.claimID) == ["C3", "C1", "C2", "C4"])
        #expect(p.map(\.coveredCents) == [5_000, 32_000, 48_000, 80_000])
        #expect(p.map(\.payoutCents) == [0, 0, 35_000, 55_000])
        #expect(p.map(\.capped) == [false, false, false, true])
    }

    @Test("the covered total is rounded to the nearest cent as it grows, so no cent is lost over a year")
    func centRounding() throws {
        let p = try payouts([
            ["L1", "C1", "M1", "2026-01-01", "RX", "1.00"],
            ["L2", "C2", "M1", "2026-01-02", "RX", "1.00"],
            ["L3", "C3", "M1", "2026-01-03", "RX", "1.00"],
            ["L4", "C4", "M2", "2026-01-01", "RX", "0.03"],
        ], [policyRow("M1", deductible: "0", cap: "100", paid: "0", ["RX": "0.8333"]),
            policyRow("M2", deductible: "0", cap: "100", paid: "0", ["RX": "0.5"])])
        // 0.8333 → 0.83; 1.6666 → 1.67 (+0.84); 2.4999 → 2.50 (+0.83); 0.015 → 0.02 (half up).
        #expect(p.map(\.payoutCents) == [83, 84, 83, 2])
    }

    @Test("a member at its cap, a deductible above its bills and uncovered categories pay nothing")
    func zeroPayouts() throws {
        let p = try payouts([
            ["L1", "C1", "M1", "2026-01-01", "ER", "900.00"],
            ["L2", "C2", "M2", "2026-01-01", "LAB", "90.00"],
            ["L3", "C3", "M3", "2026-01-01", "DEN", "200.00"],
        ], [policyRow("M1", deductible: "0", cap: "5000", paid: "5000", ["ER": "1"]),
            policyRow("M2", deductible: "100.00", cap: "5000", paid: "0", ["LAB": "1"]),
            policyRow("M3", deductible: "0", cap: "5000", paid: "0", ["ER": "1"])])
        #expect(p.map(\.payoutCents) == [0, 0, 0])
        #expect(p.map(\.capped) == [true, false, false])
    }
}

@Suite("claims: malformed inputs fail with the column, the row only in the local detail")
struct MalformedInputTests {
    func billsProblem(_ row: [String]) -> JobError? {
        let good = ["L1", "C1", "M1", "2026-01-01", "OP", "10.00"]
        do {
            _ = try ClaimsData.bills(Inputs.bills(Inputs.csv([billHeader, good, row])), categories: categories)
            return nil
        } catch let e as JobError { return e } catch { return nil }
    }

    @Test("unknown category, negative amount, duplicate line id, bad date, two members on one claim")
    func billProblems() throws {
        let cases: [([String], String, String)] = [
            (["L2", "C2", "M1", "2026-01-02", "XRAY9", "10.00"], "category", "XRAY9"),
            (["L2", "C2", "M1", "2026-01-02", "OP", "-12.34"], "amount", "12.34"),
            (["L1", "C2", "M1", "2026-01-02", "OP", "10.00"], "line_id", "L1,"),
            (["L2", "C2", "M1", "2026-02-30", "OP", "10.00"], "service_date", "2026-02-30"),
            (["L2", "C2", "M1", "2026-01-02", "OP", "10.001"], "amount", "10.001"),
        ]
        for (row, column, value) in cases {
            let e = try #require(billsProblem(row), "\(row) should be refused")
            #expect(e.code == .invalidInput)
            #expect(e.message.contains("column '\(column)'"), "\(e.message)")
            #expect(!e.message.contains(value), "the message carries the cell's value: \(e.message)")
            #expect(e.localDetail == "data row 2, column '\(column)'")
        }
        let lines = try ClaimsData.bills(Inputs.bills(Inputs.csv([billHeader, ["L1", "C1", "M1", "2026-01-01", "OP", "1"], ["L2", "C1", "M2", "2026-01-01", "OP", "1"]])), categories: categories)
        #expect(throws: JobError(.invalidInput, "")) { try ClaimsPlan.claims(lines, categories: categories.count) }
    }

    @Test("a policy row twice, paid above the cap, a rate above 1")
    func policyProblems() throws {
        let good = policyRow("M1", deductible: "0", cap: "10", paid: "0", [:])
        for (row, column) in [(good, "member_id"), (policyRow("M2", deductible: "0", cap: "10", paid: "11", [:]), "paid_this_year"),
                              (policyRow("M2", deductible: "0", cap: "10", paid: "0", ["ER": "1.5"]), "rate_ER")] {
            do {
                _ = try ClaimsData.policies(Inputs.policies(Inputs.csv([policyHeader, good, row])), categories: categories)
                Issue.record("\(row) should be refused")
            } catch let e as JobError {
                #expect(e.message.contains("column '\(column)'"), "\(e.message)")
                #expect(e.localDetail == "data row 2, column '\(column)'")
            }
        }
    }
}

@Suite("claims: the generator")
struct GeneratorTests {
    @Test("the same seed gives the same bytes; another seed other data; the edge cases are there")
    func seeded() throws {
        let a = ClaimsGenerator.generate(claims: 2_000, seed: 7), b = ClaimsGenerator.generate(claims: 2_000, seed: 7)
        #expect(a.bills == b.bills && a.policies == b.policies)
        #expect(ClaimsGenerator.generate(claims: 2_000, seed: 8).bills != a.bills)
        #expect(a.claims == 2_000)
        let lines = try ClaimsData.bills(Inputs.bills(a.bills), categories: categories)
        #expect(lines.count == a.lines)
        let claims = try ClaimsPlan.claims(lines, categories: categories.count)
        let policies = try ClaimsData.policies(Inputs.policies(a.policies), categories: categories)
        let p = try ClaimsReference.payouts(claims, policies: policies)
        #expect(p.count == 2_000)
        let perMember = Dictionary(grouping: claims, by: \.memberID).mapValues(\.count)
        #expect(perMember.values.contains { $0 >= 5 }, "members with several claims")
        #expect(policies.values.contains { $0.remainingCapCents == 0 }, "members at their cap")
        let billed = Dictionary(uniqueKeysWithValues: claims.map { ($0.claimID, $0.totals.reduce(0, +)) })
        #expect(p.contains { $0.coveredCents == 0 && billed[$0.claimID, default: 0] > 0 }, "claims with nothing covered")
        #expect(p.contains { $0.coveredCents > 0 && $0.payoutCents == 0 && !$0.capped }, "claims under the deductible")
        #expect(p.contains { $0.capped && $0.payoutCents > 0 }, "claims cut by the cap")
        #expect(lines.contains { $0.cents == 0 }, "zero-amount lines")
    }
}

@Suite("claims: every engine against the plaintext reference")
struct ClaimsJobTests {
    let harness = JobHarness(registry: .standard())

    func spec(_ engine: String, hospital: DatasetInput, insurer: DatasetInput, recipients: [PartyID] = ["insurer"], reportCap: Bool = true) -> JobSpec {
        var parameters = ["hospital": "hospital", "insurer": "insurer", "reportCap": reportCap ? "true" : "false"]
        if engine == "additive-dealer" { parameters["dealer"] = "regulator" }
        return JobHarness.spec(
            protocol: "claims", engine: engine, inputs: ["hospital": hospital, "insurer": insurer], compute: ["regulator"],
            parameters: parameters, outputs: [JobSpec.Output(name: "payouts", recipients: recipients)])
    }

    @Test("payouts and cap flags equal the reference for every claim of seeded datasets",
          arguments: ["replicated", "shamir", "additive-ot", "additive-dealer"])
    func matchesReference(_ engine: String) async throws {
        for (seed, n) in [(UInt64(1), 150), (2, 60), (3, 1)] {
            let data = ClaimsGenerator.generate(claims: n, seed: seed)
            let hospital = Inputs.bills(data.bills), insurer = Inputs.policies(data.policies)
            let claims = try ClaimsPlan.claims(try ClaimsData.bills(hospital, categories: categories), categories: categories.count)
            let expected = try ClaimsReference.payouts(claims, policies: try ClaimsData.policies(insurer, categories: categories))
            let report = try await harness.run(spec(engine, hospital: hospital, insurer: insurer, recipients: ["hospital", "insurer"]),
                                               inputs: ["hospital": hospital, "insurer": insurer])
            for party in ["hospital", "insurer"] as [PartyID] {
                guard case .table(let t) = try report.value("payouts", at: party) else {
                    Issue.record("no table at \(party)")
                    continue
                }
                #expect(t.columns == ["claim_id", "member_id", "payout", "capped"])
                #expect(t.rows.map { $0[0] } == expected.map(\.claimID))
                #expect(t.rows.map { $0[2] } == expected.map { Cents.text($0.payoutCents) }, "seed \(seed) on \(engine)")
                #expect(t.rows.map { $0[3] } == expected.map { $0.capped ? "true" : "false" })
            }
            #expect(try report.value("payouts", at: "regulator") == nil)
        }
    }

    @Test("hand-made edge cases: at the cap, deductible above the bill, nothing covered, zero lines")
    func edgeCases() async throws {
        let bills = Inputs.bills(Inputs.csv([billHeader,
            ["L1", "C1", "M1", "2026-01-01", "ER", "900.00"],
            ["L2", "C2", "M2", "2026-01-01", "LAB", "90.00"], ["L3", "C3", "M2", "2026-01-05", "LAB", "90.00"],
            ["L4", "C4", "M3", "2026-01-01", "DEN", "200.00"], ["L5", "C4", "M3", "2026-01-01", "ER", "0.00"],
            ["L6", "C5", "M4", "2026-01-01", "IP", "1000000.00"], ["L7", "C5", "M4", "2026-01-02", "SURG", "999999.99"],
            ["L8", "C6", "M4", "2026-03-01", "RX", "0.07"]]))
        let policies = Inputs.policies(Inputs.csv([policyHeader,
            policyRow("M1", deductible: "0", cap: "5000", paid: "5000", ["ER": "1"]),
            policyRow("M2", deductible: "100.00", cap: "5000", paid: "0", ["LAB": "1"]),
            policyRow("M3", deductible: "0", cap: "5000", paid: "0", ["ER": "1"]),
            policyRow("M4", deductible: "2500", cap: "1000000000", paid: "0", ["IP": "0.9999", "SURG": "0.0001", "RX": "0.5"]),
            policyRow("M5", deductible: "0", cap: "1", paid: "0", [:])]))
        let claims = try ClaimsPlan.claims(try ClaimsData.bills(bills, categories: categories), categories: categories.count)
        let expected = try ClaimsReference.payouts(claims, policies: try ClaimsData.policies(policies, categories: categories))
        #expect(expected.map(\.payoutCents) == [0, 0, 8_000, 0, 99_750_000, 3])
        for engine in ["replicated", "shamir"] {
            let r = try await harness.run(spec(engine, hospital: bills, insurer: policies), inputs: ["hospital": bills, "insurer": policies])
            guard case .table(let t) = try r.value("payouts", at: "insurer") else { throw JobError(.protocolFailure, "no table") }
            #expect(t.rows.map { $0[2] } == expected.map { Cents.text($0.payoutCents) }, "\(engine)")
            #expect(try r.value("payouts", at: "hospital") == nil)
        }
    }

    @Test("a claim whose member has no policy fails the job at the insurer, naming no member on the ledger")
    func memberWithoutPolicy() async throws {
        let bills = Inputs.bills(Inputs.csv([billHeader, ["L1", "C1", "M1", "2026-01-01", "ER", "9.00"], ["L2", "C2", "M9", "2026-01-01", "ER", "9.00"]]))
        let policies = Inputs.policies(Inputs.csv([policyHeader, policyRow("M1", deductible: "0", cap: "10", paid: "0", [:])]))
        let r = try await harness.run(spec("replicated", hospital: bills, insurer: policies), inputs: ["hospital": bills, "insurer": policies])
        #expect(r.firstFailure == "insurer")
        guard case .failure(let e) = r.outcomes["insurer"] else { Issue.record("the insurer did not fail"); return }
        #expect(e.code == .invalidInput)
        #expect(e.message.contains("no policy") && !e.message.contains("M9"), "\(e.message)")
        #expect(e.localDetail?.contains("M9") == true)
    }

    @Test("a hospital's malformed bills fail the job at the hospital before anything is shared")
    func malformedBillsFailTheJob() async throws {
        let bills = Inputs.bills(Inputs.csv([billHeader, ["L1", "C1", "M1", "2026-01-01", "ER", "-9.00"]]))
        let policies = Inputs.policies(Inputs.csv([policyHeader, policyRow("M1", deductible: "0", cap: "10", paid: "0", [:])]))
        let r = try await harness.run(spec("replicated", hospital: bills, insurer: policies), inputs: ["hospital": bills, "insurer": policies])
        #expect(r.firstFailure == "hospital")
        #expect(r.bytesSent["hospital", default: 0] == 0)
    }

    @Test("specs: parties, columns and recipients are checked before anything runs")
    func specProblems() throws {
        let data = ClaimsGenerator.generate(claims: 5, seed: 1)
        let h = Inputs.bills(data.bills), i = Inputs.policies(data.policies)
        let registry = JobProtocolRegistry.standard()
        #expect(spec("replicated", hospital: h, insurer: i).problems(in: registry).isEmpty)
        var s = spec("replicated", hospital: h, insurer: i, recipients: ["insurer", "regulator"])
        #expect(s.problems(in: registry).contains { $0.path == "outputs[0].recipients" })
        s = spec("replicated", hospital: h, insurer: i, recipients: ["hospital"])
        #expect(s.problems(in: registry).contains { $0.message.contains("must be a recipient") })
        s = spec("replicated", hospital: h, insurer: i)
        s.parameters["hospital"] = nil
        #expect(s.problems(in: registry).contains { $0.message.contains("hospital: PARTY") })
        s = spec("replicated", hospital: h, insurer: i)
        s.parameters["categories"] = "ER,LAB"
        #expect(s.problems(in: registry).contains { $0.path.hasSuffix("input.columns") })
    }
}
