import Foundation
import Testing
import TacitJob
import TacitJobHarness
import TacitMeanVariance
import TacitNet
import TacitProtocols

@Suite("mean-variance against plaintext")
struct MeanVarianceTests {
    /// Cents as integers, so the reference is exact: mean = Σx/n, variance = Σ(x − mean)²/n.
    func reference(_ cents: [Int]) -> (mean: String, variance: String) {
        let n = cents.count
        let s = cents.reduce(0, +), q = cents.map { $0 * $0 }.reduce(0, +)
        func fmt(_ num: Int, _ den: Int) -> String {  // num/den in cents, rounded half away from zero
            var v = (2 * abs(num) + den) / (2 * den)
            if num < 0 { v = -v }
            let sign = v < 0 ? "-" : ""
            return "\(sign)\(abs(v) / 100).\(String(format: "%02d", abs(v) % 100))"
        }
        return (fmt(s, n), fmt(n * q - s * s, n * n * 100))
    }

    @Test("mean and variance equal the plaintext computation on every standard engine",
          arguments: ["additive-dealer", "additive-ot", "shamir", "replicated"])
    func matches(_ engine: String) async throws {
        let a = [1050, -325, 99999, 0, 4200], b = [1, 250000, -250000], c = [777]
        func text(_ xs: [Int]) -> [String] { xs.map { String(format: "%@%d.%02d", $0 < 0 ? "-" : "", abs($0) / 100, abs($0) % 100) } }
        let inputs: [PartyID: DatasetInput] = [
            "a": .column("x", text(a), party: "a"), "b": .column("x", text(b), party: "b"), "c": .column("x", text(c), party: "c"),
        ]
        // additive-dealer's dealer learns every input: a compute-only party deals.
        let dealer = engine == "additive-dealer"
        let spec = JobHarness.spec(protocol: "mean-variance", engine: engine, inputs: inputs, compute: dealer ? ["dealer"] : [],
                                   parameters: dealer ? ["dealer": "dealer"] : [:], outputs: [
            JobSpec.Output(name: "mean", recipients: ["a", "b"]), JobSpec.Output(name: "variance", recipients: ["b"]),
        ])
        let report = try await JobHarness(registry: .standard()).run(spec, inputs: inputs)
        let expected = reference(a + b + c)
        #expect(try report.value("mean", at: "a") == .number(expected.mean))
        #expect(try report.value("mean", at: "b") == .number(expected.mean))
        #expect(try report.value("variance", at: "b") == .number(expected.variance))
        #expect(try report.value("variance", at: "a") == nil)
        #expect(try report.value("mean", at: "c") == nil)
    }

    @Test("a spec without the two named outputs is refused")
    func outputsChecked() async throws {
        let inputs: [PartyID: DatasetInput] = ["a": .column("x", ["1.00"], party: "a"), "b": .column("x", ["2.00"], party: "b")]
        let spec = JobHarness.spec(protocol: "mean-variance", engine: "additive-ot", inputs: inputs,
                                   outputs: [JobSpec.Output(name: "mean", recipients: ["a"])])
        await #expect(throws: JobError(.invalidSpec, "")) { try await JobHarness(registry: .standard()).run(spec, inputs: inputs) }
    }
}
