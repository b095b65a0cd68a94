public import TacitMPC
public import TacitNet
import TacitMath

/// Additive secret sharing over Z/2^64 for n ≥ 2 parties, semi-honest, dishonest majority
/// (SPDZ-style sharing without MACs; the semi-honest protocol of SecureML/ABY/CrypTen
/// generalised to n parties). Multiplication by Beaver triples; comparison by a binary adder
/// on XOR-shared words (64 lanes per word) evaluated with binary Beaver triples; fixed-point
/// truncation by truncation pairs. See `Protocols/Engines/Additive/README.md`.
public struct AdditiveProtocol: MPCProtocol {
    public enum Preprocessing: Sendable {
        /// A designated party deals the triples (trusted; `nil` = the first party).
        case dealer(PartyID?)
        /// The parties generate triples among themselves with OT extension.
        case obliviousTransfer
    }

    public let preprocessing: Preprocessing
    public let descriptor: ProtocolDescriptor

    public init(preprocessing: Preprocessing) {
        self.preprocessing = preprocessing
        let security: SecurityModel
        let name: String
        let summary: String
        switch preprocessing {
        case .dealer:
            name = "additive-dealer"
            summary = "Additive sharing over Z/2^64, Beaver multiplication, triples from a trusted dealer"
            security = SecurityModel(
                adversary: .semiHonest, corruption: .dishonestMajority,
                dealer: .trusted(role: "the first party (or the one named) generates all correlated randomness"))
        case .obliviousTransfer:
            name = "additive-ot"
            summary = "Additive sharing over Z/2^64, Beaver multiplication, triples by IKNP OT extension (no dealer)"
            security = SecurityModel(adversary: .semiHonest, corruption: .dishonestMajority, dealer: .none)
        }
        descriptor = ProtocolDescriptor(
            name: name, summary: summary, security: security, partyCounts: 2...16,
            learns: "Each party sees only uniformly random shares and uniformly masked openings (x − a for "
                + "a random triple component); it learns the outputs revealed to it and the vector lengths. "
                + (security.dealer == .none ? "" : "The dealer additionally knows every triple, so it must not collude."),
            domain: .ring64, cost: AdditiveEngine.cost)
    }

    public func makeEngine(_ context: MPCContext) async throws -> any MPCEngine {
        try AdditiveEngine.requirePartyCount(context, descriptor)
        let source: any TripleSource
        switch preprocessing {
        case .dealer(let d): source = DealerTripleSource(dealer: d)
        case .obliviousTransfer: source = OTTripleSource()
        }
        return try await AdditiveEngine.make(context, source: source)
    }
}

/// This party's additive shares of a vector over Z/2^64.
public struct RingShare: Sendable {
    public var words: [UInt64]
    public init(_ words: [UInt64]) { self.words = words }
}
