import TacitNet
import TacitCrypto
import TacitMath

/// Dealer-free Beaver triples for additive sharing over Z/2^64, semi-honest, dishonest
/// majority: every pair of parties runs OT extension in both directions, on 128 base OTs
/// (Chou–Orlandi "simplest OT" over P-256), and multiplies with Gilboa's OT-based product: 64
/// correlated OTs per 64-bit product (one per bit of the receiver's factor), 1 per AND lane
/// for binary triples.
///
/// The extension is SoftSpokenOT (Roy 2022, semi-honest; ``SubspaceVOLE``) with k =
/// ``subspaceBits``: IKNP (Ishai–Kilian–Nissim–Petrank 2003) at k = 1, and at k > 1 the same
/// matrix relation q_j = t_j ⊕ Δ_j·r from 128/k messages instead of 128, each block of k
/// columns made from 2^k seeds of a GGM tree over k base OTs.
///
/// c = (Σ aᵢ)(Σ bᵢ) = Σ aᵢbᵢ + Σ_{i≠j} aᵢbⱼ: each cross product aᵢbⱼ is a Gilboa product
/// with i sending and j receiving. Costs per arithmetic triple, per ordered pair: 64 OTs,
/// 1024/k B of matrix from the receiver (512 B at the default k = 2) and 260 B of corrections
/// from the sender (the correction for bit k is sent in 64 − k bits).
///
/// Hashing is the tweakable circular correlation-robust hash H(i, x) = π(π(x) ⊕ i) ⊕ π(x) of
/// Guo et al. 2020 (``TweakableHash``), i the OT's index in its direction; base-OT keys hash
/// the session, both party ids and both public points (`P256.key(fromPoint:index:session:…)`)
/// and each masks one GGM level sum. PRGs are AES-128-CTR. Semi-honest security only (no
/// consistency checks on the matrix; a malicious receiver could learn Δ bits).
public final class OTTripleSource: TripleSource {
    // Not Sendable: used by one job task.
    /// Triples per batch (bounds memory: the matrix is 128 × batch words per pair).
    public var batchSize: Int
    private var senders: [PartyID: SenderState] = [:]
    private var receivers: [PartyID: ReceiverState] = [:]
    private let hasher = TweakableHash()
    private var rng: AESPRG?

    final class SenderState {
        let delta: (UInt64, UInt64)
        /// Per block of k columns, the seeds of SubspaceVOLE: every leaf but the block's Δ bits'.
        let leaves: [[AESPRG?]]
        var tweak: UInt64 = 0
        init(delta: (UInt64, UInt64), leaves: [[AESPRG?]]) {
            self.delta = delta
            self.leaves = leaves
        }
        func punctured(_ b: Int, _ k: Int) -> Int { Self.punctured(delta, b, k) }
        /// Block b's k bits of Δ, bit i being column bk + i's.
        static func punctured(_ delta: (UInt64, UInt64), _ b: Int, _ k: Int) -> Int {
            var d = 0
            for i in 0..<k {
                let j = b * k + i
                d |= Int(truncatingIfNeeded: (j < 64 ? delta.0 >> UInt64(j) : delta.1 >> UInt64(j - 64)) & 1) << i
            }
            return d
        }
    }

    final class ReceiverState {
        /// Per block of k columns, all 2^k seeds of SubspaceVOLE.
        let leaves: [[AESPRG]]
        var tweak: UInt64 = 0
        init(leaves: [[AESPRG]]) { self.leaves = leaves }
    }

    /// SoftSpokenOT's k (``SubspaceVOLE``): 128/k bits of matrix per OT from the extension
    /// receiver, 2^k PRG streams per k columns; 1 is IKNP. Both parties must use the same.
    public let subspaceBits: Int
    /// The k values this source supports (divisors of 128 small enough for 2^k streams).
    public static let supportedSubspaceBits = [1, 2, 4, 8]
    /// k = 4 measured no faster than 2 on 2 cores (RESULTS.md, issue 18).
    public static let defaultSubspaceBits = 2

    /// 1024 by default: a batch's matrices (1 MiB per peer) stay in L2, and the three
    /// parties' rounds interleave more finely. Measured on 2 cores (RESULTS.md, issue 5):
    /// 512 ≈ 1024 at ~48k triples/s, 2048–4096 ~41k, 8192 ~35k.
    public init(batchSize: Int = 1024, subspaceBits: Int = defaultSubspaceBits) {
        precondition(Self.supportedSubspaceBits.contains(subspaceBits), "OTTripleSource: k must be one of \(Self.supportedSubspaceBits)")
        self.batchSize = batchSize
        self.subspaceBits = subspaceBits
    }

    var blocks: Int { 128 / subspaceBits }

    /// Base OTs for every ordered pair: this party is the base-OT sender (with fresh seed
    /// pairs) towards each peer for the direction where it is the extension receiver, and
    /// the base-OT receiver (with choice bits Δ) for the other.
    public func setup(_ context: MPCContext) async throws {
        let group = P256()
        rng = AESPRG(seed: context.freshSeed())
        let peers = context.peers
        let me = context.localParty.name
        let session = context.channel.session.rawValue
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
                    // Base OT j from p (who sent A) to me (who answers with B_j).
                    keys.append(P256.key(
                        fromPoint: try group.multiply(peerA, by: b), index: j, session: session, sender: p.name,
                        receiver: me, a: peerA, b: point))
                } catch {
                    throw MPCError(.malformedMessage, "\(p) sent an invalid base-OT point: \(error)", peer: p)
                }
                bytes += point
            }
            out2[p] = bytes
            pending[p] = ((d0, d1), keys)
        }
        let gotB = try await context.exchangeBytes(out2, from: peers, expectedBytes: 128 * P256.pointBytes, step: "base OT B")
        // Round 3: as the extension receiver towards each peer, a GGM tree per block of k
        // base OTs (SubspaceVOLE), its masked level sums to the peer.
        let k = subspaceBits
        var out3: [PartyID: [UInt8]] = [:]
        for p in peers {
            let bytes = gotB[p]!
            var pads: [(zero: [UInt8], one: [UInt8])] = []
            for j in 0..<128 {
                let bj = Array(bytes[(j * 33)..<((j + 1) * 33)])
                do {
                    // Base OT j from me (A) to p (B_j): k0 = H(a·B_j), k1 = H(a·(B_j − A)).
                    let k0 = try group.multiply(bj, by: a)
                    let k1 = try group.multiply(try group.add(bj, bigA, subtract: true), by: a)
                    pads.append((
                        P256.key(fromPoint: k0, index: j, session: session, sender: me, receiver: p.name, a: bigA, b: bj),
                        P256.key(fromPoint: k1, index: j, session: session, sender: me, receiver: p.name, a: bigA, b: bj)))
                } catch {
                    throw MPCError(.malformedMessage, "\(p) sent an invalid base-OT point: \(error)", peer: p)
                }
            }
            var message: [UInt8] = []
            var leaves: [[AESPRG]] = []
            for blk in 0..<blocks {
                let tree = SubspaceVOLE.expand(root: rng!.bytes(SubspaceVOLE.seedBytes), keys: Array(pads[(blk * k)..<(blk * k + k)]))
                message += tree.message
                leaves.append(tree.leaves.map { AESPRG(seed: $0) })
            }
            out3[p] = message
            receivers[p] = ReceiverState(leaves: leaves)
        }
        let treeBytes = 128 * 2 * SubspaceVOLE.seedBytes
        let gotTrees = try await context.exchangeBytes(out3, from: peers, expectedBytes: treeBytes, step: "SoftSpoken seeds")
        for p in peers {
            let (delta, keys) = pending[p]!
            let message = gotTrees[p]!
            var leaves: [[AESPRG?]] = []
            for blk in 0..<blocks {
                let off = blk * k * 2 * SubspaceVOLE.seedBytes
                let seeds = SubspaceVOLE.puncturedLeaves(
                    punctured: SenderState.punctured(delta, blk, k), keys: Array(keys[(blk * k)..<(blk * k + k)]),
                    message: Array(message[off..<(off + k * 2 * SubspaceVOLE.seedBytes)]))
                leaves.append(seeds.map { $0.map { AESPRG(seed: $0) } })
            }
            senders[p] = SenderState(delta: delta, leaves: leaves)
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

    /// Batches are pipelined by one: a party sends batch k + 1's IKNP matrix (round 1) right
    /// after batch k's corrections (round 2), before waiting for its peers' corrections, so
    /// that a party's local work overlaps its peers' and the transfers. Every party uses
    /// the tags in the same order (U₀, C₀, U₁, C₁, …), and each stream (PRGs, hash tweaks)
    /// is consumed in batch order on both sides of a pair, exactly as without pipelining.
    func triples(_ count: Int, _ context: MPCContext, binary: Bool) async throws -> BeaverTriples {
        var out = BeaverTriples(a: [], b: [], c: [])
        out.a.reserveCapacity(count)
        out.b.reserveCapacity(count)
        out.c.reserveCapacity(count)
        var sizes: [Int] = []
        var done = 0
        while done < count {
            sizes.append(min(batchSize, count - done))
            done += sizes.last!
        }
        if sizes.isEmpty { return out }
        var current = try await startBatch(sizes[0], slot: 0, context, binary: binary)
        for k in 0..<sizes.count {
            try await correct(&current, context)
            let next = k + 1 < sizes.count
                ? try await startBatch(sizes[k + 1], slot: (k + 1) % 2, context, binary: binary) : nil
            out.append(try await finish(current, context))
            if let next { current = next }
        }
        return out
    }

    /// A batch in flight: this party's a, b and its share of c so far.
    struct Batch {
        let count: Int
        let slot: Int
        let binary: Bool
        let a: [UInt64]
        let b: [UInt64]
        var c: [UInt64]
        let tagU: Tag
        var tagC = Tag(0)
    }

    /// Elements per transpose-and-hash chunk: 16 words of each column, i.e. 1024 OTs, 16 KiB
    /// of rows, so the rows are transposed, hashed and consumed while in L1/L2.
    static let chunkWords = 16

    /// Per-peer matrices and buffers, reused across batches (a batch's matrix is 128 × batch
    /// words per peer: 1 MiB at 1024; fresh arrays each batch cost page faults).
    /// Two per peer: the batch being finished and the next one (pipelining).
    private var receiverT: [PartyID: [WordScratch]] = [:]
    private var outgoingCorrections: [PartyID: WordScratch] = [:]
    private var receivedU: [PartyID: WordScratch] = [:]
    private var receivedCorrections: [PartyID: WordScratch] = [:]
    private let q = WordScratch()
    private let u = WordScratch()
    private let rows0 = WordScratch()
    private let rows1 = WordScratch()
    private let gilboaValues = WordScratch(64)

    /// Words of Gilboa corrections per batch of `count` triples. Binary: one bit per OT.
    /// Arithmetic: the correction for bit k only matters mod 2^(64−k) (it is multiplied by
    /// 2^k), so it is sent in 64 − k bits: 2080 bits per element instead of 4096 (Demmler et
    /// al., ABY, NDSS 2015, §IV-B: "the i-th OT only needs l − i bits").
    static func correctionWords(_ count: Int, binary: Bool) -> Int {
        binary ? count : GilboaPacking.words(count)
    }

    /// Round 1 of a batch (receiver → sender): draws a, b, and sends each block's correction
    /// u ⊕ b (``SubspaceVOLE``) to every peer, keeping the columns t_j (chunk-major, in
    /// `slot`'s buffers).
    func startBatch(_ count: Int, slot: Int, _ context: MPCContext, binary: Bool) async throws -> Batch {
        let peers = context.peers
        let a = rng!.words(count), b = rng!.words(count)
        let c = binary ? Words.and(a, b) : Words.mul(a, b)
        // OTs: 64 per element (bit k of element e is OT 64e + k); choice bits are b itself.
        let w = count  // words per column: m / 64
        for p in peers where receiverT[p] == nil {
            receiverT[p] = [WordScratch(), WordScratch()]
            outgoingCorrections[p] = WordScratch()
            receivedU[p] = WordScratch()
            receivedCorrections[p] = WordScratch()
        }
        let tag = context.nextTag()
        let k = subspaceBits
        for p in peers {
            let st = receivers[p]!
            let t = receiverT[p]![slot].words(128 * w)
            let pieces = context.pieces(words: blocks * w) { raw in
                // One stream, the correction, and the block's k columns.
                let work = u.words((k + 2) * w)
                let scratch = UnsafeMutableBufferPointer(rebasing: work[0..<w])
                let corr = UnsafeMutableBufferPointer(rebasing: work[w..<(2 * w)])
                let v = (0..<k).map { UnsafeMutableBufferPointer(rebasing: work[((2 + $0) * w)..<((3 + $0) * w)]) }
                b.withUnsafeBufferPointer { bb in
                    for blk in 0..<blocks {
                        SubspaceVOLE.receiverBlock(
                            st.leaves[blk], choices: bb, words: w, correction: corr, columns: v, scratch: scratch)
                        Words.store(UnsafeBufferPointer(corr), into: raw, at: blk * w)
                        for i in 0..<k { Self.scatterColumn(UnsafeBufferPointer(v[i]), blk * k + i, into: t) }
                    }
                }
            }
            try await context.sendPieces(pieces, to: [p], tag: tag)
        }
        return Batch(count: count, slot: slot, binary: binary, a: a, b: b, c: c, tagU: tag)
    }

    /// Round 2 (sender → receiver), sending half: receives the peers' matrices, computes
    /// this party's sender side and sends the corrections.
    func correct(_ batch: inout Batch, _ context: MPCContext) async throws {
        let peers = context.peers
        let w = batch.count
        let corrWords = Self.correctionWords(w, binary: batch.binary)
        try await context.receivePieces(from: peers, tag: batch.tagU, expectedWords: blocks * w, step: "OT-extension matrix") {
            p, offset, raw in Self.copyWords(raw, into: receivedU[p]!.words(blocks * w), at: offset)
        }
        let tag = context.nextTag()
        batch.tagC = tag
        for p in peers {
            let out = outgoingCorrections[p]!.words(corrWords)
            batch.a.withUnsafeBufferPointer { aa in
                batch.c.withUnsafeMutableBufferPointer { cc in
                    senderSide(
                        senders[p]!, u: UnsafeBufferPointer(receivedU[p]!.words(blocks * w)), words: w, a: aa, c: cc,
                        binary: batch.binary, corrections: out)
                }
            }
            let pieces = context.pieces(words: corrWords) { Words.store(UnsafeBufferPointer(out), into: $0) }
            try await context.sendPieces(pieces, to: [p], tag: tag)
        }
    }

    /// Round 2, receiving half: H(T_i) + b_k·correction.
    func finish(_ batch: Batch, _ context: MPCContext) async throws -> BeaverTriples {
        let peers = context.peers
        let w = batch.count
        let corrWords = Self.correctionWords(w, binary: batch.binary)
        try await context.receivePieces(from: peers, tag: batch.tagC, expectedWords: corrWords, step: "Gilboa corrections") {
            p, offset, raw in Self.copyWords(raw, into: receivedCorrections[p]!.words(corrWords), at: offset)
        }
        var c = batch.c
        for p in peers {
            batch.b.withUnsafeBufferPointer { bb in
                c.withUnsafeMutableBufferPointer { cc in
                    receiverSide(
                        receivers[p]!, t: UnsafeBufferPointer(receiverT[p]![batch.slot].words(128 * w)), words: w, b: bb,
                        c: cc, binary: batch.binary, corrections: UnsafeBufferPointer(receivedCorrections[p]!.words(corrWords)))
                }
            }
        }
        return BeaverTriples(a: batch.a, b: batch.b, c: c)
    }

    /// Sender of the OTs towards one peer: Q's column j = G(k_Δj) ⊕ Δ_j·u_j; row i of Q is
    /// T_i ⊕ b_i·Δ. Hashes rows chunk by chunk and writes the corrections.
    private func senderSide(
        _ st: SenderState, u uMatrix: UnsafeBufferPointer<UInt64>, words w: Int, a: UnsafeBufferPointer<UInt64>,
        c: UnsafeMutableBufferPointer<UInt64>, binary: Bool, corrections: UnsafeMutableBufferPointer<UInt64>
    ) {
        let cols = q.words(128 * w)
        let k = subspaceBits
        let work = u.words((k + 1) * w)
        let scratch = UnsafeMutableBufferPointer(rebasing: work[0..<w])
        let qs = (0..<k).map { UnsafeMutableBufferPointer(rebasing: work[((1 + $0) * w)..<((2 + $0) * w)]) }
        for blk in 0..<blocks {
            SubspaceVOLE.senderBlock(
                st.leaves[blk], punctured: st.punctured(blk, k),
                correction: UnsafeBufferPointer(rebasing: uMatrix[(blk * w)..<((blk + 1) * w)]), words: w, columns: qs,
                scratch: scratch)
            for i in 0..<k { Self.scatterColumn(UnsafeBufferPointer(qs[i]), blk * k + i, into: cols) }
        }
        let (d0, d1) = st.delta
        let xs = gilboaValues.words(64)
        var w0 = 0
        while w0 < w {
            let cw = min(Self.chunkWords, w - w0)
            let r0 = rows0.words(128 * cw), r1 = rows1.words(128 * cw)
            OTExtension.transposeChunk(UnsafeBufferPointer(rebasing: cols[(128 * w0)..<(128 * (w0 + cw))]), count: cw, into: r0)
            for i in 0..<(64 * cw) {
                r1[2 * i] = r0[2 * i] ^ d0
                r1[2 * i + 1] = r0[2 * i + 1] ^ d1
            }
            let tweak = st.tweak &+ UInt64(64 * w0)
            hasher.hash(inPlace: r0, tweakBase: tweak)
            hasher.hash(inPlace: r1, tweakBase: tweak)
            for e in w0..<(w0 + cw) {
                let base = 64 * (e - w0)
                if binary {
                    // Lane k of element e: s0 = lsb H(Q), correction = s0 ⊕ s1 ⊕ a_k.
                    var s0w: UInt64 = 0, cwd: UInt64 = 0
                    for k in 0..<64 {
                        let i = base + k
                        let s0 = r0[2 * i] & 1, s1 = r1[2 * i] & 1
                        s0w |= s0 << UInt64(k)
                        cwd |= (s0 ^ s1) << UInt64(k)
                    }
                    corrections[e] = cwd ^ a[e]
                    c[e] ^= s0w
                } else {
                    // Bit k of element e: correction = s0 − s1 + a mod 2^(64−k); the sender
                    // keeps −s0·2^k, the receiver gets (s_b + b·correction)·2^k.
                    var s: UInt64 = 0
                    let ae = a[e]
                    for k in 0..<64 {
                        let i = base + k
                        let s0 = r0[2 * i], s1 = r1[2 * i]
                        s &+= s0 << UInt64(k)
                        xs[k] = (s0 &- s1 &+ ae) & (UInt64.max >> UInt64(k))
                    }
                    GilboaPacking.pack(xs.baseAddress!, element: e, count: w, into: corrections)
                    c[e] &-= s
                }
            }
            w0 += cw
        }
        st.tweak &+= UInt64(64 * w)
    }

    /// Receiver of the OTs from one peer: row i of T hashed, plus b_i times the correction.
    private func receiverSide(
        _ st: ReceiverState, t cols: UnsafeBufferPointer<UInt64>, words w: Int, b: UnsafeBufferPointer<UInt64>,
        c: UnsafeMutableBufferPointer<UInt64>, binary: Bool, corrections: UnsafeBufferPointer<UInt64>
    ) {
        let xs = gilboaValues.words(64)
        var w0 = 0
        while w0 < w {
            let cw = min(Self.chunkWords, w - w0)
            let r0 = rows0.words(128 * cw)
            OTExtension.transposeChunk(UnsafeBufferPointer(rebasing: cols[(128 * w0)..<(128 * (w0 + cw))]), count: cw, into: r0)
            hasher.hash(inPlace: r0, tweakBase: st.tweak &+ UInt64(64 * w0))
            for e in w0..<(w0 + cw) {
                let base = 64 * (e - w0)
                if binary {
                    var hw: UInt64 = 0
                    for k in 0..<64 { hw |= (r0[2 * (base + k)] & 1) << UInt64(k) }
                    c[e] ^= hw ^ (b[e] & corrections[e])
                } else {
                    var s: UInt64 = 0
                    let be = b[e]
                    GilboaPacking.unpack(corrections, element: e, count: w, into: xs.baseAddress!)
                    for k in 0..<64 {
                        let mask = 0 &- ((be >> UInt64(k)) & 1)
                        s &+= (r0[2 * (base + k)] &+ (xs[k] & mask)) << UInt64(k)
                    }
                    c[e] &+= s
                }
            }
            w0 += cw
        }
        st.tweak &+= UInt64(64 * w)
    }

    static func copyWords(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt64>, at offset: Int) {
        for i in 0..<(raw.count / 8) { out[offset + i] = Words.load(raw, i) }
    }

    /// 128 bit-columns of `words` words each (column-major: column j at j·words) → the rows
    /// of words `from ..< from + count`: 64·count rows of 128 bits as (lo, hi) word pairs,
    /// row 64·(v − from) + r bit j = column j bit r of word v.
    static func transposeRows(
        _ columns: UnsafeBufferPointer<UInt64>, words: Int, from: Int, count: Int,
        into out: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(columns.count >= 128 * words && from + count <= words && out.count >= 128 * count)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128 * chunkWords) { local in
            var v0 = 0
            while v0 < count {
                let cw = min(chunkWords, count - v0)
                for j in 0..<128 {
                    let src = j * words + from + v0
                    for v in 0..<cw { local[j * cw + v] = columns[src + v] }
                }
                transposeBlock(
                    UnsafeBufferPointer(rebasing: local[0..<(128 * cw)]), count: cw,
                    into: UnsafeMutableBufferPointer(rebasing: out[(128 * v0)...]))
                v0 += cw
            }
        }
    }

    /// Chunk-major layout of a 128-column matrix of `w` words per column: chunk c (words
    /// 16c ..< 16c + cw of every column, cw = 16 but for the last) starts at word 128·16c and
    /// holds column j's words at j·cw. Each chunk is one contiguous block of
    /// ``transposeBlock(_:count:into:)``'s input, read sequentially; column-major columns lie
    /// `w` words apart (16 KiB at 2048), which the cache handles badly when gathering.
    static func scatterColumn(_ col: UnsafeBufferPointer<UInt64>, _ j: Int, into chunked: UnsafeMutableBufferPointer<UInt64>) {
        let w = col.count
        var c0 = 0
        while c0 < w {
            let cw = min(chunkWords, w - c0)
            let dst = 128 * c0 + j * cw
            for v in 0..<cw { chunked[dst + v] = col[c0 + v] }
            c0 += cw
        }
    }

    /// One chunk: 128 columns of `count` words each, contiguous (column j at j·count) →
    /// 64·count rows of 128 bits as (lo, hi) pairs.
    static func transposeBlock(
        _ local: UnsafeBufferPointer<UInt64>, count cw: Int, into out: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(local.count >= 128 * cw && out.count >= 128 * cw)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { blk in
            for v in 0..<cw {
                for h in 0..<2 {
                    for jj in 0..<64 { blk[jj] = local[(64 * h + jj) * cw + v] }
                    transpose64(blk)
                    let base = 2 * 64 * v + h
                    for kk in 0..<64 { out[base + 2 * kk] = blk[kk] }
                }
            }
        }
    }

    /// The whole matrix: `64·words` rows (see ``transposeRows(_:words:from:count:into:)``).
    static func transpose(_ columns: [[UInt64]], words: Int) -> [UInt64] {
        let flat = columns.flatMap { $0 }
        return [UInt64](unsafeUninitializedCapacity: 128 * words) { out, done in
            flat.withUnsafeBufferPointer { transposeRows($0, words: words, from: 0, count: words, into: out) }
            done = 128 * words
        }
    }

    /// In-place transpose of a 64×64 bit matrix (row r = word r, column c = bit c): six
    /// stages swapping j×j sub-blocks (j = 32 … 1), each a loop over contiguous rows the
    /// optimiser vectorises.
    @inline(__always)
    static func transpose64(_ a: UnsafeMutableBufferPointer<UInt64>) {
        transposeStage(a, 32, 0x0000_0000_FFFF_FFFF)
        transposeStage(a, 16, 0x0000_FFFF_0000_FFFF)
        transposeStage(a, 8, 0x00FF_00FF_00FF_00FF)
        transposeStage(a, 4, 0x0F0F_0F0F_0F0F_0F0F)
        transposeStage(a, 2, 0x3333_3333_3333_3333)
        transposeStage(a, 1, 0x5555_5555_5555_5555)
    }

    @inline(__always)
    static func transposeStage(_ a: UnsafeMutableBufferPointer<UInt64>, _ j: Int, _ mask: UInt64) {
        var base = 0
        while base < 64 {
            for k in base..<(base + j) {
                let t = ((a[k] >> UInt64(j)) ^ a[k + j]) & mask
                a[k + j] ^= t
                a[k] ^= t << UInt64(j)
            }
            base += 2 * j
        }
    }
}
