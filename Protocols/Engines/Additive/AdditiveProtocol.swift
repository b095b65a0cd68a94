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
        /// A designated party deals the triples (trusted). `nil` (the first party) only for
        /// tests and benchmarks that call the engine directly: a job names its dealer with
        /// the `dealer` parameter (``configured(_:parties:inputParties:)``), and the job layer
        /// refuses a spec that does not.
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
        var parameters: [EngineParameter] = []
        var learns = "Each party sees only uniformly random shares and uniformly masked openings (x − a for "
            + "a random triple component); it learns the outputs revealed to it and the vector lengths."
        switch preprocessing {
        case .dealer(let d):
            name = "additive-dealer"
            summary = "Additive sharing over Z/2^64, Beaver multiplication, triples from a trusted dealer"
            let who = d.map { "\($0)" } ?? "the party named by the `dealer` parameter"
            security = SecurityModel(
                adversary: .semiHonest, corruption: .dishonestMajority,
                dealer: .trusted(role: "\(who) generates all correlated randomness and learns every input"))
            parameters = [EngineParameter(
                "dealer", "the party that deals the triples (required): a party with roles: [compute] only, never an "
                    + "input party, because the dealer learns every input")]
            learns += " The dealer (\(who)) learns the inputs: it knows every triple, so every masked opening it "
                + "receives (x − a, y − b in each multiplication, and those of comparisons and truncation) gives it the "
                + "value itself; every value multiplied or compared, which in practice means every input, is visible to "
                + "it. Approve only if the dealer may see your data; it must give no input and collude with no one."
        case .obliviousTransfer:
            name = "additive-ot"
            summary = "Additive sharing over Z/2^64, Beaver multiplication, triples by OT extension (SoftSpokenOT, no dealer)"
            security = SecurityModel(adversary: .semiHonest, corruption: .dishonestMajority, dealer: .none)
        }
        descriptor = ProtocolDescriptor(
            name: name, summary: summary, security: security, partyCounts: 2...16,
            learns: learns, domain: .ring64, parameters: parameters, cost: AdditiveEngine.cost)
    }

    /// `additive-dealer` in a job: the `dealer` parameter is required and must name a party
    /// of the job that gives no input (the dealer learns every input, so a data owner as
    /// dealer would see the others' data). `additive-ot` takes no parameters.
    public func configured(_ parameters: [String: String], parties: [PartyID], inputParties: [PartyID]) throws -> any MPCProtocol {
        guard case .dealer = preprocessing else { return self }
        guard let name = parameters["dealer"], !name.isEmpty else {
            throw MPCError(
                .invalidParameter,
                "additive-dealer needs a named dealer: add `dealer: PARTY` under `parameters:`, naming a party with "
                    + "roles: [compute] that gives no input (the dealer learns every input); or use engine additive-ot, "
                    + "which has no dealer")
        }
        let dealer = PartyID(name)
        guard parties.contains(dealer) else {
            throw MPCError(
                .invalidParameter,
                "the dealer '\(name)' is not a party of this job; add it under `parties:` with roles: [compute], or name "
                    + "one of \(parties.map(\.name).joined(separator: ", "))")
        }
        guard !inputParties.contains(dealer) else {
            throw MPCError(
                .invalidParameter,
                "the dealer '\(name)' is an input party; the dealer learns every input, so it must give none: name a "
                    + "party with roles: [compute] only as `dealer:`, or use engine additive-ot", peer: dealer)
        }
        return AdditiveProtocol(preprocessing: .dealer(dealer))
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
