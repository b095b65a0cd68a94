import Testing
import TacitCrypto
import TacitJob
import TacitJobHarness
import TacitMath
import TacitMPC
import TacitNet
import TacitPaillierAggregation
import TacitProtocols

@Suite("paillier-aggregation against plaintext")
struct PaillierAggregationTests {
    static let parties: [PartyID] = ["hospital-a", "hospital-b", "insurer"]
    /// A small 2-of-3 key dealt once for the suite (insecure size: tests only).
    static let dealt = try! Paillier.dealThresholdKey(bits: 512, threshold: 2, parties: 3, policy: .insecureAnySizeForTesting)

    func resources(holders: [PartyID] = parties) -> [PartyID: JobResources] {
        let index = Dictionary(uniqueKeysWithValues: Self.parties.sorted().enumerated().map { ($0.element, $0.offset + 1) })
        var out: [PartyID: JobResources] = [:]
        for p in holders { out[p] = JobResources(paillier: PaillierKeyMaterial(share: Self.dealt.1[index[p]! - 1], indexOf: index)) }
        return out
    }

    let inputs: [PartyID: DatasetInput] = [
        "hospital-a": .column("amount", ["1200.50", "80.00", "-5.25"], party: "hospital-a"),
        "hospital-b": .column("amount", ["999.99", "1000.01"], party: "hospital-b"),
    ]

    func run(_ statistic: String, holders: [PartyID] = parties) async throws -> JobHarness.Report {
        let spec = JobHarness.spec(protocol: "paillier-aggregation", inputs: inputs, compute: ["insurer"],
                                   parameters: ["statistic": statistic], outputs: [JobSpec.Output(name: "total", recipients: ["insurer"])])
        return try await JobHarness(registry: .standard()).run(spec, inputs: inputs, resources: resources(holders: holders))
    }

    @Test("sum, count and mean equal the plaintext results; only the recipient holds the value")
    func matchesPlaintext() async throws {
        // 1200.50 + 80.00 − 5.25 + 999.99 + 1000.01 = 3275.25 over 5 rows.
        for (statistic, expected) in [("sum", "3275.25"), ("count", "5"), ("mean", "655.05")] {
            let r = try await run(statistic)
            #expect(try r.value("total", at: "insurer") == .number(expected), "\(statistic)")
            #expect(try r.value("total", at: "hospital-a") == nil)
            #expect(Set(try r.results().values.map { $0.outputs[0].digest }).count == 1)
        }
    }

    @Test("a party without a key share fails the run with a missing-resource error")
    func missingShare() async throws {
        let r = try await run("sum", holders: ["hospital-a", "insurer"])
        guard case .failure(let e)? = r.outcomes["hospital-b"] else { Issue.record("hospital-b did not fail"); return }
        #expect(e.code == .missingResource)
    }

    @Test("a protocol that does not declare the key share is not given it")
    func undeclaredNeedsGetNothing() async throws {
        // statistics declares only .engine: asking its context for the Paillier share fails.
        struct Peek: JobProtocol {
            let descriptor = JobDescriptor(name: "peek", summary: "", security: "", learns: "", needs: .engine)
            func validate(_ spec: JobSpec, engine: TacitMPC.ProtocolDescriptor?) -> [SpecProblem] { [] }
            func run(_ ctx: JobContext) async throws -> [String: JobValue] {
                _ = try ctx.paillierKeyShare()
                return [:]
            }
        }
        var registry = JobProtocolRegistry.standard()
        try registry.register(Peek())
        let spec = JobHarness.spec(protocol: "peek", engine: "additive-ot", inputs: inputs, compute: ["insurer"],
                                   outputs: [JobSpec.Output(name: "total", recipients: ["insurer"])])
        let r = try await JobHarness(registry: registry).run(spec, inputs: inputs, resources: resources())
        let errors = r.outcomes.values.compactMap { if case .failure(let e) = $0 { e } else { nil } }
        #expect(errors.count == 3, "the undeclared share was handed out")
        #expect(errors.contains { $0.code == .missingResource })
    }
}
