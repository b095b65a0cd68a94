public import TacitMPC
import TacitNet

/// Three-party replicated secret sharing over Z/2^64 (Araki–Furukawa–Lindell–Nof–Ohara
/// 2016; the semi-honest protocols of ABY3, Mohassel–Rindal 2018), semi-honest, honest
/// majority (one corrupt party of three), no dealer and no preprocessing: correlated
/// randomness comes from pairwise PRG keys exchanged once per job. Multiplication is one
/// round and one ring element per party; comparisons run a packed prefix circuit on binary
/// (XOR) replicated shares; truncation is exact up to one unit in the last place. See
/// `Protocols/Engines/Replicated/README.md`.
public struct ReplicatedProtocol: MPCProtocol {
    public let descriptor: ProtocolDescriptor

    public init() {
        descriptor = ProtocolDescriptor(
            name: "replicated",
            summary: "2-out-of-3 replicated sharing over Z/2^64 (ABY3-style), one-round multiplication, no dealer",
            security: SecurityModel(adversary: .semiHonest, corruption: .honestMajority, dealer: .none),
            partyCounts: 3...3,
            learns: "Exactly three compute parties; any one of them sees only two of the three additive components of "
                + "each value (uniformly random whatever the value), messages masked by pseudorandom zero-sharings from "
                + "keys it does not hold, and openings of values masked by uniform ring elements it does not know; it "
                + "learns the outputs revealed to it and the vector lengths. Two colluding parties together hold every "
                + "component and so learn every input: approve only if no two of the three compute parties collude.",
            domain: .ring64, cost: ReplicatedEngine.cost)
    }

    public func makeEngine(_ context: MPCContext) async throws -> any MPCEngine {
        try ReplicatedEngine.requirePartyCount(context, descriptor)
        return try await ReplicatedEngine.make(context)
    }
}

/// This party's replicated shares of a vector over Z/2^64: with x = x₀ + x₁ + x₂, party i
/// holds `own` = xᵢ and `prev` = xᵢ₋₁ (indices mod 3), so each component is held by two
/// parties and each party misses one.
public struct ReplicatedShare: Sendable {
    public var own: [UInt64]
    public var prev: [UInt64]
    public init(own: [UInt64], prev: [UInt64]) {
        precondition(own.count == prev.count, "ReplicatedShare: component lengths differ")
        self.own = own
        self.prev = prev
    }
}
