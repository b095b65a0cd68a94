public import TacitMPC
public import TacitNet
import TacitMath

/// One party's engine for the Shamir protocol (see ``ShamirProtocol``).
/// Not `Sendable`: owned by the job task that made it.
public final class ShamirEngine: MPCEngine {
    public typealias Share = FieldShare

    public let context: MPCContext
    /// The polynomial degree: any t parties learn nothing.
    public let threshold: Int
    let points: [UInt64]
    /// Lagrange coefficients at 0 over all n points (degree reduction of 2t-degree products).
    let lambdaAll: [UInt64]
    /// Lagrange coefficients at 0 over the first t + 1 points, and for every other point the
    /// coefficients predicting its share from those (the consistency check on reveal).
    let lambdaReconstruct: [UInt64]
    let predict: [[UInt64]]
    let rng: AESPRG

    /// Bits of a field element; comparisons work on values below p/2 in magnitude.
    static let bitLength = 61

    /// Comparisons: |x − y| < 2^60 (the centred range); fixed point: |x·y| < 2^59 before
    /// truncation; truncation is off by at most one in the last place.
    public let bounds = OperationBounds(
        comparisonBound: Int128(1) << 60, fixedProductBound: Int128(1) << 59, truncationError: 1)

    init(context: MPCContext) {
        self.context = context
        let n = context.partyCount
        threshold = (n - 1) / 2
        rng = AESPRG(seed: context.freshSeed())
        points = (1...n).map { UInt64($0) }
        lambdaAll = F.lagrange(at: 0, points: points)
        let base = Array(points[0...threshold])
        lambdaReconstruct = F.lagrange(at: 0, points: base)
        predict = points[(threshold + 1)...].map { F.lagrange(at: $0, points: base) }
    }

    @Sendable
    static func cost(_ op: MPCOperation, _ n: Int) -> OperationCost {
        let peer = 8 * (n - 1)
        let bitsCost = 61 * 3 * peer
        let bitLT = 122 * peer
        let cmp = OperationCost(rounds: 11, bytesSentPerElement: bitsCost + bitLT + 2 * peer)
        switch op {
        case .add, .subtract, .multiplyByConstant, .sum: return .local
        case .input: return OperationCost(rounds: 1, bytesSentPerElement: peer)  // the owner's
        case .multiply, .dot, .select: return OperationCost(rounds: 1, bytesSentPerElement: peer)
        case .reveal: return OperationCost(rounds: 1, bytesSentPerElement: peer)
        case .multiplyFixed: return OperationCost(rounds: 11, bytesSentPerElement: bitsCost + bitLT + 2 * peer)
        case .lessThan, .greaterThan: return cmp
        case .equal: return OperationCost(rounds: 11, bytesSentPerElement: 2 * cmp.bytesSentPerElement)
        case .max, .min: return OperationCost(rounds: 12, bytesSentPerElement: cmp.bytesSentPerElement + peer)
        }
    }

    var n: Int { context.partyCount }
    var me: Int { context.index }

    func randomField(_ count: Int) -> [UInt64] {
        rng.words(count).map { w in
            let v = w >> 3
            return v == F.p ? 0 : v
        }
    }

    /// Shares of `values` for every party (index-aligned), on random degree-t polynomials.
    func deal(_ values: [UInt64]) -> [[UInt64]] {
        let m = values.count
        var out = [[UInt64]](repeating: values, count: n)
        if threshold > 0 {
            var coeffs: [[UInt64]] = []
            for _ in 0..<threshold { coeffs.append(randomField(m)) }
            for j in 0..<n {
                let x = points[j]
                out[j] = (0..<m).map { i in
                    var acc: UInt64 = 0
                    for k in stride(from: threshold - 1, through: 0, by: -1) { acc = F.add(F.mul(acc, x), coeffs[k][i]) }
                    return F.add(values[i], F.mul(acc, x))
                }
            }
        }
        return out
    }

    // MARK: Primitives

    public func count(_ x: FieldShare) -> Int { x.words.count }
    public func shareWords(_ x: FieldShare) -> [UInt64] { x.words }
    public func add(_ x: FieldShare, _ y: FieldShare) -> FieldShare { FieldShare(Words.map2F(x.words, y.words, F.add)) }
    public func subtract(_ x: FieldShare, _ y: FieldShare) -> FieldShare { FieldShare(Words.map2F(x.words, y.words, F.sub)) }

    public func multiply(_ x: FieldShare, byConstants c: [Int64]) -> FieldShare {
        let k = Words.broadcast(c.map(F.from), count: x.words.count)
        return FieldShare(Words.map2F(x.words, k, F.mul))
    }

    /// Every party adds the constant: the polynomial's constant term moves, the rest stays.
    public func addConstants(_ x: FieldShare, _ c: [Int64]) -> FieldShare {
        let k = Words.broadcast(c.map(F.from), count: x.words.count)
        return FieldShare(Words.map2F(x.words, k, F.add))
    }

    func addPublic(_ x: [UInt64], _ c: [UInt64]) -> [UInt64] { Words.map2F(x, c, F.add) }

    public func sum(_ x: FieldShare) -> FieldShare { FieldShare([x.words.reduce(0, F.add)]) }
    public func concatenate(_ parts: [FieldShare]) -> FieldShare { FieldShare(parts.flatMap(\.words)) }
    public func slice(_ x: FieldShare, _ range: Range<Int>) -> FieldShare { FieldShare(Array(x.words[range])) }

    public func input(_ values: [Int64]?, from owner: PartyID, count: Int) async throws -> FieldShare {
        guard let ownerIndex = context.parties.firstIndex(of: owner) else {
            throw MPCError(.invalidArgument, "input owner \(owner) is not a party of the job")
        }
        if ownerIndex == me {
            guard let values, values.count == count else {
                throw MPCError(.invalidArgument, "\(owner) must pass exactly \(count) input values, got \(values?.count ?? 0)")
            }
            let shares = deal(values.map(F.from))
            var outgoing: [PartyID: [[UInt64]]] = [:]
            for (j, p) in context.parties.enumerated() where j != me { outgoing[p] = [shares[j]] }
            _ = try await context.exchange(outgoing, from: [], expectedWords: count, step: "shamir input")
            return FieldShare(shares[me])
        }
        let got = try await context.exchange(
            [:], from: [owner], expectedWords: count, validation: .below(F.p), step: "shamir input")
        return FieldShare(got[owner]!)
    }

    /// Every party deals a random vector; the sum is random and unknown to any t parties.
    func randomShared(_ count: Int) async throws -> [UInt64] {
        let shares = deal(randomField(count))
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for (j, p) in context.parties.enumerated() where j != me { outgoing[p] = [shares[j]] }
        let got = try await context.exchange(
            outgoing, from: context.peers, expectedWords: count, validation: .below(F.p), step: "shamir random")
        var s = shares[me]
        for (_, w) in got { s = Words.map2F(s, w, F.add) }
        return s
    }

    /// Local product (degree 2t), then each party reshares its product share at degree t and
    /// everyone recombines with the Lagrange coefficients at 0 (Gennaro–Rabin–Rabin).
    public func multiply(_ x: FieldShare, _ y: FieldShare) async throws -> FieldShare {
        FieldShare(try await mul(x.words, y.words))
    }

    func mul(_ x: [UInt64], _ y: [UInt64]) async throws -> [UInt64] {
        let m = x.count
        let h = Words.map2F(x, y, F.mul)
        let shares = deal(h)
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for (j, p) in context.parties.enumerated() where j != me { outgoing[p] = [shares[j]] }
        let got = try await context.exchange(
            outgoing, from: context.peers, expectedWords: m, validation: .below(F.p), step: "shamir degree reduction")
        var z = Words.map1F(shares[me]) { F.mul($0, self.lambdaAll[self.me]) }
        for (j, p) in context.parties.enumerated() where j != me {
            let w = got[p]!
            let l = lambdaAll[j]
            z.withUnsafeMutableBufferPointer { zz in
                for i in 0..<m { zz[i] = F.add(zz[i], F.mul(w[i], l)) }
            }
        }
        return z
    }

    /// Reconstructs from all n shares (index-aligned), checking that they lie on one degree-t
    /// polynomial.
    func reconstruct(_ all: [[UInt64]], senders: [PartyID]) throws -> [UInt64] {
        let m = all[0].count
        var v = [UInt64](repeating: 0, count: m)
        for j in 0...threshold {
            for i in 0..<m { v[i] = F.add(v[i], F.mul(all[j][i], lambdaReconstruct[j])) }
        }
        for (k, coeffs) in predict.enumerated() {
            let j = threshold + 1 + k
            for i in 0..<m {
                var s: UInt64 = 0
                for q in 0...threshold { s = F.add(s, F.mul(all[q][i], coeffs[q])) }
                if s != all[j][i] {
                    throw MPCError(
                        .inconsistentShares,
                        "the shares opened for element \(i) do not lie on one polynomial of degree \(threshold): "
                            + "some party among \(senders) sent a wrong share; the job is aborted")
                }
            }
        }
        return v
    }

    /// Opens to everyone (internal steps of comparisons).
    func open(_ x: [UInt64]) async throws -> [UInt64] {
        let got = try await context.exchangeWithAll([x], expectedWords: x.count, validation: .below(F.p), step: "shamir open")
        let all = context.parties.enumerated().map { j, p in j == me ? x : got[p]! }
        return try reconstruct(all, senders: context.peers)
    }

    public func reveal(_ x: FieldShare, to recipients: [PartyID]?) async throws -> [Int64]? {
        guard let all = try await context.openShares(x.words, to: recipients, validation: .below(F.p)) else { return nil }
        return try reconstruct(all, senders: context.peers).map(F.signed)
    }

    // MARK: Bits and comparison

    /// `count` × 61 shared random bits, bit-major (bits[j] is bit j of each element), and the
    /// shared value r = Σ 2^j bits[j]. Each bit: a random shared a, open a², b = (a/√a² + 1)/2
    /// (Damgård–Fitzi–Kiltz–Nielsen–Toft). p ≡ 3 (mod 4), so √y = y^((p+1)/4).
    func randomBits(_ count: Int) async throws -> (bits: [[UInt64]], value: [UInt64]) {
        let L = Self.bitLength
        let total = count * L
        let a = try await randomShared(total)
        let a2 = try await open(try await mul(a, a))
        if a2.contains(0) {
            throw MPCError(.inconsistentShares, "a random value was zero (probability 2^-61 per bit); run the job again")
        }
        let roots = a2.map { F.pow($0, (F.p + 1) / 4) }
        let inv = F.batchInverse(roots)
        let half = F.inv(2)
        let b = (0..<total).map { i in F.mul(F.add(F.mul(a[i], inv[i]), 1), half) }
        var bits: [[UInt64]] = []
        var value = [UInt64](repeating: 0, count: count)
        for j in 0..<L {
            let slice = Array(b[(j * count)..<((j + 1) * count)])
            bits.append(slice)
            let w = UInt64(1) << UInt64(j)
            for i in 0..<count { value[i] = F.add(value[i], F.mul(slice[i], w)) }
        }
        return (bits, value)
    }

    /// Shares of [c < r] for public c (canonical) and shared bits of r: a prefix tree,
    /// most significant first, combining (equal, less) pairs: l = l_H + e_H·l_L, e = e_H·e_L.
    func lessThanBits(_ c: [UInt64], _ bits: [[UInt64]]) async throws -> [UInt64] {
        let m = c.count
        let one = [UInt64](repeating: 1, count: m)
        var nodes: [(e: [UInt64], l: [UInt64])] = []
        for j in stride(from: bits.count - 1, through: 0, by: -1) {
            let r = bits[j]
            var e = [UInt64](repeating: 0, count: m), l = e
            for i in 0..<m {
                if (c[i] >> UInt64(j)) & 1 == 1 {
                    e[i] = r[i]
                    l[i] = 0
                } else {
                    e[i] = F.sub(one[i], r[i])
                    l[i] = r[i]
                }
            }
            nodes.append((e, l))
        }
        while nodes.count > 1 {
            let pairs = nodes.count / 2
            let final = nodes.count == 2
            var lhs: [UInt64] = [], rhs: [UInt64] = []
            for k in 0..<pairs {
                let hi = nodes[2 * k], lo = nodes[2 * k + 1]
                lhs += hi.e
                rhs += lo.l
                if !final {
                    lhs += hi.e
                    rhs += lo.e
                }
            }
            let prod = try await mul(lhs, rhs)
            let stride = final ? m : 2 * m
            var next: [(e: [UInt64], l: [UInt64])] = []
            for k in 0..<pairs {
                let hi = nodes[2 * k]
                let base = k * stride
                let l = Words.map2F(hi.l, Array(prod[base..<(base + m)]), F.add)
                let e = final ? [] : Array(prod[(base + m)..<(base + 2 * m)])
                next.append((e, l))
            }
            if nodes.count % 2 == 1 { next.append(nodes.last!) }
            nodes = next
        }
        return nodes[0].l
    }

    /// [x < 0] as the parity of 2x (Nishide–Ohta): 2x mod p is odd exactly when x is in the
    /// upper half. With r random and known bit-wise, c = 2x + r opened, the parity is
    /// c₀ ⊕ r₀ ⊕ [c < r].
    public func lessThanZero(_ x: FieldShare) async throws -> FieldShare {
        let m = x.words.count
        let (bits, r) = try await randomBits(m)
        let y = Words.map1F(x.words) { F.add($0, $0) }
        let c = try await open(Words.map2F(y, r, F.add))
        let w = try await lessThanBits(c, bits)
        let r0w = try await mul(bits[0], w)
        let out = (0..<m).map { i -> UInt64 in
            // t = r0 ⊕ w; lsb = c0 ⊕ t.
            let t = F.sub(F.add(bits[0][i], w[i]), F.add(r0w[i], r0w[i]))
            return c[i] & 1 == 1 ? F.sub(1, t) : t
        }
        return FieldShare(out)
    }

    /// Probabilistic truncation: X = x + 2^59, c = X + r opened, wrap w = [c < r]; then
    /// ⌊X / 2^f⌋ ≈ (c >> f) − (r >> f) + w·2^(61−f), off by at most +1 in the last place.
    public func truncate(_ x: FieldShare, fractionalBits f: Int) async throws -> FieldShare {
        precondition((1...58).contains(f), "truncate: fractional bits must be 1...58")
        let m = x.words.count
        let shift: UInt64 = 1 << 59
        let X = Words.map1F(x.words) { F.add($0, shift) }
        let (bits, r) = try await randomBits(m)
        let c = try await open(Words.map2F(X, r, F.add))
        let w = try await lessThanBits(c, bits)
        var rHigh = [UInt64](repeating: 0, count: m)
        for j in f..<Self.bitLength {
            let k = UInt64(1) << UInt64(j - f)
            for i in 0..<m { rHigh[i] = F.add(rHigh[i], F.mul(bits[j][i], k)) }
        }
        let wrap = UInt64(1) << UInt64(61 - f)
        let offset = UInt64(1) << UInt64(59 - f)
        let out = (0..<m).map { i -> UInt64 in
            let pub = F.sub(c[i] >> UInt64(f), offset)
            return F.add(F.sub(pub, rHigh[i]), F.mul(w[i], wrap))
        }
        return FieldShare(out)
    }
}

extension Words {
    static func map2F(_ a: [UInt64], _ b: [UInt64], _ f: (UInt64, UInt64) -> UInt64) -> [UInt64] {
        precondition(a.count == b.count, "lengths differ (\(a.count) and \(b.count))")
        return (0..<a.count).map { f(a[$0], b[$0]) }
    }
    static func map1F(_ a: [UInt64], _ f: (UInt64) -> UInt64) -> [UInt64] { a.map(f) }
}
