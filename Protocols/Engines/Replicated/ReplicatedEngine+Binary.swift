import TacitMPC
import TacitNet
import TacitMath

/// Binary (XOR) replicated shares and the circuits on them: the sign of a ring value (for
/// comparisons) and a test for zero (for equality), each ending in a bit injection back to
/// the ring. Words hold 64 lanes; the prefix levels pack several elements' live bits into
/// one word, so a level costs a fraction of a word per element.
extension ReplicatedEngine {
    /// Applies `f` to both components (XOR-linear maps: shifts, masks, XOR of shares).
    @inline(__always)
    func local(_ x: ReplicatedShare, _ f: (UInt64) -> UInt64) -> ReplicatedShare {
        ReplicatedShare(own: x.own.map(f), prev: x.prev.map(f))
    }

    @inline(__always)
    func local(_ x: ReplicatedShare, _ y: ReplicatedShare, _ f: (UInt64, UInt64) -> UInt64) -> ReplicatedShare {
        let m = x.own.count
        return ReplicatedShare(
            own: (0..<m).map { f(x.own[$0], y.own[$0]) }, prev: (0..<m).map { f(x.prev[$0], y.prev[$0]) })
    }

    /// XORs a public word into every element: component x₀ (party 0's `own`, party 1's `prev`).
    func xorConstant(_ x: ReplicatedShare, _ c: UInt64) -> ReplicatedShare {
        var y = x
        if index == 0 { y.own = x.own.map { $0 ^ c } } else if index == 1 { y.prev = x.prev.map { $0 ^ c } }
        return y
    }

    /// Lane-wise AND of binary shares: zᵢ = xᵢyᵢ ⊕ xᵢyᵢ₋₁ ⊕ xᵢ₋₁yᵢ ⊕ αᵢ, one round, one word.
    func and(_ x: ReplicatedShare, _ y: ReplicatedShare, step: StaticString) async throws -> ReplicatedShare {
        let m = x.own.count
        precondition(y.own.count == m, "and: lengths differ")
        let alpha = zeroSharing(m, xor: true)
        let z = [UInt64](unsafeUninitializedCapacity: m) { out, done in
            x.own.withUnsafeBufferPointer { xa in
                x.prev.withUnsafeBufferPointer { xb in
                    y.own.withUnsafeBufferPointer { ya in
                        y.prev.withUnsafeBufferPointer { yb in
                            for k in 0..<m { out[k] = (xa[k] & (ya[k] ^ yb[k])) ^ (xb[k] & ya[k]) ^ alpha[k] }
                        }
                    }
                }
            }
            done = m
        }
        return ReplicatedShare(own: z, prev: try await passToNext(z, step: step))
    }

    /// The ring value x as two binary-shared summands A + B = x: A = x₀ + x₂ (both of party
    /// 0's components, which it inputs), B = x₁ (held by parties 1 and 2, so its binary
    /// sharing is x₁ as component 1 and costs nothing). One message from party 0.
    func binarySummands(_ x: ReplicatedShare, step: StaticString) async throws -> (ReplicatedShare, ReplicatedShare) {
        let m = x.own.count
        let mine: [UInt64]? = index == 0 ? Words.add(x.own, x.prev) : nil
        let a = try await deal(mine, from: 0, count: m, xor: true, step: step)
        let zeros = [UInt64](repeating: 0, count: m)
        let b: ReplicatedShare
        switch index {
        case 1: b = ReplicatedShare(own: x.own, prev: zeros)
        case 2: b = ReplicatedShare(own: zeros, prev: x.prev)
        default: b = ReplicatedShare(own: zeros, prev: zeros)
        }
        return (a, b)
    }

    /// A binary-shared bit (lane 0 of each word) as a ring share of 0/1: with m = m₀ ⊕ m₁ ⊕ m₂,
    /// party 0 knows t = m₀ ⊕ m₂ and inputs it; m₁ is ring component 1 as it stands; then
    /// m = t + m₁ − 2·t·m₁ (one multiplication). Two rounds.
    func inject(_ bit: ReplicatedShare) async throws -> ReplicatedShare {
        let m = bit.own.count
        let t = try await deal(index == 0 ? (0..<m).map { (bit.own[$0] ^ bit.prev[$0]) & 1 } : nil,
                               from: 0, count: m, xor: false, step: "replicated bit injection")
        let zeros = [UInt64](repeating: 0, count: m)
        let m1: ReplicatedShare
        switch index {
        case 1: m1 = ReplicatedShare(own: bit.own.map { $0 & 1 }, prev: zeros)
        case 2: m1 = ReplicatedShare(own: zeros, prev: bit.prev.map { $0 & 1 })
        default: m1 = ReplicatedShare(own: zeros, prev: zeros)
        }
        let product = try await multiply(t, m1)
        return subtract(add(t, m1), multiply(product, byConstant: 2))
    }

    /// Packs `count(x)` elements, `perWord` to a word, element e shifted left by `width`·(e mod
    /// `perWord`) (its live bits must fit in `width` bits at the bottom after `f`).
    func pack(_ x: ReplicatedShare, perWord: Int, width: Int, _ f: (UInt64) -> UInt64) -> ReplicatedShare {
        let m = x.own.count
        let words = (m + perWord - 1) / perWord
        func packed(_ v: [UInt64]) -> [UInt64] {
            [UInt64](unsafeUninitializedCapacity: words) { out, done in
                for w in 0..<words { out[w] = 0 }
                for e in 0..<m { out[e / perWord] |= f(v[e]) << UInt64(width * (e % perWord)) }
                done = words
            }
        }
        return ReplicatedShare(own: packed(x.own), prev: packed(x.prev))
    }

    /// Element e of a packed vector, back at the bottom of its word, masked.
    @inline(__always)
    static func unpacked(_ v: [UInt64], _ e: Int, perWord: Int, width: Int, mask: UInt64) -> UInt64 {
        (v[e / perWord] >> UInt64(width * (e % perWord))) & mask
    }

    /// 1 where x < 0 (the top bit of x = A + B): generate gᵢ = aᵢbᵢ and propagate pᵢ = aᵢ ⊕ bᵢ,
    /// then combine (G, P) pairs over bits 0…62 in a six-level tree to the carry into bit 63;
    /// the sign is p₆₃ ⊕ carry. Bit 63's (g, p) is replaced by the identity (0, 1) so the tree
    /// spans whole words. Level 1 combines adjacent bits of each word with one AND word (the
    /// two products of a pair side by side); at level ℓ ≥ 2 only two bits per 2^ℓ-bit group are
    /// live, so 2^(ℓ−1) elements share a word. ANDs: 1 + 1 + ½ + ¼ + … ≈ 3 words per element.
    public func lessThanZero(_ x: ReplicatedShare) async throws -> ReplicatedShare {
        let m = x.own.count
        let top: UInt64 = 1 << 63
        let odd: UInt64 = 0xAAAA_AAAA_AAAA_AAAA, even: UInt64 = 0x5555_5555_5555_5555
        let (a, b) = try await binarySummands(x, step: "replicated comparison summands")
        let g = local(try await and(a, b, step: "replicated comparison generate")) { $0 & ~top }
        let p0 = local(a, b) { $0 ^ $1 }
        let signOfP = local(p0) { $0 >> 63 }
        let p = xorConstant(local(p0) { $0 & ~top }, top)

        // Level 1: pairs (2k+1, 2k). X = P_hi at both bits; Y = (G_lo at the odd bit, P_lo at
        // the even one); G' = G_hi ⊕ P_hi·G_lo at the odd bit, P' = P_hi·P_lo at the even one.
        let x1 = local(p) { ($0 & odd) | (($0 & odd) >> 1) }
        let y1 = local(g, p) { (($0 << 1) & odd) | ($1 & even) }
        let z1 = try await and(x1, y1, step: "replicated comparison level 1")
        var w = local(z1, g) { $0 ^ ($1 & odd) }

        // Levels 2…6: groups of width 2·h (h = 2…32), lo group's (G, P) at bits (B+1, B), hi
        // group's at (B+h+1, B+h).
        var h = 2
        while h <= 32 {
            var m1: UInt64 = 0
            var base = 0
            while base < 64 {
                m1 |= 1 << UInt64(base + 1)
                base += 2 * h
            }
            let m0 = m1 >> 1, live = m1 | m0
            let sh = UInt64(h)
            let xs = pack(w, perWord: h, width: 2) { v in
                // Live bits at (B+1, B); moved to the bottom of each group for packing.
                ((v >> (sh - 1)) & m1) | ((v >> sh) & m0)
            }
            let ys = pack(w, perWord: h, width: 2) { v in v & live }
            let zs = try await and(xs, ys, step: "replicated comparison level")
            let prevW = w
            let mk = live
            // Packed at shift 2·(e mod h): group bits (B+1, B) sit at 2j·h + {1, 0}, and 2·(e mod
            // h) < 2h keeps every element inside its own groups.
            w = ReplicatedShare(
                own: (0..<m).map { e in
                    Self.unpacked(zs.own, e, perWord: h, width: 2, mask: mk) ^ ((prevW.own[e] >> sh) & m1)
                },
                prev: (0..<m).map { e in
                    Self.unpacked(zs.prev, e, perWord: h, width: 2, mask: mk) ^ ((prevW.prev[e] >> sh) & m1)
                })
            h *= 2
        }
        // The carry into bit 63 is G at bit 1 of the last level.
        let sign = local(signOfP, w) { ($0 ^ ($1 >> 1)) & 1 }
        return try await inject(sign)
    }

    /// 1 where x == y: d = x − y = A + B is zero exactly when A = −B, i.e. when every bit of
    /// ¬(A ⊕ −B) is 1 (−B is local: B = d₁ is known to both its holders). Six levels AND the
    /// halves of each element together (32, 16, … 1 live bits), packing 64/h elements a word:
    /// about one AND word per element, then a bit injection.
    public func equal(_ x: ReplicatedShare, _ y: ReplicatedShare) async throws -> ReplicatedShare {
        let m = x.own.count
        let d = subtract(x, y)
        let (a, b) = try await binarySummands(d, step: "replicated equality summands")
        let negB = ReplicatedShare(own: b.own.map { 0 &- $0 }, prev: b.prev.map { 0 &- $0 })
        // −B only where a party holds B's component: the zero components stay zero.
        var e = xorConstant(local(a, negB) { $0 ^ $1 }, ~0)
        var h = 32
        while h >= 1 {
            let mask: UInt64 = h == 64 ? ~0 : (1 << UInt64(h)) - 1
            let per = 64 / h
            let sh = UInt64(h)
            let xs = pack(e, perWord: per, width: h) { $0 & mask }
            let ys = pack(e, perWord: per, width: h) { ($0 >> sh) & mask }
            let zs = try await and(xs, ys, step: "replicated equality level")
            e = ReplicatedShare(
                own: (0..<m).map { Self.unpacked(zs.own, $0, perWord: per, width: h, mask: mask) },
                prev: (0..<m).map { Self.unpacked(zs.prev, $0, perWord: per, width: h, mask: mask) })
            h /= 2
        }
        return try await inject(e)
    }
}
