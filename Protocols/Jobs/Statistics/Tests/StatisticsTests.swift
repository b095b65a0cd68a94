import Foundation
import Testing
import TacitJob
import TacitJobHarness
import TacitMPC
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
        // additive-dealer's dealer learns every input: a compute-only party deals.
        let dealer = engine == "additive-dealer"
        let spec = JobHarness.spec(
            protocol: "statistics", engine: engine, inputs: data.inputs, compute: dealer ? ["dealer"] : [],
            parameters: parameters.merging(dealer ? ["dealer": "dealer"] : [:]) { a, _ in a },
            outputs: [JobSpec.Output(name: "result", recipients: recipients)])
        return try await harness.run(spec, inputs: data.inputs)
    }

    @Test("sum, mean and count-above equal the plaintext results", arguments: ["additive-dealer", "additive-ot", "shamir", "replicated"])
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

    /// The dealer of additive-dealer sees every opened value, so it learns the inputs: a spec
    /// must name it, and it must be a compute-only party. Before, the first party in name
    /// order (here the input party a) dealt silently and these specs ran.
    @Test("additive-dealer without a named non-input dealer is refused before running")
    func dealerMustBeNamedAndGiveNoInput() async throws {
        let cases: [([PartyID], [String: String], String)] = [
            ([], [:], "needs a named dealer"),
            (["d"], [:], "needs a named dealer"),
            (["d"], ["dealer": "a"], "is an input party"),
            (["d"], ["dealer": "x"], "is not a party of this job"),
        ]
        for (compute, extra, reason) in cases {
            let spec = JobHarness.spec(
                protocol: "statistics", engine: "additive-dealer", inputs: data.inputs, compute: compute,
                parameters: extra.merging(["statistic": "sum"]) { a, _ in a },
                outputs: [JobSpec.Output(name: "result", recipients: ["c"])])
            let problems = spec.problems(in: .standard())
            #expect(problems.map(\.path) == ["parameters.dealer"], "\(problems)")
            #expect(problems.first?.message.contains(reason) == true, "\(problems)")
            await #expect(throws: JobError(.invalidSpec, "")) { try await harness.run(spec, inputs: data.inputs) }
        }
        // The engine itself refuses too, with its own code, whoever calls it.
        let engine = try JobProtocolRegistry.standard().engine("additive-dealer")
        let inputDealer = #expect(throws: MPCError.self) {
            try engine.configured(["dealer": "a"], parties: ["a", "b", "d"], inputParties: ["a", "b"])
        }
        #expect(inputDealer?.code == MPCError.Code.invalidParameter && inputDealer?.peer == "a", "\(String(describing: inputDealer))")
        let noDealer = #expect(throws: MPCError.self) {
            try engine.configured([:], parties: ["a", "b", "d"], inputParties: ["a", "b"])
        }
        #expect(noDealer?.code == MPCError.Code.invalidParameter, "\(String(describing: noDealer))")
        let ok = try engine.configured(["dealer": "d"], parties: ["a", "b", "d"], inputParties: ["a", "b"])
        #expect(ok.descriptor.learns.contains("The dealer (d) learns the inputs"))
        // What the approver reviews says so, naming the dealer.
        let named = JobHarness.spec(
            protocol: "statistics", engine: "additive-dealer", inputs: data.inputs, compute: ["d"],
            parameters: ["statistic": "sum", "dealer": "d"], outputs: [JobSpec.Output(name: "result", recipients: ["c"])])
        #expect(named.problems(in: .standard()).isEmpty)
        #expect(named.summary(in: .standard()).contains { $0.contains("The dealer (d) learns the inputs") })
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
