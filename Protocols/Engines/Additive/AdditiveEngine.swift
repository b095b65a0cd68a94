public import TacitMPC
public import TacitNet
import TacitMath

/// One party's engine for the additive protocol (see ``AdditiveProtocol``).
/// Not `Sendable`: owned by the job task that made it (its triple buffers are plain `var`s).
public final class AdditiveEngine: MPCEngine {
    public typealias Share = RingShare

    public let context: MPCContext
    let source: any TripleSource
    let prgs: PairwisePRGs
    private var arithmetic = TripleBuffer()
    private var binary = TripleBuffer()

    /// |x − y| < 2^63 for comparisons; |x·y| < 2^62 before truncation; truncation is off by
    /// at most one in the last place (Escudero et al. probabilistic truncation).
    public let bounds = OperationBounds(
        comparisonBound: Int128(1) << 63, fixedProductBound: Int128(1) << 62, truncationError: 1)

    init(context: MPCContext, source: any TripleSource, prgs: PairwisePRGs) {
        self.context = context
        self.source = source
        self.prgs = prgs
    }

    static func make(_ context: MPCContext, source: any TripleSource) async throws -> AdditiveEngine {
        try await source.setup(context)
        let prgs = try await PairwisePRGs.establish(context)
        return AdditiveEngine(context: context, source: source, prgs: prgs)
    }

    var n: Int { context.partyCount }

    // MARK: Costs

    /// CSA levels and AND words needed to bring n summands to two.
    static func csa(_ n: Int) -> (levels: Int, ands: Int) {
        var count = n, levels = 0, ands = 0
        while count > 2 {
            let groups = count / 3
            ands += groups
            count -= groups
            levels += 1
        }
        return (levels, ands)
    }

    static func log2Ceil(_ n: Int) -> Int {
        var l = 0
        while (1 << l) < n { l += 1 }
        return l
    }

    @Sendable
    static func cost(_ op: MPCOperation, _ n: Int) -> OperationCost {
        let peer = n - 1
        let mul = OperationCost(rounds: 1, bytesSentPerElement: 16 * peer)
        let (levels, csaAnds) = csa(n)
        // Kogge–Stone for the top bit: 1 AND word, then 6 levels of 2 (the last needs 1).
        let cmpRounds = levels + 7 + log2Ceil(n)
        let cmpBytes = (csaAnds + 12) * 16 * peer + (n - 1) * 16 * peer
        switch op {
        case .input, .add, .subtract, .multiplyByConstant, .sum: return .local
        case .multiply, .dot, .select: return mul
        case .multiplyFixed: return OperationCost(rounds: 2, bytesSentPerElement: 24 * peer)
        case .lessThan, .greaterThan: return OperationCost(rounds: cmpRounds, bytesSentPerElement: cmpBytes)
        case .equal: return OperationCost(rounds: cmpRounds, bytesSentPerElement: 2 * cmpBytes)
        case .max, .min: return OperationCost(rounds: cmpRounds + 1, bytesSentPerElement: cmpBytes + 16 * peer)
        case .reveal: return OperationCost(rounds: 1, bytesSentPerElement: 8 * peer)
        }
    }

    // MARK: Preprocessing

    /// Generates triples ahead of time (the offline phase), so later operations only use
    /// the online protocol.
    public func preprocess(arithmeticTriples: Int, binaryTriples: Int) async throws {
        if arithmeticTriples > 0 { arithmetic.append(try await source.arithmeticTriples(arithmeticTriples, context)) }
        if binaryTriples > 0 { binary.append(try await source.binaryTriples(binaryTriples, context)) }
    }

    /// Triples needed for `count` comparisons (binary words, arithmetic).
    public func comparisonTriples(_ count: Int) -> (binary: Int, arithmetic: Int) {
        ((Self.csa(n).ands + 12) * count, (n - 1) * count)
    }

    /// Reserves the next `count` arithmetic triples; they stay in the buffer (no copy) until
    /// the next take or preprocessing call.
    func takeArithmetic(_ count: Int) async throws -> Range<Int> {
        if arithmetic.available < count {
            arithmetic.append(try await source.arithmeticTriples(count - arithmetic.available, context))
        }
        return arithmetic.take(count)
    }

    func takeBinary(_ count: Int) async throws -> Range<Int> {
        if binary.available < count {
            binary.append(try await source.binaryTriples(count - binary.available, context))
        }
        return binary.take(count)
    }

    /// Reused buffers for the online phase (see ``WordScratch``): the masked openings d‖e,
    /// and the comparison circuit's intermediate vectors.
    private let opening = WordScratch()
    private var pool: [WordScratch] = []

    func scratch(_ i: Int, _ count: Int) -> UnsafeMutableBufferPointer<UInt64> {
        while pool.count <= i { pool.append(WordScratch()) }
        return pool[i].words(count)
    }

    // MARK: Primitives

    public func count(_ x: RingShare) -> Int { x.words.count }
    public func shareWords(_ x: RingShare) -> [UInt64] { x.words }
    public func add(_ x: RingShare, _ y: RingShare) -> RingShare { RingShare(Words.add(x.words, y.words)) }
    public func subtract(_ x: RingShare, _ y: RingShare) -> RingShare { RingShare(Words.sub(x.words, y.words)) }

    public func multiply(_ x: RingShare, byConstants c: [Int64]) -> RingShare {
        let k = Words.broadcast(c.map { UInt64(bitPattern: $0) }, count: x.words.count)
        return RingShare(Words.mul(x.words, k))
    }

    public func addConstants(_ x: RingShare, _ c: [Int64]) -> RingShare {
        guard context.isLeader else { return x }
        let k = Words.broadcast(c.map { UInt64(bitPattern: $0) }, count: x.words.count)
        return RingShare(Words.add(x.words, k))
    }

    public func sum(_ x: RingShare) -> RingShare {
        var s: UInt64 = 0
        for w in x.words { s &+= w }
        return RingShare([s])
    }

    public func concatenate(_ parts: [RingShare]) -> RingShare { RingShare(parts.flatMap(\.words)) }
    public func slice(_ x: RingShare, _ range: Range<Int>) -> RingShare { RingShare(Array(x.words[range])) }

    /// The owner's shares are x minus the others'; each other party's share is drawn from the
    /// PRG it shares with the owner, so inputs cost no communication.
    public func input(_ values: [Int64]?, from owner: PartyID, count: Int) async throws -> RingShare {
        guard context.parties.contains(owner) else {
            throw MPCError(.invalidArgument, "input owner \(owner) is not a party of the job")
        }
        if context.localParty == owner {
            guard let values, values.count == count else {
                throw MPCError(.invalidArgument, "\(owner) must pass exactly \(count) input values, got \(values?.count ?? 0)")
            }
            var share = values.map { UInt64(bitPattern: $0) }
            for peer in context.peers {
                share = Words.sub(share, prgs[peer].words(count))
            }
            return RingShare(share)
        }
        return RingShare(prgs[owner].words(count))
    }

    /// Beaver: open d = x − a and e = y − b (one message per peer carrying both), then
    /// z = c + d·b + e·a + d·e (the last term on the leader only).
    public func multiply(_ x: RingShare, _ y: RingShare) async throws -> RingShare {
        let m = x.words.count
        precondition(y.words.count == m, "multiply: lengths differ (\(m) and \(y.words.count))")
        let r = try await takeArithmetic(m)
        let de = opening.words(2 * m)
        arithmetic.withTriples(r) { a, b, _ in
            x.words.withUnsafeBufferPointer { xx in
                y.words.withUnsafeBufferPointer { yy in
                    for i in 0..<m {
                        de[i] = xx[i] &- a[i]
                        de[m + i] = yy[i] &- b[i]
                    }
                }
            }
        }
        try await context.exchangeWithAllInPlace(
            words: 2 * m, expectedWords: 2 * m, step: "beaver open",
            fill: { Words.store(UnsafeBufferPointer(de), into: $0) },
            receive: { _, offset, raw in
                for i in 0..<(raw.count / 8) { de[offset + i] &+= Words.load(raw, i) }
            })
        let leader: UInt64 = context.isLeader ? 1 : 0
        let z = [UInt64](unsafeUninitializedCapacity: m) { out, done in
            arithmetic.withTriples(r) { a, b, c in
                for i in 0..<m {
                    let d = de[i], e = de[m + i]
                    out[i] = c[i] &+ d &* b[i] &+ e &* a[i] &+ (d &* e) &* leader
                }
            }
            done = m
        }
        return RingShare(z)
    }

    /// AND of XOR-shared words, 64 lanes each, with binary Beaver triples, into `out` (which
    /// may alias `x` or `y`): open d = x ⊕ a and e = y ⊕ b, then c ⊕ d·b ⊕ e·a ⊕ d·e (the last
    /// term on the leader only). Triples are read in place from the buffer; the openings are
    /// written straight into the message.
    func and(
        into out: UnsafeMutableBufferPointer<UInt64>, _ x: UnsafeBufferPointer<UInt64>, _ y: UnsafeBufferPointer<UInt64>
    ) async throws {
        let m = x.count
        precondition(y.count == m && out.count == m, "and: lengths differ")
        let r = try await takeBinary(m)
        let de = opening.words(2 * m)
        binary.withTriples(r) { a, b, _ in
            for i in 0..<m {
                de[i] = x[i] ^ a[i]
                de[m + i] = y[i] ^ b[i]
            }
        }
        try await context.exchangeWithAllInPlace(
            words: 2 * m, expectedWords: 2 * m, step: "binary beaver open",
            fill: { Words.store(UnsafeBufferPointer(de), into: $0) },
            receive: { _, offset, raw in
                for i in 0..<(raw.count / 8) { de[offset + i] ^= Words.load(raw, i) }
            })
        let leader: UInt64 = context.isLeader ? ~0 : 0
        binary.withTriples(r) { a, b, c in
            for i in 0..<m {
                let d = de[i], e = de[m + i]
                out[i] = c[i] ^ (d & b[i]) ^ (e & a[i]) ^ (d & e & leader)
            }
        }
    }

    /// Top bit of x, as an arithmetic share of 0/1. Each party's share x_i is a binary
    /// sharing on its own (it holds x_i, the others 0); carry-save adders bring the n
    /// summands to two, a Kogge–Stone prefix computes the carry into bit 63, and the XOR-shared
    /// result bit is converted to arithmetic by multiplying out the XOR of the parties' bits.
    ///
    /// Every level works in place on buffers the engine keeps (``scratch(_:_:)``), with the
    /// shifts and XORs fused into the passes that build each AND's inputs; the ANDs, their
    /// order and their messages are those of the straightforward circuit.
    func topBit(_ x: [UInt64]) async throws -> [UInt64] {
        let m = x.count
        // Slots 0..<n: summands; then fixed roles.
        let lhsSlot = n, rhsSlot = n + 1, prodSlot = n + 2, p0Slot = n + 3, gSlot = n + 4, pSlot = n + 5
        var summands: [UnsafeMutableBufferPointer<UInt64>] = (0..<n).map { k in
            let s = scratch(k, m)
            if k == context.index { _ = s.initialize(fromContentsOf: x) } else { s.initialize(repeating: 0) }
            return s
        }
        while summands.count > 2 {
            // Groups (a, b, c): sum a ⊕ b ⊕ c, carry maj(a, b, c) = ((a ⊕ b)(a ⊕ c)) ⊕ a, shifted.
            let groups = summands.count / 3
            let lhs = scratch(lhsSlot, groups * m), rhs = scratch(rhsSlot, groups * m)
            for g in 0..<groups {
                let a = summands[3 * g], b = summands[3 * g + 1], c = summands[3 * g + 2]
                for i in 0..<m {
                    lhs[g * m + i] = a[i] ^ b[i]
                    rhs[g * m + i] = a[i] ^ c[i]
                }
            }
            let prod = scratch(prodSlot, groups * m)
            try await and(into: prod, UnsafeBufferPointer(lhs), UnsafeBufferPointer(rhs))
            var next: [UnsafeMutableBufferPointer<UInt64>] = []
            for g in 0..<groups {
                // In place: a's buffer takes the sum, b's the shifted carry; c's is dropped.
                let a = summands[3 * g], b = summands[3 * g + 1], c = summands[3 * g + 2]
                for i in 0..<m {
                    let av = a[i]
                    a[i] = av ^ b[i] ^ c[i]
                    b[i] = (prod[g * m + i] ^ av) << 1
                }
                next.append(a)
                next.append(b)
            }
            next += summands[(3 * groups)...]
            summands = next
        }
        let a = summands[0], b = summands[1]
        let p0 = scratch(p0Slot, m), g = scratch(gSlot, m), p = scratch(pSlot, m)
        for i in 0..<m {
            p0[i] = a[i] ^ b[i]
            p[i] = p0[i]
        }
        try await and(into: g, UnsafeBufferPointer(a), UnsafeBufferPointer(b))
        var shift: UInt64 = 1
        while shift < 64 {
            if shift == 32 {
                // g ⊕= p · (g << 32): the propagate half is no longer needed.
                let xs = scratch(lhsSlot, m), ys = scratch(rhsSlot, m), prod = scratch(prodSlot, m)
                for i in 0..<m {
                    xs[i] = p[i]
                    ys[i] = g[i] << shift
                }
                try await and(into: prod, UnsafeBufferPointer(xs), UnsafeBufferPointer(ys))
                for i in 0..<m { g[i] ^= prod[i] }
            } else {
                // (g, p) ← (g ⊕ p·(g << s), p·(p << s)), both ANDs in one round.
                let xs = scratch(lhsSlot, 2 * m), ys = scratch(rhsSlot, 2 * m), prod = scratch(prodSlot, 2 * m)
                for i in 0..<m {
                    let pv = p[i]
                    xs[i] = pv
                    xs[m + i] = pv
                    ys[i] = g[i] << shift
                    ys[m + i] = pv << shift
                }
                try await and(into: prod, UnsafeBufferPointer(xs), UnsafeBufferPointer(ys))
                for i in 0..<m {
                    g[i] ^= prod[i]
                    p[i] = prod[m + i]
                }
            }
            shift <<= 1
        }
        let bits = [UInt64](unsafeUninitializedCapacity: m) { out, done in
            for i in 0..<m { out[i] = ((p0[i] >> 63) ^ (g[i] >> 62)) & 1 }
            done = m
        }
        return try await bitsToArithmetic(bits)
    }

    /// XOR-shared bits (0/1 words) to additive shares: the XOR of the n parties' bits,
    /// multiplied out as u ⊕ v = u + v − 2uv in a tree (n − 1 products, ⌈log₂ n⌉ rounds).
    func bitsToArithmetic(_ bits: [UInt64]) async throws -> [UInt64] {
        let m = bits.count
        let zero = [UInt64](repeating: 0, count: m)
        var level: [[UInt64]] = (0..<n).map { $0 == context.index ? bits : zero }
        while level.count > 1 {
            let pairs = level.count / 2
            var u: [UInt64] = [], v: [UInt64] = []
            for k in 0..<pairs {
                u += level[2 * k]
                v += level[2 * k + 1]
            }
            let uv = try await multiply(RingShare(u), RingShare(v)).words
            var next: [[UInt64]] = []
            for k in 0..<pairs {
                let range = (k * m)..<((k + 1) * m)
                next.append((0..<m).map { i in u[range.lowerBound + i] &+ v[range.lowerBound + i] &- 2 &* uv[range.lowerBound + i] })
            }
            if level.count % 2 == 1 { next.append(level.last!) }
            level = next
        }
        return level[0]
    }

    public func lessThanZero(_ x: RingShare) async throws -> RingShare {
        RingShare(try await topBit(x.words))
    }

    /// Probabilistic truncation with a pair (r, r₆₃, (r mod 2^63) >> f): open c = x + 2^62 + r,
    /// then x >> f = (c mod 2^63) >> f − (r mod 2^63) >> f + 2^(63−f)·(c₆₃ ⊕ r₆₃) − 2^(62−f),
    /// exact up to +1 in the last place, for |x| < 2^62.
    public func truncate(_ x: RingShare, fractionalBits f: Int) async throws -> RingShare {
        precondition((1...60).contains(f), "truncate: fractional bits must be 1...60")
        let m = x.words.count
        let pairs: TruncationPairs
        if let p = try await source.truncationPairs(m, fractionalBits: f, context) {
            pairs = p
        } else {
            pairs = try await deriveTruncationPairs(m, fractionalBits: f)
        }
        let shifted = addConstants(x, [Int64(1) << 62])
        var c = Words.add(shifted.words, pairs.r)
        let got = try await context.exchangeWithAll([c], expectedWords: m, step: "truncation open")
        for (_, w) in got { Words.addInPlace(&c, w) }
        let uf = UInt64(f)
        let lead = context.isLeader
        let out = (0..<m).map { i -> UInt64 in
            let ci = c[i]
            let c63 = ci >> 63
            let low = (ci & ((1 << 63) - 1)) >> uf
            // b = c63 ⊕ r63 = c63 + r63 − 2·c63·r63 (c63 public).
            var b = pairs.msb[i] &* (1 &- 2 &* c63)
            if lead { b &+= c63 }
            var y = b << (63 - uf) &- pairs.shifted[i]
            if lead { y = y &+ low &- (1 << (62 - uf)) }
            return y
        }
        return RingShare(out)
    }

    /// Truncation pairs from arithmetic triples only: every party draws 64 random bits per
    /// pair; their XORs (random bits nobody knows) are converted to additive shares, and
    /// r, r₆₃ and (r mod 2^63) >> f are linear in those bits. 64(n − 1) products per pair.
    func deriveTruncationPairs(_ count: Int, fractionalBits f: Int) async throws -> TruncationPairs {
        let prg = AESPRG(seed: context.freshSeed())
        let words = prg.words(count)
        var bits = [UInt64](repeating: 0, count: 64 * count)
        for j in 0..<64 {
            for e in 0..<count { bits[j * count + e] = (words[e] >> UInt64(j)) & 1 }
        }
        let a = try await bitsToArithmetic(bits)
        var r = [UInt64](repeating: 0, count: count)
        var shifted = r
        for j in 0..<64 {
            for e in 0..<count {
                let b = a[j * count + e]
                r[e] &+= b << UInt64(j)
                if j >= f && j < 63 { shifted[e] &+= b << UInt64(j - f) }
            }
        }
        return TruncationPairs(r: r, msb: Array(a[(63 * count)...]), shifted: shifted, fractionalBits: f)
    }

    public func reveal(_ x: RingShare, to recipients: [PartyID]?) async throws -> [Int64]? {
        guard let all = try await context.openShares(x.words, to: recipients) else { return nil }
        var v = [UInt64](repeating: 0, count: x.words.count)
        for w in all { Words.addInPlace(&v, w) }
        return v.map { Int64(bitPattern: $0) }
    }
}

/// Triples consumed from the front without copying: `take` hands out an index range, read
/// in place with `withTriples` until the next `append`.
struct TripleBuffer {
    var a: [UInt64] = [], b: [UInt64] = [], c: [UInt64] = []
    var offset = 0
    var available: Int { a.count - offset }

    mutating func append(_ t: BeaverTriples) {
        if offset > 0 {
            if offset == a.count {
                a.removeAll(keepingCapacity: true)
                b.removeAll(keepingCapacity: true)
                c.removeAll(keepingCapacity: true)
            } else {
                a.removeFirst(offset)
                b.removeFirst(offset)
                c.removeFirst(offset)
            }
            offset = 0
        }
        if a.isEmpty {
            a = t.a
            b = t.b
            c = t.c
        } else {
            a += t.a
            b += t.b
            c += t.c
        }
    }

    mutating func take(_ n: Int) -> Range<Int> {
        precondition(n <= available)
        let r = offset..<(offset + n)
        offset += n
        return r
    }

    func withTriples<R>(
        _ r: Range<Int>,
        _ body: (UnsafeBufferPointer<UInt64>, UnsafeBufferPointer<UInt64>, UnsafeBufferPointer<UInt64>) throws -> R
    ) rethrows -> R {
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try c.withUnsafeBufferPointer { pc in
                    try body(
                        UnsafeBufferPointer(rebasing: pa[r]), UnsafeBufferPointer(rebasing: pb[r]),
                        UnsafeBufferPointer(rebasing: pc[r]))
                }
            }
        }
    }
}
