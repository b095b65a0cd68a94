import Testing
import TacitCrypto
import TacitJob
import TacitJobHarness
import TacitMath
import TacitNet
@_spi(Testing) import TacitPaillierAggregation
import TacitProtocols

/// A cheating input party (`hospital-b`) runs `PaillierAggregation(misbehaving:)`; the honest
/// parties (`hospital-a`, the recipient `insurer`) run the registered protocol.
@Suite("paillier-aggregation with a misbehaving input party")
struct MisbehavingInputPartyTests {
    static let parties: [PartyID] = ["hospital-a", "hospital-b", "insurer"]
    static let honest: [PartyID] = ["hospital-a", "insurer"]
    static let cheater: PartyID = "hospital-b"
    /// A small 2-of-3 key dealt once for the suite (insecure size: tests only).
    static let dealt = try! Paillier.dealThresholdKey(bits: 512, threshold: 2, parties: 3, policy: .insecureAnySizeForTesting)

    let inputs: [PartyID: DatasetInput] = [
        "hospital-a": .column("amount", ["1200.50", "80.00", "-5.25"], party: "hospital-a"),
        "hospital-b": .column("amount", ["999.99", "1000.01"], party: "hospital-b"),
    ]

    func run(cheat: PaillierAggregation.Misbehaviour) async throws -> JobHarness.Report {
        let index = Dictionary(uniqueKeysWithValues: Self.parties.sorted().enumerated().map { ($0.element, $0.offset + 1) })
        var resources: [PartyID: JobResources] = [:]
        for p in Self.parties {
            resources[p] = JobResources(paillier: PaillierKeyMaterial(share: Self.dealt.1[index[p]! - 1], indexOf: index))
        }
        let spec = JobHarness.spec(protocol: "paillier-aggregation", inputs: inputs, compute: ["insurer"],
                                   parameters: ["statistic": "sum"], outputs: [JobSpec.Output(name: "total", recipients: ["insurer"])])
        return try await JobHarness(registry: .standard()).run(
            spec, inputs: inputs, resources: resources, misbehaving: [Self.cheater: PaillierAggregation(misbehaving: cheat)])
    }

    /// The run must stop at an honest party that names the cheater, and nobody may hold a value.
    func expectCaught(_ r: JobHarness.Report, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let first = r.firstFailure, case .failure(let e)? = r.outcomes[first] else {
            Issue.record("the cheat went unnoticed: the job succeeded with \(String(describing: try? r.value("total", at: "insurer")))",
                         sourceLocation: sourceLocation)
            return
        }
        #expect(Self.honest.contains(first), "the first failure was \(first)'s: \(e.message)", sourceLocation: sourceLocation)
        #expect(e.code == .protocolFailure, sourceLocation: sourceLocation)
        #expect(e.peer == Self.cheater.name, "named \(e.peer ?? "nobody"): \(e.message)", sourceLocation: sourceLocation)
        for p in Self.parties {
            if case .success = r.outcomes[p] { Issue.record("\(p) finished the run", sourceLocation: sourceLocation) }
        }
    }

    @Test("an input party that waits for another's ciphertext and sends E(x)·c^(2^64) is caught before anything is decrypted")
    func malleatedCiphertextIsCaught() async throws {
        // Without commitments the run succeeds and the insurer's total is x_a·(2^64 + 1) + x_b:
        // hospital-a's sum sits in the high bits, for the cheater's ally to read.
        let r = try await run(cheat: .init(waitForOthers: true) { mine, _, received, pk in
            guard let victim = received["hospital-a"] else { return mine }
            return [pk.add(mine[0], try pk.multiply(victim[0], by: BigInt(1) << 64)), mine[1]]
        })
        expectCaught(r)
    }

    @Test("an input party that sends different ciphertexts to different parties is caught and named")
    func equivocationIsCaught() async throws {
        // Each peer's ciphertexts are well formed (and committed to); only comparing what the
        // parties received shows they differ.
        let r = try await run(cheat: .init(waitForOthers: false) { mine, peer, _, pk in
            peer == "insurer" ? [try pk.add(mine[0], plaintext: 100_000), mine[1]] : mine
        })
        expectCaught(r)
    }
}
