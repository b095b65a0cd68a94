import Foundation
import Testing
import TacitJob
import TacitJobHarness
import TacitNet
import TacitProtocols
import TacitStatistics

/// Inputs of three hospitals with plaintext answers computed independently (Decimal).
struct Columns {
    let byParty: [PartyID: [String]] = [
        "a": ["1200.50", "80.00", "-5.25", "1000.00"],
        "b": ["999.99", "1000.01", "0.00"],
        "c": ["2500.10"],
    ]
    var all: [Decimal] { byParty.values.flatMap { $0 }.map { Decimal(string: $0)! } }
    var inputs: [PartyID: DatasetInput] {
        Dictionary(uniqueKeysWithValues: byParty.map { ($0.key, DatasetInput.column("amount", $0.value, party: $0.key)) })
    }
}

@Suite("statistics: every engine against plaintext")
struct StatisticsTests {
    let harness = JobHarness(registry: .standard())
    let data = Columns()

    func run(_ engine: String, _ parameters: [String: String], recipients: [PartyID] = ["c"]) async throws -> JobHarness.Report {
        let spec = JobHarness.spec(
            protocol: "statistics", engine: engine, inputs: data.inputs, parameters: parameters,
            outputs: [JobSpec.Output(name: "result", recipients: recipients)])
        return try await harness.run(spec, inputs: data.inputs)
    }

    @Test("sum, mean and count-above equal the plaintext results", arguments: ["additive-dealer", "additive-ot", "shamir"])
    func matchesPlaintext(_ engine: String) async throws {
        let total = data.all.reduce(0, +)
        var mean = total / Decimal(data.all.count)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &mean, 2, .plain)
        let above = data.all.filter { $0 > 1000 }.count
        let sum = try await run(engine, ["statistic": "sum"])
        #expect(try sum.value("result", at: "c") == .number("\(total)"))
        #expect(try sum.value("result", at: "a") == nil)
        let m = try await run(engine, ["statistic": "mean"])
        #expect(try m.value("result", at: "c") == .number("\(rounded)"))
        let c = try await run(engine, ["statistic": "count-above", "threshold": "1000.00"])
        #expect(try c.value("result", at: "c") == .number("\(above)"))
        // Every party records the same digest.
        let digests = Set(try c.results().values.map { $0.outputs[0].digest })
        #expect(digests.count == 1)
    }

    @Test("a spec naming no engine, an unknown engine or a bad statistic is refused before running")
    func badSpecs() async throws {
        for (engine, parameters) in [(nil, ["statistic": "sum"]), ("nope", ["statistic": "sum"]), ("shamir", ["statistic": "median"])] as [(String?, [String: String])] {
            let spec = JobHarness.spec(protocol: "statistics", engine: engine, inputs: data.inputs, parameters: parameters,
                                       outputs: [JobSpec.Output(name: "result", recipients: ["c"])])
            await #expect(throws: JobError(.invalidSpec, "")) { try await harness.run(spec, inputs: data.inputs) }
        }
    }

    @Test("a value beyond ±2^40 fails the job at its owner")
    func outOfRange() async throws {
        var inputs = data.inputs
        inputs["a"] = .column("amount", ["99999999999.00"], party: "a")
        let spec = JobHarness.spec(protocol: "statistics", engine: "shamir", inputs: inputs, parameters: [:],
                                   outputs: [JobSpec.Output(name: "result", recipients: ["c"])])
        let report = try await harness.run(spec, inputs: inputs)
        guard case .failure(let e)? = report.outcomes["a"] else { Issue.record("a did not fail"); return }
        #expect(e.code == .invalidInput)
    }
}
