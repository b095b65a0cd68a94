/// Who the protocol protects against, stated by every protocol and shown to operators before
/// they approve a job.
public struct SecurityModel: Hashable, Sendable, CustomStringConvertible {
    public enum Adversary: String, Hashable, Sendable {
        /// Corrupt parties follow the protocol but try to learn from what they see.
        case semiHonest = "semi-honest"
        /// Corrupt parties may deviate arbitrarily.
        case malicious
        /// No protection at all (test and template protocols only).
        case none
    }
    public enum Corruption: String, Hashable, Sendable {
        /// Secure while fewer than half the parties collude.
        case honestMajority = "honest majority"
        /// Secure while at least one party is honest.
        case dishonestMajority = "dishonest majority"
        case notApplicable = "n/a"
    }
    public enum Dealer: Hashable, Sendable {
        /// No party beyond the computing parties is trusted.
        case none
        /// A designated node produces the correlated randomness and is trusted not to
        /// collude (it could reconstruct everything it helped with).
        case trusted(role: String)
    }

    public let adversary: Adversary
    public let corruption: Corruption
    public let dealer: Dealer

    public init(adversary: Adversary, corruption: Corruption, dealer: Dealer) {
        self.adversary = adversary
        self.corruption = corruption
        self.dealer = dealer
    }

    /// Whether a single party's view is independent of the other parties' inputs.
    public var hidesInputs: Bool { adversary != .none }

    public var description: String {
        switch dealer {
        case .none: "\(adversary.rawValue), \(corruption.rawValue), no dealer"
        case .trusted(let role): "\(adversary.rawValue), \(corruption.rawValue), trusted dealer (\(role))"
        }
    }
}

/// The operations of the runtime's vector API; costs are declared per operation.
public enum MPCOperation: String, CaseIterable, Hashable, Sendable {
    case input, add, subtract, multiplyByConstant, multiply, dot, sum
    case multiplyFixed, lessThan, greaterThan, equal, max, min, select, reveal
}

/// The online cost of one operation on a vector, per party: communication rounds, and the
/// bytes this party sends per vector element (to all peers together). Preprocessing is
/// stated separately in each protocol's README.
public struct OperationCost: Hashable, Sendable, CustomStringConvertible {
    public let rounds: Int
    public let bytesSentPerElement: Int
    public init(rounds: Int, bytesSentPerElement: Int) {
        self.rounds = rounds
        self.bytesSentPerElement = bytesSentPerElement
    }
    public static let local = OperationCost(rounds: 0, bytesSentPerElement: 0)
    public var description: String { "\(rounds) rounds, \(bytesSentPerElement) B/element sent" }
}

/// The plaintext arithmetic a protocol computes in, so that callers (and the conformance
/// suite) know what "the right answer" is.
public enum PlaintextDomain: Hashable, Sendable, CustomStringConvertible {
    /// Two's complement 64-bit integers, wrapping (Z/2^64).
    case ring64
    /// Integers modulo a prime, read in the centred range (−p/2, p/2).
    case primeField(modulus: UInt64)

    /// The domain's representative of an integer, as a signed value.
    public func reduce(_ x: Int128) -> Int64 {
        switch self {
        case .ring64:
            return Int64(truncatingIfNeeded: x)
        case .primeField(let p):
            let m = Int128(p)
            var r = x % m
            if r < 0 { r += m }
            if r > m / 2 { r -= m }
            return Int64(r)
        }
    }

    public var description: String {
        switch self {
        case .ring64: "Z/2^64"
        case .primeField(let p): "GF(\(p))"
        }
    }
}

/// The ranges where an engine's non-linear operations are exact (or exact up to the
/// documented last-bit error). Outside them results are unspecified, never an error.
public struct OperationBounds: Hashable, Sendable {
    /// `lessThan(x, y)` and friends are correct when `|x − y| < comparisonBound`.
    public let comparisonBound: Int128
    /// `multiplyFixed(x, y, f)` is ⌊x·y / 2^f⌋ + e with 0 ≤ e ≤ `truncationError` when
    /// `|x·y| < fixedProductBound` (the product before truncation, with 2f fractional bits):
    /// truncation rounds down and may err upwards only.
    public let fixedProductBound: Int128
    /// Largest error of a truncation above the floor, in units of the last place.
    public let truncationError: Int
    public init(comparisonBound: Int128, fixedProductBound: Int128, truncationError: Int) {
        self.comparisonBound = comparisonBound
        self.fixedProductBound = fixedProductBound
        self.truncationError = truncationError
    }
}

/// What a protocol states about itself: name, security model, supported party counts, what
/// each party learns, and the cost of each operation. Shown by tooling, checked by the
/// runtime (party counts), and used by the conformance suite.
public struct ProtocolDescriptor: Sendable {
    /// The bind name jobs use, e.g. `additive-dealer`.
    public let name: String
    public let summary: String
    public let security: SecurityModel
    public let partyCounts: ClosedRange<Int>
    /// What each party learns beyond its own inputs and the outputs revealed to it.
    public let learns: String
    public let domain: PlaintextDomain
    /// Online cost of an operation for a party count.
    public let cost: @Sendable (MPCOperation, Int) -> OperationCost
    /// The keys a job spec may set under `parameters:` for this engine (e.g. `dealer`),
    /// applied by ``MPCProtocol/configured(_:parties:inputParties:)``.
    public let parameters: [EngineParameter]

    public init(
        name: String, summary: String, security: SecurityModel, partyCounts: ClosedRange<Int>,
        learns: String, domain: PlaintextDomain, parameters: [EngineParameter] = [],
        cost: @escaping @Sendable (MPCOperation, Int) -> OperationCost
    ) {
        self.name = name
        self.summary = summary
        self.security = security
        self.partyCounts = partyCounts
        self.learns = learns
        self.domain = domain
        self.parameters = parameters
        self.cost = cost
    }

    public var parameterNames: [String] { parameters.map(\.name) }

    /// A table of costs for `partyCount`, for READMEs and `tacit protocols`.
    public func costTable(partyCount: Int) -> String {
        MPCOperation.allCases.map { "\($0.rawValue): \(cost($0, partyCount))" }.joined(separator: "\n")
    }
}

/// A setting a job spec gives an engine under `parameters:` (values are strings there).
public struct EngineParameter: Sendable, Hashable {
    public let name: String
    /// What it means and which values it takes.
    public let summary: String
    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }
}
