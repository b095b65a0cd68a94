public import TacitMath
public import TacitNet

/// This party's shares of Beaver triples: c = a·b element-wise, in Z/2^64 (arithmetic) or
/// bit-wise in 64-lane words (binary: c = a AND b, shares combined with XOR).
public struct BeaverTriples: Sendable {
    public var a: [UInt64]
    public var b: [UInt64]
    public var c: [UInt64]
    public init(a: [UInt64], b: [UInt64], c: [UInt64]) {
        precondition(a.count == b.count && b.count == c.count, "BeaverTriples: a, b, c lengths differ")
        self.a = a
        self.b = b
        self.c = c
    }
    public var count: Int { a.count }

    /// Takes the first `n` and keeps the rest.
    mutating func take(_ n: Int) -> BeaverTriples {
        let out = BeaverTriples(a: Array(a[0..<n]), b: Array(b[0..<n]), c: Array(c[0..<n]))
        a.removeFirst(n)
        b.removeFirst(n)
        c.removeFirst(n)
        return out
    }
    mutating func append(_ t: BeaverTriples) {
        a += t.a
        b += t.b
        c += t.c
    }
}

/// This party's shares of truncation pairs for probabilistic truncation by f bits in
/// Z/2^64 (Escudero et al., CRYPTO 2020, "Improved primitives for MPC over mixed
/// arithmetic-binary circuits"): a uniform r, its top bit r₆₃, and (r mod 2^63) >> f.
public struct TruncationPairs: Sendable {
    public var r: [UInt64]
    public var msb: [UInt64]
    public var shifted: [UInt64]
    public let fractionalBits: Int
    public init(r: [UInt64], msb: [UInt64], shifted: [UInt64], fractionalBits: Int) {
        self.r = r
        self.msb = msb
        self.shifted = shifted
        self.fractionalBits = fractionalBits
    }
    public var count: Int { r.count }
}

/// Where an additive-sharing engine gets its correlated randomness. Every party calls the
/// same methods with the same counts in the same order (they may communicate through the
/// context). Implementations: ``DealerTripleSource`` (a designated trusted node) and
/// ``OTTripleSource`` (the parties themselves, by oblivious transfer).
public protocol TripleSource: AnyObject {
    /// Once per job, before anything else (exchange seeds, run base OTs).
    func setup(_ context: MPCContext) async throws
    func arithmeticTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples
    func binaryTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples
    /// nil when the source cannot produce them directly; the engine then derives them from
    /// arithmetic triples.
    func truncationPairs(_ count: Int, fractionalBits: Int, _ context: MPCContext) async throws -> TruncationPairs?
}

/// Pairwise PRG keys: for each pair of parties, the one first in sorted order draws a seed
/// and sends it to the other over the (encrypted, authenticated) channel. Both then draw the
/// same stream, e.g. the random shares of an input, without sending them.
public struct PairwisePRGs {
    // Not Sendable: the generators are used by the job task only.
    public let streams: [PartyID: AESPRG]

    public static func establish(_ context: MPCContext) async throws -> PairwisePRGs {
        var outgoing: [PartyID: [UInt8]] = [:]
        var seeds: [PartyID: [UInt8]] = [:]
        for peer in context.peers where context.localParty < peer {
            let s = context.freshSeed()
            outgoing[peer] = s
            seeds[peer] = s
        }
        let lower = context.peers.filter { $0 < context.localParty }
        let got = try await context.exchangeBytes(outgoing, from: lower, expectedBytes: 16, step: "pairwise seeds")
        for (p, s) in got { seeds[p] = s }
        return PairwisePRGs(streams: seeds.mapValues { AESPRG(seed: $0) })
    }

    public subscript(peer: PartyID) -> AESPRG { streams[peer]! }
}

/// Triples from a dealer: one designated party (by default the first in sorted order)
/// generates every triple and hands out shares. Communication is one correction vector to
/// one party: every other party's shares, and the correcting party's a and b, come from a
/// seed the dealer sent it at setup (the "PRG-derived shares" trick of SPDZ-style dealers).
///
/// Trust: the dealer knows every party's randomness, so it could reconstruct any value that
/// is opened against it; it must not collude with anyone (SecretFlow's "trusted first
/// party", CrypTen's TTP mode). Against the other parties the protocol is semi-honest secure
/// with a dishonest majority.
public final class DealerTripleSource: TripleSource {
    // Not Sendable: used by one job task.
    public let dealerName: PartyID?
    private var dealer: PartyID = PartyID("?")
    private var corrector: PartyID = PartyID("?")
    /// This party's stream (from its seed).
    private var own: AESPRG?
    /// On the dealer: every party's stream, this party's included.
    private var all: [PartyID: AESPRG] = [:]
    private var parties: [PartyID] = []

    /// `dealer`: a party of the job; nil means the first in sorted order.
    public init(dealer: PartyID? = nil) { self.dealerName = dealer }

    public func setup(_ context: MPCContext) async throws {
        parties = context.parties
        dealer = dealerName ?? context.parties[0]
        guard context.parties.contains(dealer) else {
            throw MPCError(.invalidArgument, "the dealer \(dealer) is not a party of the job \(context.parties)")
        }
        corrector = context.parties.last(where: { $0 != dealer })!
        if context.localParty == dealer {
            var outgoing: [PartyID: [UInt8]] = [:]
            for p in context.parties {
                let seed = context.freshSeed()
                all[p] = AESPRG(seed: seed)
                if p != dealer { outgoing[p] = seed }
            }
            _ = try await context.exchangeBytes(outgoing, from: [], expectedBytes: 16, step: "dealer seeds")
        } else {
            let got = try await context.exchangeBytes([:], from: [dealer], expectedBytes: 16, step: "dealer seeds")
            own = AESPRG(seed: got[dealer]!)
        }
    }

    private func generate(
        _ count: Int, _ context: MPCContext, combine: ([UInt64], [UInt64]) -> [UInt64],
        plus: ([UInt64], [UInt64]) -> [UInt64], minus: ([UInt64], [UInt64]) -> [UInt64], zero: UInt64
    ) async throws -> BeaverTriples {
        let me = context.localParty
        if me == dealer {
            var sumA = [UInt64](repeating: zero, count: count)
            var sumB = sumA
            var sumC = sumA
            var mine: BeaverTriples?
            for p in parties {
                let g = all[p]!
                let a = g.words(count), b = g.words(count)
                sumA = plus(sumA, a)
                sumB = plus(sumB, b)
                if p != corrector {
                    let c = g.words(count)
                    sumC = plus(sumC, c)
                    if p == me { mine = BeaverTriples(a: a, b: b, c: c) }
                }
            }
            let correction = minus(combine(sumA, sumB), sumC)
            _ = try await context.exchange([corrector: [correction]], from: [], expectedWords: count, step: "dealer triples")
            return mine!
        }
        let a = own!.words(count), b = own!.words(count)
        if me == corrector {
            let got = try await context.exchange([:], from: [dealer], expectedWords: count, step: "dealer triples")
            return BeaverTriples(a: a, b: b, c: got[dealer]!)
        }
        let c = own!.words(count)
        _ = try await context.exchange([:], from: [], expectedWords: count, step: "dealer triples")
        return BeaverTriples(a: a, b: b, c: c)
    }

    public func arithmeticTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples {
        try await generate(count, context, combine: Words.mul, plus: Words.add, minus: Words.sub, zero: 0)
    }

    public func binaryTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples {
        try await generate(count, context, combine: Words.and, plus: Words.xor, minus: Words.xor, zero: 0)
    }

    public func truncationPairs(_ count: Int, fractionalBits f: Int, _ context: MPCContext) async throws -> TruncationPairs? {
        let me = context.localParty
        if me == dealer {
            var sumR = [UInt64](repeating: 0, count: count)
            var sumM = sumR, sumS = sumR
            var mine: TruncationPairs?
            for p in parties {
                let g = all[p]!
                let r = g.words(count)
                Words.addInPlace(&sumR, r)
                if p != corrector {
                    let m = g.words(count), s = g.words(count)
                    Words.addInPlace(&sumM, m)
                    Words.addInPlace(&sumS, s)
                    if p == me { mine = TruncationPairs(r: r, msb: m, shifted: s, fractionalBits: f) }
                }
            }
            let msb = Words.map1(sumR) { $0 >> 63 }
            let low = Words.map1(sumR) { ($0 & ((1 << 63) - 1)) >> UInt64(f) }
            _ = try await context.exchange(
                [corrector: [Words.sub(msb, sumM), Words.sub(low, sumS)]], from: [], expectedWords: 2 * count,
                step: "dealer truncation pairs")
            return mine!
        }
        let r = own!.words(count)
        if me == corrector {
            let got = try await context.exchange([:], from: [dealer], expectedWords: 2 * count, step: "dealer truncation pairs")[dealer]!
            return TruncationPairs(r: r, msb: Array(got[0..<count]), shifted: Array(got[count...]), fractionalBits: f)
        }
        let m = own!.words(count), s = own!.words(count)
        _ = try await context.exchange([:], from: [], expectedWords: 2 * count, step: "dealer truncation pairs")
        return TruncationPairs(r: r, msb: m, shifted: s, fractionalBits: f)
    }
}
