public import TacitNet

/// A protocol family plugged into Tacit. Implement this (and an ``MPCEngine``) in a target
/// under `Protocols/`, register an instance in a ``EngineRegistry`` at start-up, and every
/// job, tool and the conformance suite can use it. Nothing in the core changes.
public protocol MPCProtocol: Sendable {
    var descriptor: ProtocolDescriptor { get }

    /// Sets up this party's side for one job (exchanging seeds, checking the party count) and
    /// returns the engine that runs the job's operations. Called inside ``MPCContext/run``.
    func makeEngine(_ context: MPCContext) async throws -> any MPCEngine

    /// This engine set up for one job: `parameters` are the spec's values for the keys the
    /// descriptor declares (``ProtocolDescriptor/parameters``), `parties` the job's parties
    /// and `inputParties` those that give data. Throws ``MPCError/Code/invalidParameter``
    /// saying what to write when a required one is missing or does not fit the job. Jobs
    /// always run the configured engine; the default (for engines without parameters)
    /// returns `self`.
    func configured(_ parameters: [String: String], parties: [PartyID], inputParties: [PartyID]) throws -> any MPCProtocol
}

extension MPCProtocol {
    public func configured(_ parameters: [String: String], parties: [PartyID], inputParties: [PartyID]) throws -> any MPCProtocol {
        self
    }
}

/// One party's engine for one job: the vector operations on secret-shared values. All
/// parties call the same operations in the same order (they run the same program); an
/// operation that communicates is one or more protocol steps of the context.
///
/// Plaintexts are `Int64` read in the protocol's ``PlaintextDomain``. Comparison results are
/// shares of 0 or 1. Protocols implement the primitives; the composite operations (dot,
/// greater-than, equality, max, min, select, fixed-point multiply) have default
/// implementations built from them, which a protocol may replace with faster ones.
public protocol MPCEngine: AnyObject {
    associatedtype Share

    var context: MPCContext { get }
    /// Where exactness holds for comparisons and truncation.
    var bounds: OperationBounds { get }

    /// `owner` secret-shares `values` (only the owner passes them; everyone passes `count`).
    func input(_ values: [Int64]?, from owner: PartyID, count: Int) async throws -> Share
    func count(_ x: Share) -> Int
    func add(_ x: Share, _ y: Share) -> Share
    func subtract(_ x: Share, _ y: Share) -> Share
    /// Element-wise product with public constants (one per element, or one for all).
    func multiply(_ x: Share, byConstants c: [Int64]) -> Share
    func addConstants(_ x: Share, _ c: [Int64]) -> Share
    func multiply(_ x: Share, _ y: Share) async throws -> Share
    /// The sum of all elements, as a one-element share.
    func sum(_ x: Share) -> Share
    func concatenate(_ parts: [Share]) -> Share
    func slice(_ x: Share, _ range: Range<Int>) -> Share
    /// x / 2^f, rounded down up to the protocol's documented last-place error.
    func truncate(_ x: Share, fractionalBits f: Int) async throws -> Share
    /// 1 where x < 0, else 0 (valid within `bounds.comparisonBound`).
    func lessThanZero(_ x: Share) async throws -> Share
    /// Opens `x` to `recipients` (nil: everyone). Returns the values on recipients, nil on
    /// others, which receive nothing for this output.
    func reveal(_ x: Share, to recipients: [PartyID]?) async throws -> [Int64]?
    /// This party's raw share words: for statistical tests of what a party sees, never for
    /// protocol logic.
    func shareWords(_ x: Share) -> [UInt64]

    // Composite operations: requirements so that an engine with a faster form replaces them
    // (dispatch reaches it through the protocol); the defaults below build them from the
    // primitives.
    func dot(_ x: Share, _ y: Share) async throws -> Share
    /// `count(x) / terms` inner products at once, of vectors laid out term by term: element i
    /// is Σ_{j < terms} x[j·n + i]·y[j·n + i] with n = count(x) / terms.
    func innerProducts(_ x: Share, _ y: Share, terms: Int) async throws -> Share
    func multiplyFixed(_ x: Share, _ y: Share, fractionalBits f: Int) async throws -> Share
    func lessThan(_ x: Share, _ y: Share) async throws -> Share
    func greaterThan(_ x: Share, _ y: Share) async throws -> Share
    func equal(_ x: Share, _ y: Share) async throws -> Share
    func select(_ condition: Share, _ a: Share, _ b: Share) async throws -> Share
}

extension MPCEngine {
    public func multiply(_ x: Share, byConstant c: Int64) -> Share { multiply(x, byConstants: [c]) }
    public func addConstant(_ x: Share, _ c: Int64) -> Share { addConstants(x, [c]) }

    /// The inner product, as a one-element share.
    public func dot(_ x: Share, _ y: Share) async throws -> Share {
        sum(try await multiply(x, y))
    }

    public func innerProducts(_ x: Share, _ y: Share, terms: Int) async throws -> Share {
        let m = count(x)
        precondition(terms > 0 && m % terms == 0 && count(y) == m, "innerProducts: \(m) and \(count(y)) elements in \(terms) terms")
        let n = m / terms
        let p = try await multiply(x, y)
        var acc = slice(p, 0..<n)
        for j in 1..<Swift.max(terms, 1) { acc = add(acc, slice(p, (j * n)..<((j + 1) * n))) }
        return acc
    }

    /// Fixed-point product of values with `f` fractional bits.
    public func multiplyFixed(_ x: Share, _ y: Share, fractionalBits f: Int) async throws -> Share {
        try await truncate(try await multiply(x, y), fractionalBits: f)
    }

    public func lessThan(_ x: Share, _ y: Share) async throws -> Share {
        try await lessThanZero(subtract(x, y))
    }

    public func greaterThan(_ x: Share, _ y: Share) async throws -> Share {
        try await lessThanZero(subtract(y, x))
    }

    /// 1 where x == y: neither x < y nor y < x (both comparisons in one batch).
    public func equal(_ x: Share, _ y: Share) async throws -> Share {
        let n = count(x)
        let d = subtract(x, y)
        let both = try await lessThanZero(concatenate([d, multiply(d, byConstant: -1)]))
        let either = add(slice(both, 0..<n), slice(both, n..<(2 * n)))
        return addConstant(multiply(either, byConstant: -1), 1)
    }

    /// `condition` (shares of 0/1) ? a : b = b + c·(a − b).
    public func select(_ condition: Share, _ a: Share, _ b: Share) async throws -> Share {
        add(b, try await multiply(condition, subtract(a, b)))
    }

    public func max(_ x: Share, _ y: Share) async throws -> Share {
        try await select(try await lessThan(x, y), y, x)
    }

    public func min(_ x: Share, _ y: Share) async throws -> Share {
        try await select(try await lessThan(x, y), x, y)
    }

    /// Reveals to every party.
    public func reveal(_ x: Share) async throws -> [Int64] {
        guard let v = try await reveal(x, to: nil) else {
            throw MPCError(.invalidArgument, "reveal to all returned nothing")
        }
        return v
    }

    /// Checks the party count against the descriptor (for `makeEngine`).
    public static func requirePartyCount(_ context: MPCContext, _ descriptor: ProtocolDescriptor) throws {
        guard descriptor.partyCounts.contains(context.partyCount) else {
            throw MPCError(
                .unsupported,
                "\(descriptor.name) runs with \(descriptor.partyCounts.lowerBound)...\(descriptor.partyCounts.upperBound) "
                    + "parties; the job has \(context.partyCount). Choose another protocol or change the job's parties.")
        }
    }
}

/// The secret-sharing engines (protocol families) a node offers, by name: a plain value
/// built at start-up (no global state), so tests, tools and nodes can each hold their own.
/// Job protocols that compute on shares name one of these in their spec (`engine: shamir`).
public struct EngineRegistry: Sendable {
    private var byName: [String: any MPCProtocol] = [:]

    public init() {}

    public init(_ protocols: [any MPCProtocol]) throws {
        for p in protocols { try register(p) }
    }

    /// Adds a protocol; a second one with the same name is an error.
    public mutating func register(_ p: any MPCProtocol) throws {
        let name = p.descriptor.name
        guard byName[name] == nil else {
            throw MPCError(.invalidArgument, "a protocol named '\(name)' is already registered")
        }
        byName[name] = p
    }

    /// Every registered protocol, by name.
    public var all: [any MPCProtocol] { byName.keys.sorted().compactMap { byName[$0] } }
    public var names: [String] { byName.keys.sorted() }

    public func named(_ name: String) throws -> any MPCProtocol {
        guard let p = byName[name] else {
            throw MPCError(.unsupported, "no engine named '\(name)'; registered: \(names.joined(separator: ", "))")
        }
        return p
    }

    public func lookup(_ name: String) -> (any MPCProtocol)? { byName[name] }
}

extension MPCProtocol {
    /// Runs `body` with this protocol's engine as this party's side of a job.
    public func run<R: Sendable>(
        channel: SessionChannel, parties: [PartyID]? = nil, timeout: Duration = .seconds(60),
        testingSeed: UInt64? = nil,
        _ body: @escaping @Sendable (any MPCEngine) async throws -> R
    ) async throws -> R {
        try await MPCContext.run(channel: channel, parties: parties, timeout: timeout, testingSeed: testingSeed) { context in
            let engine = try await self.makeEngine(context)
            return try await body(engine)
        }
    }
}
