public import TacitNet
import TacitCrypto
import TacitMath

/// Dealer-free Beaver triples for additive sharing over Z/2^64, semi-honest, dishonest
/// majority: every pair of parties runs IKNP oblivious-transfer extension (Ishai–Kilian–
/// Nissim–Petrank 2003) in both directions, on 128 base OTs (Chou–Orlandi "simplest OT" over
/// P-256), and multiplies with Gilboa's OT-based product: 64 correlated OTs per 64-bit
/// product (one per bit of the receiver's factor), 1 per AND lane for binary triples.
///
/// c = (Σ aᵢ)(Σ bᵢ) = Σ aᵢbᵢ + Σ_{i≠j} aᵢbⱼ: each cross product aᵢbⱼ is a Gilboa product
/// with i sending and j receiving. Costs per arithmetic triple, per ordered pair: 64 OTs,
/// 1 KiB of IKNP matrix from the receiver and 512 B of corrections from the sender.
///
/// Hashing is fixed-key AES as a correlation-robust function (H_i(x) = π(x ⊕ i) ⊕ x ⊕ i);
/// PRGs are AES-128-CTR. Semi-honest security only (no consistency checks on the IKNP
/// matrix; a malicious receiver could learn Δ bits).
public final class OTTripleSource: TripleSource, @unchecked Sendable {
    // @unchecked: used by one job task.
    /// Triples per IKNP batch (bounds memory: the matrix is 128 × batch words per pair).
    public var batchSize: Int
    private var senders: [PartyID: SenderState] = [:]
    private var receivers: [PartyID: ReceiverState] = [:]
    private let aes = FixedKeyAES()
    private var rng: AESPRG?

    final class SenderState {
        let delta: (UInt64, UInt64)
        let columns: [AESPRG]  // k_{Δ_j}
        var tweak: UInt64 = 0
        init(delta: (UInt64, UInt64), columns: [AESPRG]) {
            self.delta = delta
            self.columns = columns
        }
    }

    final class ReceiverState {
        let zero: [AESPRG]
        let one: [AESPRG]
        var tweak: UInt64 = 0
        init(zero: [AESPRG], one: [AESPRG]) {
            self.zero = zero
            self.one = one
        }
    }

    public init(batchSize: Int = 8192) { self.batchSize = batchSize }

    /// Base OTs for every ordered pair: this party is the base-OT sender (with fresh seed
    /// pairs) towards each peer for the direction where it is the extension receiver, and
    /// the base-OT receiver (with choice bits Δ) for the other.
    public func setup(_ context: MPCContext) async throws {
        let group = P256()
        rng = AESPRG(seed: context.freshSeed())
        let peers = context.peers
        // Round 1: A = a·G to every peer (for the direction peer → me, where I receive).
        let a = group.randomScalar()
        let bigA = group.multiplyGenerator(a)
        var out1: [PartyID: [UInt8]] = [:]
        for p in peers { out1[p] = bigA }
        let gotA = try await context.exchangeBytes(out1, from: peers, expectedBytes: P256.pointBytes, step: "base OT A")
        // Round 2: as the sender of extension towards each peer, choose Δ and answer with
        // B_j = b_j·G + Δ_j·A_peer.
        var out2: [PartyID: [UInt8]] = [:]
        var pending: [PartyID: (delta: (UInt64, UInt64), keys: [[UInt8]])] = [:]
        for p in peers {
            let peerA = gotA[p]!
            let d0 = rng!.next(), d1 = rng!.next()
            var bytes: [UInt8] = []
            var keys: [[UInt8]] = []
            for j in 0..<128 {
                let bit = ((j < 64 ? d0 >> UInt64(j) : d1 >> UInt64(j - 64)) & 1) == 1
                let b = group.randomScalar()
                var point = group.multiplyGenerator(b)
                do {
                    if bit { point = try group.add(point, peerA) }
                    keys.append(P256.key(fromPoint: try group.multiply(peerA, by: b), index: j))
                } catch {
                    throw MPCError(.malformedMessage, "\(p) sent an invalid base-OT point: \(error)", peer: p)
                }
                bytes += point
            }
            out2[p] = bytes
            pending[p] = ((d0, d1), keys)
        }
        let gotB = try await context.exchangeBytes(out2, from: peers, expectedBytes: 128 * P256.pointBytes, step: "base OT B")
        for p in peers {
            let (delta, keys) = pending[p]!
            senders[p] = SenderState(delta: delta, columns: keys.map { AESPRG(seed: $0) })
            let bytes = gotB[p]!
            var zero: [AESPRG] = [], one: [AESPRG] = []
            for j in 0..<128 {
                let bj = Array(bytes[(j * 33)..<((j + 1) * 33)])
                do {
                    zero.append(AESPRG(seed: P256.key(fromPoint: try group.multiply(bj, by: a), index: j)))
                    one.append(AESPRG(seed: P256.key(fromPoint: try group.multiply(try group.add(bj, bigA, subtract: true), by: a), index: j)))
                } catch {
                    throw MPCError(.malformedMessage, "\(p) sent an invalid base-OT point: \(error)", peer: p)
                }
            }
            receivers[p] = ReceiverState(zero: zero, one: one)
        }
    }

    public func arithmeticTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples {
        try await triples(count, context, binary: false)
    }

    public func binaryTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples {
        try await triples(count, context, binary: true)
    }

    public func truncationPairs(_ count: Int, fractionalBits: Int, _ context: MPCContext) async throws -> TruncationPairs? {
        nil
    }

    func triples(_ count: Int, _ context: MPCContext, binary: Bool) async throws -> BeaverTriples {
        var out = BeaverTriples(a: [], b: [], c: [])
        var done = 0
        while done < count {
            let k = min(batchSize, count - done)
            out.append(try await batch(k, context, binary: binary))
            done += k
        }
        return out
    }

    /// One batch of `count` triples.
    func batch(_ count: Int, _ context: MPCContext, binary: Bool) async throws -> BeaverTriples {
        let peers = context.peers
        let a = rng!.words(count), b = rng!.words(count)
        var c = binary ? Words.and(a, b) : Words.mul(a, b)
        // OTs: 64 per element (bit k of element e is OT 64e + k); choice bits are b itself.
        let m = 64 * count
        let wordsPerColumn = count  // m / 64
        // Round 1 (receiver → sender): u_j = G(k0_j) ⊕ G(k1_j) ⊕ b for j < 128.
        var tByPeer: [PartyID: [[UInt64]]] = [:]
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for p in peers {
            let st = receivers[p]!
            var ts: [[UInt64]] = []
            var us: [[UInt64]] = []
            ts.reserveCapacity(128)
            for j in 0..<128 {
                let t = st.zero[j].words(wordsPerColumn)
                var u = st.one[j].words(wordsPerColumn)
                u.withUnsafeMutableBufferPointer { uu in
                    for i in 0..<wordsPerColumn { uu[i] ^= t[i] ^ b[i] }
                }
                ts.append(t)
                us.append(u)
            }
            tByPeer[p] = ts
            outgoing[p] = us
        }
        let gotU = try await context.exchange(outgoing, from: peers, expectedWords: 128 * wordsPerColumn, step: "IKNP matrix")
        // Round 2 (sender → receiver): corrections.
        var corrections: [PartyID: [[UInt64]]] = [:]
        for p in peers {
            let st = senders[p]!
            let u = gotU[p]!
            var q: [[UInt64]] = []
            q.reserveCapacity(128)
            for j in 0..<128 {
                var col = st.columns[j].words(wordsPerColumn)
                let bit = ((j < 64 ? st.delta.0 >> UInt64(j) : st.delta.1 >> UInt64(j - 64)) & 1) == 1
                if bit {
                    u.withUnsafeBufferPointer { uu in
                        col.withUnsafeMutableBufferPointer { cc in
                            let base = j * wordsPerColumn
                            for i in 0..<wordsPerColumn { cc[i] ^= uu[base + i] }
                        }
                    }
                }
                q.append(col)
            }
            var rows = Self.transpose(q, words: wordsPerColumn)  // 2m words: (lo, hi) per OT
            var rowsDelta = rows
            rowsDelta.withUnsafeMutableBufferPointer { r in
                for i in 0..<m {
                    r[2 * i] ^= st.delta.0
                    r[2 * i + 1] ^= st.delta.1
                }
            }
            rows.withUnsafeMutableBufferPointer { aes.hash(inPlace: $0, tweakBase: st.tweak) }
            rowsDelta.withUnsafeMutableBufferPointer { aes.hash(inPlace: $0, tweakBase: st.tweak) }
            st.tweak &+= UInt64(m)
            if binary {
                // Lane k of element e: s0 = lsb H(Q), correction = s0 ⊕ s1 ⊕ a_k.
                var corr = [UInt64](repeating: 0, count: count)
                for e in 0..<count {
                    var s0w: UInt64 = 0, cw: UInt64 = 0
                    for k in 0..<64 {
                        let i = 64 * e + k
                        let s0 = rows[2 * i] & 1, s1 = rowsDelta[2 * i] & 1
                        s0w |= s0 << UInt64(k)
                        cw |= (s0 ^ s1) << UInt64(k)
                    }
                    corr[e] = cw ^ a[e]
                    c[e] ^= s0w
                }
                corrections[p] = [corr]
            } else {
                // Bit k of element e: correction = s0 − s1 + a·2^k; sender keeps −s0.
                var corr = [UInt64](repeating: 0, count: m)
                corr.withUnsafeMutableBufferPointer { cr in
                    rows.withUnsafeBufferPointer { r0 in
                        rowsDelta.withUnsafeBufferPointer { r1 in
                            for e in 0..<count {
                                var s: UInt64 = 0
                                let ae = a[e]
                                for k in 0..<64 {
                                    let i = 64 * e + k
                                    let s0 = r0[2 * i], s1 = r1[2 * i]
                                    s &+= s0
                                    cr[i] = s0 &- s1 &+ (ae << UInt64(k))
                                }
                                c[e] &-= s
                            }
                        }
                    }
                }
                corrections[p] = [corr]
            }
        }
        let expected = binary ? count : m
        let gotC = try await context.exchange(corrections, from: peers, expectedWords: expected, step: "Gilboa corrections")
        // Receiver side: H(T_i) + b_k·correction.
        for p in peers {
            let st = receivers[p]!
            var rows = Self.transpose(tByPeer[p]!, words: wordsPerColumn)
            rows.withUnsafeMutableBufferPointer { aes.hash(inPlace: $0, tweakBase: st.tweak) }
            st.tweak &+= UInt64(m)
            let corr = gotC[p]!
            if binary {
                for e in 0..<count {
                    var hw: UInt64 = 0
                    for k in 0..<64 { hw |= (rows[2 * (64 * e + k)] & 1) << UInt64(k) }
                    c[e] ^= hw ^ (b[e] & corr[e])
                }
            } else {
                rows.withUnsafeBufferPointer { r in
                    corr.withUnsafeBufferPointer { cr in
                        for e in 0..<count {
                            var s: UInt64 = 0
                            let be = b[e]
                            for k in 0..<64 {
                                let i = 64 * e + k
                                let mask = 0 &- ((be >> UInt64(k)) & 1)
                                s &+= r[2 * i] &+ (cr[i] & mask)
                            }
                            c[e] &+= s
                        }
                    }
                }
            }
        }
        return BeaverTriples(a: a, b: b, c: c)
    }

    /// 128 bit-columns of `words` words each → `64·words` rows of 128 bits, as (lo, hi)
    /// word pairs: row i bit j = column j bit i.
    static func transpose(_ columns: [[UInt64]], words: Int) -> [UInt64] {
        var rows = [UInt64](repeating: 0, count: 2 * 64 * words)
        var block = [UInt64](repeating: 0, count: 64)
        rows.withUnsafeMutableBufferPointer { out in
            block.withUnsafeMutableBufferPointer { blk in
                for w in 0..<words {
                    for h in 0..<2 {
                        for jj in 0..<64 { blk[jj] = columns[64 * h + jj][w] }
                        transpose64(blk)
                        for kk in 0..<64 { out[2 * (64 * w + kk) + h] = blk[kk] }
                    }
                }
            }
        }
        return rows
    }

    /// In-place transpose of a 64×64 bit matrix (row r = word r, column c = bit c).
    @inline(__always)
    static func transpose64(_ a: UnsafeMutableBufferPointer<UInt64>) {
        var j = 32
        var m: UInt64 = 0x0000_0000_FFFF_FFFF
        while j != 0 {
            var k = 0
            while k < 64 {
                let t = ((a[k] >> UInt64(j)) ^ a[k + j]) & m
                a[k + j] ^= t
                a[k] ^= t << UInt64(j)
                k = (k + j + 1) & ~j
            }
            j >>= 1
            m ^= m << UInt64(j)
        }
    }
}
