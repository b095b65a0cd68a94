import Foundation
import Testing
import TacitJob
import TacitJobHarness
import TacitNet
import TacitProtocols
import TacitStatistics

/// The two limits that keep a secret-shared sum exact (values within ±2^40 at the job's scale,
/// at most 2^19 rows in all) fail the job with a clear error instead of wrapping silently.
@Suite("statistics: the exactness limits fail the job")
struct StatisticsLimitTests {
    let harness = JobHarness(registry: .standard())

    func spec(_ inputs: [PartyID: DatasetInput]) -> JobSpec {
        JobHarness.spec(protocol: "statistics", engine: "shamir", inputs: inputs, compute: ["c"],
                        parameters: ["statistic": "sum"], outputs: [JobSpec.Output(name: "result", recipients: ["c"])])
    }

    @Test("a value beyond ±2^40 at the job's scale fails at its owner, without naming the row on the error's message")
    func valueBeyondTheRange() async throws {
        // 2^40 = 1_099_511_627_776; with two fraction digits, 10_995_116_277.76 is exactly 2^40
        // (one past the largest value) and 10_995_116_277.75 is the largest value accepted.
        for (value, fails) in [("10995116277.75", false), ("10995116277.76", true), ("-10995116277.76", true), ("-10995116277.75", false)] {
            let inputs: [PartyID: DatasetInput] = [
                "a": .column("amount", ["1.00", value], party: "a"), "b": .column("amount", ["2.00"], party: "b"),
            ]
            let report = try await harness.run(spec(inputs), inputs: inputs)
            if !fails {
                // The total exceeds 2^40 (each value does not): it is still exact.
                let total = Decimal(string: value)! + 3
                #expect(try report.value("result", at: "c") == .number("\(total)"), "\(value)")
                continue
            }
            guard case .failure(let e) = report.outcomes["a"] else {
                Issue.record("\(value): party a did not fail")
                continue
            }
            #expect(e.code == .invalidInput, "\(value): \(e)")
            #expect(e.message.contains("±2^40") && !e.message.contains("row"), "\(e.message)")
            #expect(e.localDetail == "row 2 of the input", "\(String(describing: e.localDetail))")
            // The other parties see the job fail too, never a result.
            for p: PartyID in ["b", "c"] {
                if case .success = report.outcomes[p] { Issue.record("\(value): \(p) completed") }
            }
        }
    }

    @Test("more than 2^19 rows in all fails the job at every party before anything is shared")
    func tooManyRows() async throws {
        let half = 1 << 18
        for (extra, fails) in [(0, false), (1, true)] {
            let inputs: [PartyID: DatasetInput] = [
                "a": .column("amount", Array(repeating: "1", count: half + extra), fractionDigits: 0, party: "a"),
                "b": .column("amount", Array(repeating: "1", count: half), fractionDigits: 0, party: "b"),
            ]
            let report = try await harness.run(spec(inputs), inputs: inputs)
            if !fails {
                #expect(try report.value("result", at: "c") == .number("\(2 * half).00"))
                continue
            }
            for p: PartyID in ["a", "b", "c"] {
                guard case .failure(let e) = report.outcomes[p] else {
                    Issue.record("\(p) did not fail with \(2 * half + 1) rows")
                    continue
                }
                #expect(e.code == .protocolFailure, "\(p): \(e)")
                #expect(e.message.contains("at most 524288 rows"), "\(p): \(e.message)")
            }
        }
    }
}
