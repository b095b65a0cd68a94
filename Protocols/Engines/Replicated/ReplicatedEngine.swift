public import TacitMPC
public import TacitNet
import TacitMath

/// One party's engine for three-party replicated sharing (see ``ReplicatedProtocol``).
///
/// Layout: x = x₀ + x₁ + x₂ over Z/2^64 (or x₀ ⊕ x₁ ⊕ x₂ for binary values); party i holds
/// (xᵢ, xᵢ₋₁). Messages of the ring operations travel one way round the ring, from each party
/// to the next (i → i + 1), which holds the sender's component as its `prev`.
///
/// Not `Sendable`: owned by the job task that made it (its PRGs and buffers are plain state).
public final class ReplicatedEngine: MPCEngine {
    public typealias Share = ReplicatedShare

    public let context: MPCContext
    /// This party's position 0, 1, 2 among the sorted parties.
    let index: Int
    let next: PartyID
    let prev: PartyID
    /// The PRG streams this party shares with `next` and with `prev`: every pair draws from
    /// its stream the same words in the same order, because all three run the same program.
    let withNext: AESPRG
    let withPrev: AESPRG

    /// Comparisons are exact for |x − y| < 2^63 (the sign of the 64-bit difference); fixed
    /// point for |x·y| < 2^62 before truncation, which is off by at most +1 in the last place.
    public let bounds = OperationBounds(
        comparisonBound: Int128(1) << 63, fixedProductBound: Int128(1) << 62, truncationError: 1)

    private let scratchNext = WordScratch()
    private let scratchPrev = WordScratch()
    private let inbox = WordScratch()

    init(context: MPCContext, prgs: PairwisePRGs) {
        self.context = context
        index = context.index
        next = context.parties[(context.index + 1) % 3]
        prev = context.parties[(context.index + 2) % 3]
        withNext = prgs[next]
        withPrev = prgs[prev]
    }

    static func make(_ context: MPCContext) async throws -> ReplicatedEngine {
        ReplicatedEngine(context: context, prgs: try await PairwisePRGs.establish(context))
    }

    // MARK: Costs

    /// Online cost per element for the party that sends most (party 0, which also inputs in
    /// the comparison circuit); see the README for the derivation.
    @Sendable
    static func cost(_ op: MPCOperation, _ n: Int) -> OperationCost {
        switch op {
        case .add, .subtract, .multiplyByConstant, .sum: return .local
        case .input: return OperationCost(rounds: 1, bytesSentPerElement: 8)
        case .multiply, .select: return OperationCost(rounds: 1, bytesSentPerElement: 8)
        // 8 bytes per dot product whatever its length.
        case .dot: return OperationCost(rounds: 1, bytesSentPerElement: 0)
        case .multiplyFixed: return OperationCost(rounds: 3, bytesSentPerElement: 24)
        case .lessThan, .greaterThan: return OperationCost(rounds: 10, bytesSentPerElement: 48)
        case .equal: return OperationCost(rounds: 9, bytesSentPerElement: 32)
        case .max, .min: return OperationCost(rounds: 11, bytesSentPerElement: 56)
        case .reveal: return OperationCost(rounds: 1, bytesSentPerElement: 8)
        }
    }

    // MARK: Randomness and messages

    /// Fills `out` with the next words of `prg`.
    @inline(__always)
    func draw(_ prg: AESPRG, _ out: UnsafeMutableBufferPointer<UInt64>) {
        if !out.isEmpty { prg.fill(UnsafeMutableRawBufferPointer(out)) }
    }

    /// This party's part αᵢ = F(kᵢ,ᵢ₊₁) − F(kᵢ₋₁,ᵢ) of a pseudorandom zero-sharing (α₀ + α₁ + α₂ = 0;
    /// with `xor`, ⊕ in place of + and −), in a buffer valid until the next call.
    func zeroSharing(_ m: Int, xor: Bool) -> UnsafeMutableBufferPointer<UInt64> {
        let f = scratchNext.words(m), g = scratchPrev.words(m)
        draw(withNext, f)
        draw(withPrev, g)
        if xor {
            for k in 0..<m { f[k] ^= g[k] }
        } else {
            for k in 0..<m { f[k] &-= g[k] }
        }
        return f
    }

    /// One step round the ring: sends `words` to the next party and returns what the previous
    /// one sent (the same length).
    func passToNext(_ words: [UInt64], step: StaticString) async throws -> [UInt64] {
        let m = words.count
        let got = inbox.words(m)
        try await context.exchangeInPlace(
            [next: m], expecting: [prev: m], step: step,
            fill: { _, raw in words.withUnsafeBufferPointer { Words.store($0, into: raw) } },
            receive: { _, offset, raw in Self.load(raw, into: got, at: offset) })
        return Array(got)
    }

    /// Copies little-endian words from a received piece into `out` at word `offset`.
    static func load(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt64>, at offset: Int) {
        let n = raw.count / 8
        guard n > 0, let src = raw.baseAddress, let dst = out.baseAddress else { return }
        UnsafeMutableRawPointer(dst + offset).copyMemory(from: src, byteCount: 8 * n)
        #if _endian(big)
        for k in offset..<(offset + n) { out[k] = UInt64(littleEndian: out[k]) }
        #endif
    }

    /// Shares values that party `owner` (an index) knows: xₒ₋₁ = r from the PRG the owner
    /// shares with its previous party, xₒ₊₁ = 0, xₒ = v − r (or v ⊕ r) sent to the next party.
    /// One message of `count` words from the owner; the others' shares are uniform.
    func deal(_ values: [UInt64]?, from owner: Int, count m: Int, xor: Bool, step: StaticString) async throws -> ReplicatedShare {
        let zeros = [UInt64](repeating: 0, count: m)
        if index == owner {
            guard let values, values.count == m else {
                throw MPCError(.invalidArgument, "\(context.localParty) must pass exactly \(m) input values, got \(values?.count ?? 0)")
            }
            let r = withPrev.words(m)
            let mine = [UInt64](unsafeUninitializedCapacity: m) { out, done in
                for k in 0..<m { out[k] = xor ? values[k] ^ r[k] : values[k] &- r[k] }
                done = m
            }
            try await context.exchangeInPlace(
                [next: m], expecting: [:], step: step,
                fill: { _, raw in mine.withUnsafeBufferPointer { Words.store($0, into: raw) } }, receive: { _, _, _ in })
            return ReplicatedShare(own: mine, prev: r)
        }
        if index == (owner + 1) % 3 {
            let got = inbox.words(m)
            try await context.exchangeInPlace(
                [:], expecting: [prev: m], step: step, fill: { _, _ in },
                receive: { _, offset, raw in Self.load(raw, into: got, at: offset) })
            return ReplicatedShare(own: zeros, prev: Array(got))
        }
        let r = withNext.words(m)
        try await context.exchangeInPlace([:], expecting: [:], step: step, fill: { _, _ in }, receive: { _, _, _ in })
        return ReplicatedShare(own: r, prev: zeros)
    }

    // MARK: Primitives

    public func count(_ x: ReplicatedShare) -> Int { x.own.count }
    public func shareWords(_ x: ReplicatedShare) -> [UInt64] { x.own + x.prev }

    public func add(_ x: ReplicatedShare, _ y: ReplicatedShare) -> ReplicatedShare {
        ReplicatedShare(own: Words.add(x.own, y.own), prev: Words.add(x.prev, y.prev))
    }

    public func subtract(_ x: ReplicatedShare, _ y: ReplicatedShare) -> ReplicatedShare {
        ReplicatedShare(own: Words.sub(x.own, y.own), prev: Words.sub(x.prev, y.prev))
    }

    public func multiply(_ x: ReplicatedShare, byConstants c: [Int64]) -> ReplicatedShare {
        let k = Words.broadcast(c.map { UInt64(bitPattern: $0) }, count: x.own.count)
        return ReplicatedShare(own: Words.mul(x.own, k), prev: Words.mul(x.prev, k))
    }

    /// A public constant is component x₀: party 0 holds it as `own`, party 1 as `prev`.
    public func addConstants(_ x: ReplicatedShare, _ c: [Int64]) -> ReplicatedShare {
        guard index < 2 else { return x }
        let k = Words.broadcast(c.map { UInt64(bitPattern: $0) }, count: x.own.count)
        var y = x
        if index == 0 { y.own = Words.add(x.own, k) } else { y.prev = Words.add(x.prev, k) }
        return y
    }

    public func sum(_ x: ReplicatedShare) -> ReplicatedShare {
        var a: UInt64 = 0, b: UInt64 = 0
        for k in 0..<x.own.count {
            a &+= x.own[k]
            b &+= x.prev[k]
        }
        return ReplicatedShare(own: [a], prev: [b])
    }

    public func concatenate(_ parts: [ReplicatedShare]) -> ReplicatedShare {
        ReplicatedShare(own: parts.flatMap(\.own), prev: parts.flatMap(\.prev))
    }

    public func slice(_ x: ReplicatedShare, _ range: Range<Int>) -> ReplicatedShare {
        ReplicatedShare(own: Array(x.own[range]), prev: Array(x.prev[range]))
    }

    public func input(_ values: [Int64]?, from owner: PartyID, count: Int) async throws -> ReplicatedShare {
        guard let o = context.parties.firstIndex(of: owner) else {
            throw MPCError(.invalidArgument, "input owner \(owner) is not a party of the job")
        }
        return try await deal(values?.map { UInt64(bitPattern: $0) }, from: o, count: count, xor: false, step: "replicated input")
    }

    /// zᵢ = xᵢyᵢ + xᵢyᵢ₋₁ + xᵢ₋₁yᵢ + αᵢ (the nine cross terms split over the three parties,
    /// masked by a zero-sharing), passed to the next party: one round, one word each.
    public func multiply(_ x: ReplicatedShare, _ y: ReplicatedShare) async throws -> ReplicatedShare {
        let m = x.own.count
        precondition(y.own.count == m, "multiply: lengths differ (\(m) and \(y.own.count))")
        let alpha = zeroSharing(m, xor: false)
        let z = [UInt64](unsafeUninitializedCapacity: m) { out, done in
            x.own.withUnsafeBufferPointer { xa in
                x.prev.withUnsafeBufferPointer { xb in
                    y.own.withUnsafeBufferPointer { ya in
                        y.prev.withUnsafeBufferPointer { yb in
                            for k in 0..<m { out[k] = xa[k] &* (ya[k] &+ yb[k]) &+ xb[k] &* ya[k] &+ alpha[k] }
                        }
                    }
                }
            }
            done = m
        }
        return ReplicatedShare(own: z, prev: try await passToNext(z, step: "replicated multiply"))
    }

    /// The inner product in one round for the cost of one multiplication: each party sums its
    /// cross terms over the whole vector before masking and passing one word.
    public func dot(_ x: ReplicatedShare, _ y: ReplicatedShare) async throws -> ReplicatedShare {
        let m = x.own.count
        precondition(y.own.count == m, "dot: lengths differ (\(m) and \(y.own.count))")
        var s: UInt64 = 0
        for k in 0..<m { s &+= x.own[k] &* (y.own[k] &+ y.prev[k]) &+ x.prev[k] &* y.own[k] }
        let z = [s &+ zeroSharing(1, xor: false)[0]]
        return ReplicatedShare(own: z, prev: try await passToNext(z, step: "replicated dot"))
    }

    /// Many inner products in one round for the cost of one multiplication each: as `dot`, the
    /// cross terms of every term are summed before the one masked word per product is passed.
    public func innerProducts(_ x: ReplicatedShare, _ y: ReplicatedShare, terms: Int) async throws -> ReplicatedShare {
        let m = x.own.count
        precondition(terms > 0 && m % terms == 0 && y.own.count == m, "innerProducts: \(m) and \(y.own.count) elements in \(terms) terms")
        let n = m / terms
        // The zero-sharing is scratch memory: copied into the words that are kept and sent.
        var z = Array(zeroSharing(n, xor: false))
        z.withUnsafeMutableBufferPointer { out in
            x.own.withUnsafeBufferPointer { xa in
                x.prev.withUnsafeBufferPointer { xb in
                    y.own.withUnsafeBufferPointer { ya in
                        y.prev.withUnsafeBufferPointer { yb in
                            for j in 0..<terms {
                                let o = j * n
                                for i in 0..<n {
                                    let a = xa[o + i], b = xb[o + i], c = ya[o + i], d = yb[o + i]
                                    let t: UInt64 = a &* (c &+ d) &+ b &* c
                                    out[i] = out[i] &+ t
                                }
                            }
                        }
                    }
                }
            }
        }
        return ReplicatedShare(own: z, prev: try await passToNext(z, step: "replicated inner products"))
    }

    /// Each recipient R misses x_{R+1}, which its previous party holds as `prev` and sends:
    /// one word per element to each recipient, nothing to anyone else.
    public func reveal(_ x: ReplicatedShare, to recipients: [PartyID]?) async throws -> [Int64]? {
        let targets = recipients ?? context.parties
        for t in targets where !context.parties.contains(t) {
            throw MPCError(.invalidArgument, "reveal recipient \(t) is not a party of the job")
        }
        let m = x.own.count
        let receiving = targets.contains(context.localParty)
        let got = inbox.words(m)
        try await context.exchangeInPlace(
            targets.contains(next) ? [next: m] : [:], expecting: receiving ? [prev: m] : [:], step: "replicated reveal",
            fill: { _, raw in x.prev.withUnsafeBufferPointer { Words.store($0, into: raw) } },
            receive: { _, offset, raw in Self.load(raw, into: got, at: offset) })
        guard receiving else { return nil }
        return (0..<m).map { k in Int64(bitPattern: x.own[k] &+ x.prev[k] &+ got[k]) }
    }
}
