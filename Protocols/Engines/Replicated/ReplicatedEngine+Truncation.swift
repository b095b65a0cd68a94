import TacitMPC
import TacitNet
import TacitMath

/// Fixed-point truncation without a dealer: parties 0 and 1 hold x as two additive halves
/// (X₀ = x₀ + x₂ at party 0, X₁ = x₁ at party 1) and run the probabilistic truncation of
/// Escudero et al. (exact up to +1 in the last place for |x| < 2^62) with party 2 in the
/// dealer's role for that pair: it draws r = r₀ + r₁ from the PRGs it shares with each and
/// sends party 1 the corrections that make their halves of r₆₃ and (r mod 2^63) >> f add up.
/// Party 2 never sees c = x + 2^62 + r; parties 0 and 1 see c but not r. The halves of the
/// result are then reshared into three components with masks from the PRG of parties 0 and
/// 1. Two rounds; two words sent by each party.
extension ReplicatedEngine {
    public func truncate(_ x: ReplicatedShare, fractionalBits f: Int) async throws -> ReplicatedShare {
        precondition((1...60).contains(f), "truncate: fractional bits must be 1...60")
        let m = x.own.count
        let ps = context.parties
        let low63: UInt64 = (1 << 63) - 1
        let uf = UInt64(f)
        // A half's share of y = ⌊X / 2^f⌋ from public c and its halves of r₆₃ and r's shift.
        func half(_ c: [UInt64], _ msb: [UInt64], _ shifted: [UInt64], lead: Bool) -> [UInt64] {
            (0..<m).map { k in
                let c63 = c[k] >> 63
                var b = msb[k] &* (1 &- 2 &* c63)
                if lead { b &+= c63 }
                var y = (b << (63 - uf)) &- shifted[k]
                if lead { y = y &+ ((c[k] & low63) >> uf) &- (1 << (62 - uf)) }
                return y
            }
        }
        switch index {
        case 0:
            let r = withPrev.words(m), msb = withPrev.words(m), shifted = withPrev.words(m)
            let mine = (0..<m).map { k in x.own[k] &+ x.prev[k] &+ (1 << 62) &+ r[k] }
            var theirs = [UInt64](repeating: 0, count: m)
            try await context.exchangeInPlace(
                [ps[1]: m], expecting: [ps[1]: m], step: "replicated truncation open",
                fill: { _, raw in mine.withUnsafeBufferPointer { Words.store($0, into: raw) } },
                receive: { _, offset, raw in theirs.withUnsafeMutableBufferPointer { Self.load(raw, into: $0, at: offset) } })
            let y = half(Words.add(mine, theirs), msb, shifted, lead: true)
            let s = withNext.words(m), t = withNext.words(m)
            let toParty2 = (0..<m).map { k in y[k] &- s[k] &+ t[k] }
            try await context.exchangeInPlace(
                [ps[2]: m], expecting: [:], step: "replicated truncation reshare",
                fill: { _, raw in toParty2.withUnsafeBufferPointer { Words.store($0, into: raw) } }, receive: { _, _, _ in })
            // Components: x₀ = s, x₂ = y₀ − s + t.
            return ReplicatedShare(own: s, prev: toParty2)
        case 1:
            let r = withNext.words(m)
            let mine = Words.add(x.own, r)
            var theirs = [UInt64](repeating: 0, count: m)
            var corrections = [UInt64](repeating: 0, count: 2 * m)
            try await context.exchangeInPlace(
                [ps[0]: m], expecting: [ps[0]: m, ps[2]: 2 * m], step: "replicated truncation open",
                fill: { _, raw in mine.withUnsafeBufferPointer { Words.store($0, into: raw) } },
                receive: { peer, offset, raw in
                    if peer == ps[0] {
                        theirs.withUnsafeMutableBufferPointer { Self.load(raw, into: $0, at: offset) }
                    } else {
                        corrections.withUnsafeMutableBufferPointer { Self.load(raw, into: $0, at: offset) }
                    }
                })
            let y = half(Words.add(mine, theirs), Array(corrections[0..<m]), Array(corrections[m...]), lead: false)
            let s = withPrev.words(m), t = withPrev.words(m)
            let toParty2 = Words.sub(y, t)
            try await context.exchangeInPlace(
                [ps[2]: m], expecting: [:], step: "replicated truncation reshare",
                fill: { _, raw in toParty2.withUnsafeBufferPointer { Words.store($0, into: raw) } }, receive: { _, _, _ in })
            // Components: x₁ = y₁ − t, x₀ = s.
            return ReplicatedShare(own: toParty2, prev: s)
        default:
            let r0 = withNext.words(m), msb0 = withNext.words(m), shifted0 = withNext.words(m)
            let r1 = withPrev.words(m)
            let corrections = [UInt64](unsafeUninitializedCapacity: 2 * m) { out, done in
                for k in 0..<m {
                    let r = r0[k] &+ r1[k]
                    out[k] = (r >> 63) &- msb0[k]
                    out[m + k] = ((r & low63) >> uf) &- shifted0[k]
                }
                done = 2 * m
            }
            try await context.exchangeInPlace(
                [ps[1]: 2 * m], expecting: [:], step: "replicated truncation open",
                fill: { _, raw in corrections.withUnsafeBufferPointer { Words.store($0, into: raw) } }, receive: { _, _, _ in })
            var fromParty0 = [UInt64](repeating: 0, count: m)
            var fromParty1 = [UInt64](repeating: 0, count: m)
            try await context.exchangeInPlace(
                [:], expecting: [ps[0]: m, ps[1]: m], step: "replicated truncation reshare", fill: { _, _ in },
                receive: { peer, offset, raw in
                    if peer == ps[0] {
                        fromParty0.withUnsafeMutableBufferPointer { Self.load(raw, into: $0, at: offset) }
                    } else {
                        fromParty1.withUnsafeMutableBufferPointer { Self.load(raw, into: $0, at: offset) }
                    }
                })
            // Components: x₂ = y₀ − s + t (from party 0), x₁ = y₁ − t (from party 1).
            return ReplicatedShare(own: fromParty0, prev: fromParty1)
        }
    }
}
