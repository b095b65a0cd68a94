public import TacitMPC
public import TacitNet
import TacitMath

/// One party's engine for the additive protocol (see ``AdditiveProtocol``).
public final class AdditiveEngine: MPCEngine, @unchecked Sendable {
    // @unchecked: driven by one job task at a time.
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

    func takeArithmetic(_ count: Int) async throws -> BeaverTriples {
        if arithmetic.available < count {
            arithmetic.append(try await source.arithmeticTriples(count - arithmetic.available, context))
        }
        return arithmetic.take(count)
    }

    func takeBinary(_ count: Int) async throws -> BeaverTriples {
        if binary.available < count {
            binary.append(try await source.binaryTriples(count - binary.available, context))
        }
        return binary.take(count)
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
        let t = try await takeArithmetic(m)
        var d = Words.sub(x.words, t.a)
        var e = Words.sub(y.words, t.b)
        let got = try await context.exchangeWithAll([d, e], expectedWords: 2 * m, step: "beaver open")
        for (_, w) in got {
            w.withUnsafeBufferPointer { p in
                d.withUnsafeMutableBufferPointer { dd in
                    e.withUnsafeMutableBufferPointer { ee in
                        for i in 0..<m {
                            dd[i] &+= p[i]
                            ee[i] &+= p[m + i]
                        }
                    }
                }
            }
        }
        let leader: UInt64 = context.isLeader ? 1 : 0
        let z = [UInt64](unsafeUninitializedCapacity: m) { out, done in
            t.a.withUnsafeBufferPointer { a in
                t.b.withUnsafeBufferPointer { b in
                    t.c.withUnsafeBufferPointer { c in
                        d.withUnsafeBufferPointer { dd in
                            e.withUnsafeBufferPointer { ee in
                                for i in 0..<m {
                                    out[i] = c[i] &+ dd[i] &* b[i] &+ ee[i] &* a[i] &+ (dd[i] &* ee[i]) &* leader
                                }
                            }
                        }
                    }
                }
            }
            done = m
        }
        return RingShare(z)
    }

    /// AND of XOR-shared words, 64 lanes each, with binary Beaver triples.
    func and(_ x: [UInt64], _ y: [UInt64]) async throws -> [UInt64] {
        let m = x.count
        let t = try await takeBinary(m)
        var d = Words.xor(x, t.a)
        var e = Words.xor(y, t.b)
        let got = try await context.exchangeWithAll([d, e], expectedWords: 2 * m, step: "binary beaver open")
        for (_, w) in got {
            w.withUnsafeBufferPointer { p in
                d.withUnsafeMutableBufferPointer { dd in
                    e.withUnsafeMutableBufferPointer { ee in
                        for i in 0..<m {
                            dd[i] ^= p[i]
                            ee[i] ^= p[m + i]
                        }
                    }
                }
            }
        }
        let leader: UInt64 = context.isLeader ? ~0 : 0
        return [UInt64](unsafeUninitializedCapacity: m) { out, done in
            for i in 0..<m {
                out[i] = t.c[i] ^ (d[i] & t.b[i]) ^ (e[i] & t.a[i]) ^ (d[i] & e[i] & leader)
            }
            done = m
        }
    }

    /// Top bit of x, as an arithmetic share of 0/1. Each party's share x_i is a binary
    /// sharing on its own (it holds x_i, the others 0); carry-save adders bring the n
    /// summands to two, a Kogge–Stone prefix computes the carry into bit 63, and the XOR-shared
    /// result bit is converted to arithmetic by multiplying out the XOR of the parties' bits.
    func topBit(_ x: [UInt64]) async throws -> [UInt64] {
        let m = x.count
        let zero = [UInt64](repeating: 0, count: m)
        var summands: [[UInt64]] = (0..<n).map { $0 == context.index ? x : zero }
        while summands.count > 2 {
            let groups = summands.count / 3
            var lhs: [UInt64] = [], rhs: [UInt64] = []
            lhs.reserveCapacity(groups * m)
            rhs.reserveCapacity(groups * m)
            for g in 0..<groups {
                let a = summands[3 * g], b = summands[3 * g + 1], c = summands[3 * g + 2]
                lhs += Words.xor(a, b)
                rhs += Words.xor(a, c)
            }
            let prod = try await and(lhs, rhs)
            var next: [[UInt64]] = []
            for g in 0..<groups {
                let a = summands[3 * g], b = summands[3 * g + 1], c = summands[3 * g + 2]
                let maj = Words.xor(Array(prod[(g * m)..<((g + 1) * m)]), a)
                next.append(Words.xor(Words.xor(a, b), c))
                next.append(Words.shiftLeft(maj, 1))
            }
            next += summands[(3 * groups)...]
            summands = next
        }
        let a = summands[0], b = summands[1]
        let p0 = Words.xor(a, b)
        var g = try await and(a, b)
        var p = p0
        var shift: UInt64 = 1
        while shift < 64 {
            if shift == 32 {
                g = Words.xor(g, try await and(p, Words.shiftLeft(g, shift)))
            } else {
                let prod = try await and(p + p, Words.shiftLeft(g, shift) + Words.shiftLeft(p, shift))
                g = Words.xor(g, Array(prod[0..<m]))
                p = Array(prod[m...])
            }
            shift <<= 1
        }
        let bits = (0..<m).map { ((p0[$0] >> 63) ^ (g[$0] >> 62)) & 1 }
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
        let m = x.words.count
        let targets = recipients ?? context.parties
        for t in targets where !context.parties.contains(t) {
            throw MPCError(.invalidArgument, "reveal recipient \(t) is not a party of the job")
        }
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for t in targets where t != context.localParty { outgoing[t] = [x.words] }
        let receiving = targets.contains(context.localParty)
        let got = try await context.exchange(
            outgoing, from: receiving ? context.peers : [], expectedWords: m, step: "reveal")
        guard receiving else { return nil }
        var v = x.words
        for (_, w) in got { Words.addInPlace(&v, w) }
        return v.map { Int64(bitPattern: $0) }
    }
}

/// Triples consumed from the front without copying what remains.
struct TripleBuffer {
    var a: [UInt64] = [], b: [UInt64] = [], c: [UInt64] = []
    var offset = 0
    var available: Int { a.count - offset }

    mutating func append(_ t: BeaverTriples) {
        if offset > 0 {
            a.removeFirst(offset)
            b.removeFirst(offset)
            c.removeFirst(offset)
            offset = 0
        }
        a += t.a
        b += t.b
        c += t.c
    }

    mutating func take(_ n: Int) -> BeaverTriples {
        precondition(n <= available)
        let r = offset..<(offset + n)
        offset += n
        let t = BeaverTriples(a: Array(a[r]), b: Array(b[r]), c: Array(c[r]))
        if offset == a.count {
            a = []
            b = []
            c = []
            offset = 0
        }
        return t
    }
}
