public import TacitMPC
import TacitNet
import TacitMath

/// Shamir secret sharing over GF(2^61 − 1), degree t = ⌊(n − 1)/2⌋ (t < n/2), n ≥ 3,
/// semi-honest, honest majority, no preprocessing and no dealer (BGW with the
/// Gennaro–Rabin–Rabin degree reduction). Comparisons and truncation use jointly generated
/// random bits (Damgård et al.'s square-root trick) and a bit-wise comparison with a public
/// value (the LSB test of Nishide–Ohta). See `Protocols/Engines/Shamir/README.md`.
public struct ShamirProtocol: MPCProtocol {
    public let descriptor: ProtocolDescriptor

    public init() {
        descriptor = ProtocolDescriptor(
            name: "shamir",
            summary: "Shamir sharing over GF(2^61-1), t < n/2, BGW/GRR multiplication, no preprocessing",
            security: SecurityModel(adversary: .semiHonest, corruption: .honestMajority, dealer: .none),
            partyCounts: 3...16,
            learns: "Any t = ⌊(n−1)/2⌋ parties together see only uniformly random shares and openings of "
                + "uniformly masked values; each party learns the outputs revealed to it and vector lengths.",
            domain: .primeField(modulus: Mersenne61.modulus), cost: ShamirEngine.cost)
    }

    public func makeEngine(_ context: MPCContext) async throws -> any MPCEngine {
        try ShamirEngine.requirePartyCount(context, descriptor)
        return ShamirEngine(context: context)
    }
}

/// This party's Shamir shares (evaluations at its point, index + 1) of a vector.
public struct FieldShare: Sendable {
    public var words: [UInt64]
    public init(_ words: [UInt64]) { self.words = words }
}

/// GF(2^61 − 1) arithmetic on raw canonical words.
@usableFromInline
enum F {
    @usableFromInline static let p: UInt64 = (1 << 61) - 1
    @inline(__always) @usableFromInline
    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a &+ b
        return r >= p ? r &- p : r
    }
    @inline(__always) @usableFromInline
    static func sub(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a &- b : a &+ (p &- b) }
    @inline(__always) @usableFromInline
    static func mul(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (hi, lo) = a.multipliedFullWidth(by: b)
        var r = (lo & p) &+ ((lo >> 61) | (hi << 3))
        if r >= p { r &-= p }
        return r
    }
    static func neg(_ a: UInt64) -> UInt64 { a == 0 ? 0 : p &- a }
    static func from(_ v: Int64) -> UInt64 {
        let m = v.magnitude % p
        return v < 0 ? neg(m) : m
    }
    static func signed(_ a: UInt64) -> Int64 { a > p / 2 ? -Int64(p - a) : Int64(a) }
    static func pow(_ a: UInt64, _ e: UInt64) -> UInt64 {
        var r: UInt64 = 1, b = a, e = e
        while e > 0 {
            if e & 1 == 1 { r = mul(r, b) }
            b = mul(b, b)
            e >>= 1
        }
        return r
    }
    static func inv(_ a: UInt64) -> UInt64 { pow(a, p - 2) }

    /// Montgomery's batch inversion: one exponentiation for the whole vector. Zeros stay 0.
    static func batchInverse(_ xs: [UInt64]) -> [UInt64] {
        var prefix = [UInt64](repeating: 1, count: xs.count)
        var acc: UInt64 = 1
        for i in 0..<xs.count {
            prefix[i] = acc
            if xs[i] != 0 { acc = mul(acc, xs[i]) }
        }
        var inv = self.inv(acc)
        var out = [UInt64](repeating: 0, count: xs.count)
        for i in stride(from: xs.count - 1, through: 0, by: -1) where xs[i] != 0 {
            out[i] = mul(inv, prefix[i])
            inv = mul(inv, xs[i])
        }
        return out
    }

    /// Lagrange coefficients at `x` for the points `xs`.
    static func lagrange(at x: UInt64, points xs: [UInt64]) -> [UInt64] {
        xs.map { xi in
            var num: UInt64 = 1, den: UInt64 = 1
            for xj in xs where xj != xi {
                num = mul(num, sub(x, xj))
                den = mul(den, sub(xi, xj))
            }
            return mul(num, inv(den))
        }
    }
}
