// A complete, minimal protocol plugin to copy when adding a protocol to Tacit. It is
// deliberately INSECURE: every party's "share" is the plaintext itself (inputs are
// broadcast), like MP-SPDZ's insecure reference protocols. It shows every hook a protocol
// implements and passes the conformance suite. See README.md beside this file.
public import TacitMPC
public import TacitNet

/// Step 1: the protocol value. It declares what it is and makes one engine per job.
public struct TemplateProtocol: MPCProtocol {
    public let descriptor = ProtocolDescriptor(
        name: "template-cleartext",
        summary: "INSECURE example protocol: values are public to all parties (a template to copy)",
        security: SecurityModel(adversary: .none, corruption: .notApplicable, dealer: .none),
        partyCounts: 2...5,
        learns: "Everything: every party sees every input. For testing and as a template only.",
        domain: .ring64,
        cost: { op, n in
            switch op {
            case .input: OperationCost(rounds: 1, bytesSentPerElement: 8 * (n - 1))  // the owner's
            default: .local
            }
        })

    public init() {}

    /// Step 2: set up per job (check the party count, exchange keys or seeds if needed).
    public func makeEngine(_ context: MPCContext) async throws -> any MPCEngine {
        try TemplateEngine.requirePartyCount(context, descriptor)
        return TemplateEngine(context: context)
    }
}

/// Step 3: the share type. Here the plaintext words themselves.
public struct CleartextShare: Sendable {
    public var words: [UInt64]
}

/// Step 4: the engine. Implement the primitives; the composite operations (dot, max, min,
/// select, equality, fixed-point multiply) come from `MPCEngine`'s defaults unless you
/// override them.
///
/// Not `Sendable`: an engine belongs to the one job task that `MPCProtocol.run` creates it
/// in (like its `MPCContext`'s step counter), so keep mutable state in it freely and do not
/// hand it to other tasks.
public final class TemplateEngine: MPCEngine {
    public let context: MPCContext
    public let bounds = OperationBounds(
        comparisonBound: Int128(1) << 63, fixedProductBound: Int128(1) << 63, truncationError: 0)

    init(context: MPCContext) { self.context = context }

    /// Communication goes through the context: one `exchange` is one protocol step (tag);
    /// lengths are checked against `expectedWords` and a bad message aborts the job on all
    /// parties with an error naming the sender.
    public func input(_ values: [Int64]?, from owner: PartyID, count: Int) async throws -> CleartextShare {
        if owner == context.localParty {
            guard let values, values.count == count else {
                throw MPCError(.invalidArgument, "\(owner) must pass exactly \(count) values")
            }
            let words = values.map { UInt64(bitPattern: $0) }
            var outgoing: [PartyID: [[UInt64]]] = [:]
            for p in context.peers { outgoing[p] = [words] }
            _ = try await context.exchange(outgoing, from: [], expectedWords: count, step: "template input")
            return CleartextShare(words: words)
        }
        let got = try await context.exchange([:], from: [owner], expectedWords: count, step: "template input")
        return CleartextShare(words: got[owner]!)
    }

    public func count(_ x: CleartextShare) -> Int { x.words.count }
    public func shareWords(_ x: CleartextShare) -> [UInt64] { x.words }
    public func add(_ x: CleartextShare, _ y: CleartextShare) -> CleartextShare { .init(words: Words.add(x.words, y.words)) }
    public func subtract(_ x: CleartextShare, _ y: CleartextShare) -> CleartextShare { .init(words: Words.sub(x.words, y.words)) }
    public func multiply(_ x: CleartextShare, byConstants c: [Int64]) -> CleartextShare {
        .init(words: Words.mul(x.words, Words.broadcast(c.map { UInt64(bitPattern: $0) }, count: x.words.count)))
    }
    public func addConstants(_ x: CleartextShare, _ c: [Int64]) -> CleartextShare {
        .init(words: Words.add(x.words, Words.broadcast(c.map { UInt64(bitPattern: $0) }, count: x.words.count)))
    }
    public func multiply(_ x: CleartextShare, _ y: CleartextShare) async throws -> CleartextShare {
        .init(words: Words.mul(x.words, y.words))
    }
    public func sum(_ x: CleartextShare) -> CleartextShare { .init(words: [x.words.reduce(0, &+)]) }
    public func concatenate(_ parts: [CleartextShare]) -> CleartextShare { .init(words: parts.flatMap(\.words)) }
    public func slice(_ x: CleartextShare, _ range: Range<Int>) -> CleartextShare { .init(words: Array(x.words[range])) }
    public func truncate(_ x: CleartextShare, fractionalBits f: Int) async throws -> CleartextShare {
        .init(words: x.words.map { UInt64(bitPattern: Int64(bitPattern: $0) >> Int64(f)) })
    }
    public func lessThanZero(_ x: CleartextShare) async throws -> CleartextShare {
        .init(words: x.words.map { $0 >> 63 })
    }
    public func reveal(_ x: CleartextShare, to recipients: [PartyID]?) async throws -> [Int64]? {
        let targets = recipients ?? context.parties
        return targets.contains(context.localParty) ? x.words.map { Int64(bitPattern: $0) } : nil
    }
}
