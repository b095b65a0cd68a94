import TacitJob
public import TacitNet
import TacitMPC
import TacitMath

/// The OT path: CrypTFlow2's millionaires' protocol (Rathee et al., "CrypTFlow2: Practical
/// 2-Party Secure Inference", CCS 2020, §3, Algorithm 1), semi-honest, no dealer, two parties.
///
/// Each value is cut into L = ⌈bits/4⌉ digit blocks of m = 4 bits (the top block narrower when
/// `bits` is not a multiple of 4). For every block ℓ the x-holder (P0) picks random shares
/// s_lt, s_eq and acts as the sender of a 1-out-of-16 OT whose k-th message is
/// (s_lt ⊕ [xℓ < k], s_eq ⊕ [xℓ = k]); the y-holder (P1) receives message yℓ. The two hold XOR
/// shares of ltℓ = [xℓ < yℓ] and eqℓ = [xℓ = yℓ]. A tree over the blocks then combines
/// neighbours, high over low, as lt = lt_hi ⊕ (eq_hi ∧ lt_lo), eq = eq_hi ∧ eq_lo: ⌈log₂ L⌉
/// levels of AND gates on XOR shares (4 for 64 bits, 15 gates), evaluated with Beaver bit
/// triples. The two ANDs of a gate share eq_hi, so one correlated triple (a; b1, b2;
/// a∧b1, a∧b2) serves both and a gate opens three bits, not four (CrypTFlow2's correlated
/// triples, §3).
///
/// Offline (``prepare(count:)``, value-independent, through ``OTExtension``):
/// - 1-out-of-16 random OTs from four random 1-out-of-2 OTs each, Naor–Pinkas style: with
///   ROT b giving the sender (m_b⁰, m_b¹) and the receiver (c_b, m_b^{c_b}), the pad of index
///   k ∈ [0, 16) is R[k] = ⊕_b slot_k(m_b^{k_b}), slot_k taking bits k (lt) and 16 + k (eq)
///   of the low word. The receiver knows R[c] and nothing of any other R[k]: every k ≠ c
///   differs from c in some bit b, and slot k of m_b^{1−c_b} (uniform to the receiver)
///   appears in R[k] alone. No hashing beyond the ROTs' own.
/// - A correlated triple per gate from one ROT in each direction (the random-OT product trick
///   of Asharov, Lindell, Schneider and Zohner, CCS 2013): a ROT with sender messages
///   (x0, x1) of 2 bits and receiver choice c gives x_c ⊕ x0 = c·(x0 ⊕ x1); with c the
///   receiver's share of a and x0 ⊕ x1 the sender's shares of (b1, b2), the two ROTs give the
///   cross terms of (a0 ⊕ a1)(b0 ⊕ b1) without any further message.
/// Per 64-bit comparison: 64 + 15 ROTs with P1 receiving, 15 with P0 receiving; 1,264 and 240
/// bytes of IKNP matrix, one message each way per prepared chunk.
///
/// Online (``compare(_:)``): P1 sends d = y ⊕ c (4 bits a block); P0 answers with the 16
/// derandomised messages of every block, U[k] = T[k] ⊕ R[k ⊕ d] (32 bits a block), and its
/// openings for the first tree level; from then on each message completes the level the
/// peer has opened and opens the next, so a tree of D levels costs D + 2 messages in sequence
/// (6 for 64 bits; P0 finishes after 5). A batch is one such set of messages whatever its
/// size, bits packed across the batch.
///
/// Untrusted input: every message is length- and count-checked by ``PairLink`` and any unused
/// bit of it must be zero; a failure on one side is sent to the other, which fails at its next
/// receive, both naming the culprit.
public final class OTComparison: ComparisonPath {
    // Not Sendable: driven by one job task.
    public let role: ComparisonRole
    public let bits: Int
    public private(set) var stats = ComparisonStats()
    public static let blockBits = 4
    public static let tagRange: ClosedRange<UInt64> = 150...199

    /// Digit blocks; the tree's gates (leaves − 1) and its levels.
    let leaves: Int
    let gates: Int
    let levels: [Level]
    let ot: OTExtension
    var link: PairLink { ot.link }
    /// Comparisons prepared per OT-extension batch. 1024 by default: a batch's matrices and
    /// outputs (~6 MiB at P0) stay near the 2 MiB L2; measured on this 2-core machine, in
    /// memory, 1M comparisons with everything: 512–1024 ≈ 145–160k/s, 2048 81k, 8192 72k.
    let chunk: Int
    private let rng = AESPRG(seed: AESPRG.randomSeed())
    private var pool = Pool()

    /// One level of the tree: its input nodes, the gates combining pairs (2p + 1 over 2p),
    /// and the first gate's index in the triple numbering. An odd last node passes up as is.
    struct Level {
        let inputs: Int
        let pairs: Int
        let firstGate: Int
        var outputs: Int { (inputs + 1) / 2 }
    }

    /// Prepared material: one record of `recordWords` words per comparison, consumed from
    /// `start`. Word 0: the triple fields a | b1 << 16 | b2 << 32 | c1 << 48 (gate g at bit g of
    /// each); word 1: c2, and for P1 R[c]'s lt bits << 16 | its eq bits << 32 (block ℓ at bit
    /// ℓ); then P1: c (block ℓ's choice at bits 4ℓ), P0: the 32-bit pad tables R, two a word.
    struct Pool {
        var count = 0
        var start = 0
        var records: [UInt64] = []
        var available: Int { count - start }
    }

    /// `channel` must have exactly two parties; `tag` must lie in 150...199 (this path's
    /// range in a job's session). Both parties construct it with the same `bits` and `tag`.
    public init(
        channel: SessionChannel, role: ComparisonRole, bits: Int = 64, tag: Tag = Tag(150), timeout: Duration? = nil,
        chunk: Int = 1024
    ) throws {
        guard (1...64).contains(bits) else {
            throw JobError(.invalidSpec, "comparisons are over 1...64 bits, not \(bits)")
        }
        guard Self.tagRange.contains(tag.rawValue) else {
            throw JobError(.invalidSpec, "the OT comparison uses tags 150...199, not \(tag)")
        }
        guard chunk >= 1 else { throw JobError(.invalidSpec, "a preparation chunk holds at least one comparison") }
        do {
            ot = try OTExtension(channel: channel, tag: tag, timeout: timeout)
        } catch {
            throw JobError(.invalidSpec, "\(error)")
        }
        self.role = role
        self.bits = bits
        self.chunk = chunk
        leaves = (bits + Self.blockBits - 1) / Self.blockBits
        gates = leaves - 1
        var levels: [Level] = []
        var n = leaves, g = 0
        while n > 1 {
            levels.append(Level(inputs: n, pairs: n / 2, firstGate: g))
            g += n / 2
            n = (n + 1) / 2
        }
        self.levels = levels
    }

    var isX: Bool { role == .holdsX }
    /// Comparisons prepared and not yet used.
    public var prepared: Int { pool.available }

    // MARK: Offline

    /// The most comparisons prepared and unused at once, and in one batch (2^24: 1.3 GiB of
    /// records for P0), so a count from a job spec never becomes an unbounded allocation.
    public static let maxPrepared = 1 << 24

    public func prepare(count: Int) async throws {
        guard count >= 0 else { throw JobError(.invalidInput, "cannot prepare a negative number of comparisons") }
        guard count <= Self.maxPrepared - pool.available else {
            throw JobError(
                .invalidInput,
                "at most \(Self.maxPrepared) comparisons can be prepared ahead; prepare fewer and top up between batches")
        }
        try await guarded { try await self.timedOffline { try await self.produce(count) } }
    }

    func timedOffline(_ body: () async throws -> Void) async throws {
        let clock = ContinuousClock()
        let t0 = clock.now, s0 = link.bytesSent, r0 = link.bytesReceived
        defer {
            stats.offlineSeconds += Self.seconds(clock.now - t0)
            stats.offlineBytesSent += link.bytesSent - s0
            stats.offlineBytesReceived += link.bytesReceived - r0
        }
        try await body()
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Words per prepared comparison (see ``Pool``).
    var recordWords: Int { isX ? 2 + (leaves + 1) / 2 : 3 }

    func produce(_ count: Int) async throws {
        if !ot.isSetUp { try await ot.setup() }
        compactPool()
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            let leafOTs = 4 * leaves * n, gateOTs = gates * n
            let v = try await ot.extendInPlace(
                sending: isX ? leafOTs + gateOTs : gateOTs, receiving: isX ? gateOTs : leafOTs + gateOTs)
            let first = pool.records.count
            pool.records.append(contentsOf: repeatElement(0, count: n * recordWords))
            pool.records.withUnsafeMutableBufferPointer { rec in
                let out = UnsafeMutableBufferPointer(rebasing: rec[first...])
                let half = n / 2
                OTExtension.inParallel(n / 8) { h in
                    derive(h == 0 ? 0..<half : half..<n, of: n, v, into: out)
                }
            }
            pool.count += n
            done += n
        }
    }

    /// Masks of the indices k ∈ [0, 16) with bit b set, for both 16-bit halves (lt, eq).
    static let bitMasks: [UInt32] = [0xAAAA_AAAA, 0xCCCC_CCCC, 0xF0F0_F0F0, 0xFF00_FF00]

    /// Turns one batch of ROTs (for `n` comparisons) into the records of comparisons `range`
    /// of it. ROT order: P1-receiving: the 4·L block OTs of every comparison, then the gates;
    /// P0-receiving: the gates. Thread-safe across disjoint ranges (reads only).
    func derive(_ range: Range<Int>, of n: Int, _ v: RandomOTViews, into out: UnsafeMutableBufferPointer<UInt64>) {
        let L = leaves, G = gates, stride = recordWords
        let leafOTs = 4 * L * n
        // Gate ROTs: where this party sends and where it receives, in the two batches.
        let sendBase = isX ? leafOTs : 0, recvBase = isX ? 0 : leafOTs
        let masks = (Self.bitMasks[0], Self.bitMasks[1], Self.bitMasks[2], Self.bitMasks[3])
        @inline(__always) func choice(_ k: Int) -> UInt64 { (v.choices[k >> 6] >> UInt64(k & 63)) & 1 }
        for i in range {
            let rec = i * stride
            if isX {
                for e in 0..<L {
                    let k = 2 * 4 * (i * L + e)
                    @inline(__always) func part(_ b: Int, _ mask: UInt32) -> UInt32 {
                        let x0 = UInt32(truncatingIfNeeded: v.m0[k + 2 * b])
                        let x1 = UInt32(truncatingIfNeeded: v.m1[k + 2 * b])
                        return (x0 & ~mask) | (x1 & mask)
                    }
                    let r = part(0, masks.0) ^ part(1, masks.1) ^ part(2, masks.2) ^ part(3, masks.3)
                    out[rec + 2 + e / 2] |= UInt64(r) << UInt64(32 * (e & 1))
                }
            } else {
                var c: UInt64 = 0, lt: UInt64 = 0, eq: UInt64 = 0
                for l in 0..<L {
                    let k = 4 * (i * L + l)
                    let nib = choice(k) | choice(k + 1) << 1 | choice(k + 2) << 2 | choice(k + 3) << 3
                    let x = v.messages[2 * k] ^ v.messages[2 * k + 2] ^ v.messages[2 * k + 4] ^ v.messages[2 * k + 6]
                    c |= nib << UInt64(4 * l)
                    lt |= ((x >> nib) & 1) << UInt64(l)
                    eq |= ((x >> (16 + nib)) & 1) << UInt64(l)
                }
                out[rec + 1] = lt << 16 | eq << 32
                out[rec + 2] = c
            }
            var a: UInt64 = 0, b1: UInt64 = 0, b2: UInt64 = 0, c1: UInt64 = 0, c2: UInt64 = 0
            for g in 0..<G {
                let s = sendBase + i * G + g, r = recvBase + i * G + g
                let x0 = v.m0[2 * s] & 3
                let bb = x0 ^ (v.m1[2 * s] & 3)  // this party's shares of (b1, b2)
                let ab = choice(r)  // its share of a
                // c = a·b: own product, plus the two cross-term shares (x_c of the ROT received,
                // x0 of the ROT sent).
                let cc = ((ab * 3) & bb) ^ (v.messages[2 * r] & 3) ^ x0
                let gb = UInt64(g)
                a |= ab << gb
                b1 |= (bb & 1) << gb
                b2 |= (bb >> 1) << gb
                c1 |= (cc & 1) << gb
                c2 |= (cc >> 1) << gb
            }
            out[rec] = a | b1 << 16 | b2 << 32 | c1 << 48
            out[rec + 1] |= c2
        }
    }

    /// Drops consumed material once it is most of the pool (amortised: each entry moves once).
    func compactPool() {
        let s = pool.start
        guard s > 0, s >= pool.count - s else { return }
        pool.records.removeFirst(s * recordWords)
        pool.count -= s
        pool.start = 0
    }

    // MARK: Online

    public func compare(_ values: [UInt64]) async throws -> ComparisonShares {
        try checkFits(values)
        let n = values.count
        if n == 0 { return ComparisonShares(lessThan: [], equal: []) }
        guard n <= Self.maxPrepared else {
            throw JobError(.invalidInput, "a batch holds at most \(Self.maxPrepared) comparisons; split it")
        }
        return try await guarded {
            if self.pool.available < n {
                let short = n - self.pool.available
                try await self.timedOffline { try await self.produce(short) }
            }
            let clock = ContinuousClock()
            let t0 = clock.now, s0 = self.link.bytesSent, r0 = self.link.bytesReceived, m0 = self.link.messagesSent
            defer {
                self.stats.onlineSeconds += Self.seconds(clock.now - t0)
                self.stats.onlineBytesSent += self.link.bytesSent - s0
                self.stats.onlineBytesReceived += self.link.bytesReceived - r0
                self.stats.onlineRounds += self.link.messagesSent - m0
            }
            let out = try await self.online(values)
            self.stats.comparisons += n
            return out
        }
    }

    /// Runs `body`; a failure is reported to the peer (once) and thrown as the job's error,
    /// naming the peer when the peer caused it. Invalid local input is thrown as is.
    func guarded<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let e as JobError where e.code == .invalidInput {
            throw e
        } catch {
            let mpc = error as? MPCError
                ?? (error is CancellationError
                    ? MPCError(.cancelled, "the comparison was cancelled") : MPCError(.malformedMessage, "\(error)"))
            let f = await link.fail(mpc)
            throw JobError(.protocolFailure, f.message, peer: f.peer?.name)
        }
    }

    /// Bit-sliced state of one batch: `words` words per vector (bit i of word i / 64 is
    /// comparison i); lt and eq of the current level's nodes, node-major.
    struct Batch {
        let n: Int
        let words: Int
        var lt: [UInt64]
        var eq: [UInt64]
        /// Triple vectors, gate-major.
        var a: [UInt64], b1: [UInt64], b2: [UInt64], c1: [UInt64], c2: [UInt64]
        /// P1's d = y ⊕ c, as P0 received it (turn 1).
        var d: [UInt64] = []
        var done = 0  // levels combined so far
        var mine: [Int: [UInt64]] = [:]
        var theirs: [Int: [UInt64]] = [:]
        var outgoing: [Int] = []
    }

    static let stepBase: UInt8 = 10

    /// Levels (1-based) whose openings the message of turn t carries: [t − 2, t − 1] ∩ [1, D].
    func levelsIn(turn t: Int) -> ClosedRange<Int>? {
        let lo = max(1, t - 2), hi = min(levels.count, t - 1)
        return lo <= hi ? lo...hi : nil
    }

    static func stepName(_ turn: Int) -> String {
        turn == 1 ? "derandomisation" : turn == 2 ? "block tables" : "tree level \(turn - 2)"
    }

    func openingBits(_ level: Int, n: Int) -> Int { 3 * levels[level - 1].pairs * n }

    func online(_ values: [UInt64]) async throws -> ComparisonShares {
        let n = values.count, w = (n + 63) / 64, L = leaves
        let s = pool.start
        pool.start += n
        var batch = Batch(
            n: n, words: w, lt: [UInt64](repeating: 0, count: L * w), eq: [UInt64](repeating: 0, count: L * w),
            a: slice(s, n, word: 0, shift: 0), b1: slice(s, n, word: 0, shift: 16), b2: slice(s, n, word: 0, shift: 32),
            c1: slice(s, n, word: 0, shift: 48), c2: slice(s, n, word: 1, shift: 0))
        if isX {
            // P0's block shares are its random s_lt, s_eq.
            batch.lt = randomBits(L, n)
            batch.eq = randomBits(L, n)
        }
        let turns = levels.count + 2
        let peer = link.peer
        for t in 1...turns {
            let mineToSend = (t % 2 == 1) != isX
            let step = Self.stepBase &+ UInt8(t)
            let levelRange = levelsIn(turn: t)
            if mineToSend {
                let d: [UInt64] = t == 1 ? (0..<n).map { values[$0] ^ pool.records[(s + $0) * 3 + 2] } : []
                if t != 1 {
                    advance(&batch)
                    precondition(batch.outgoing == (levelRange.map { Array($0) } ?? []), "OTComparison: schedule")
                }
                var bytes = 0
                var u: [UInt32] = []
                if t == 2 {
                    u = tables(values, &batch, s)
                    bytes = 8 * ((4 * u.count + 7) / 8)
                }
                let openBits = batch.outgoing.reduce(0) { $0 + openingBits($1, n: n) }
                let mine = batch.outgoing.map { batch.mine[$0]! }
                batch.outgoing = []
                let dBits = t == 1 ? 4 * L * n : 0
                try await link.send(step: step, count: n, bodyBytes: bytes + (dBits + openBits + 7) / 8) { raw in
                    u.withUnsafeBytes { raw.copyMemory(from: $0) }
                    var st = BitPacker(UnsafeMutableRawBufferPointer(rebasing: raw[bytes...]))
                    for v in d { st.write(v, width: 4 * L) }
                    for v in mine { st.writeVectors(v, n: n) }
                    st.flush()
                }
            } else {
                let uBytes = t == 2 ? 8 * ((4 * n * L + 7) / 8) : 0
                let dBits = t == 1 ? 4 * L * n : 0
                let openBits = levelRange.map { $0.reduce(0) { $0 + openingBits($1, n: n) } } ?? 0
                let payload = try await link.receive(
                    step: step, name: Self.stepName(t),
                    count: n, bodyBytes: uBytes + (dBits + openBits + 7) / 8)
                var ok = true
                payload.withUnsafeBytes { raw in
                    let body = UnsafeRawBufferPointer(rebasing: raw[PairLink.headerBytes...])
                    if t == 2 { ok = ok && receiveTables(body, values, &batch, s) }
                    var rd = BitUnpacker(UnsafeRawBufferPointer(rebasing: body[uBytes...]))
                    if t == 1 { batch.d = (0..<n).map { _ in rd.read(width: 4 * L) } }
                    if let levelRange {
                        for j in levelRange { batch.theirs[j] = rd.readVectors(count: 3 * levels[j - 1].pairs, n: n) }
                    }
                    ok = ok && rd.restIsZero()
                }
                guard ok else {
                    throw await link.fail(MPCError(
                        .malformedMessage,
                        "\(peer) sent a '\(Self.stepName(t))' message with bits set in the padding after its last "
                            + "field, where there must be zeros: it is malformed", peer: peer))
                }
            }
        }
        advance(&batch)
        precondition(batch.done == levels.count && batch.outgoing.isEmpty, "OTComparison: schedule")
        return ComparisonShares(lessThan: unpack(batch.lt, n), equal: unpack(batch.eq, n))
    }

    /// One triple field of comparisons s ..< s + n, bit-sliced: gate g of comparison s + i →
    /// bit i of vector g.
    func slice(_ s: Int, _ n: Int, word: Int, shift: Int) -> [UInt64] {
        let w = (n + 63) / 64, stride = recordWords
        var out = [UInt64](repeating: 0, count: gates * w)
        if gates == 0 { return out }
        pool.records.withUnsafeBufferPointer { rec in
            out.withUnsafeMutableBufferPointer { out in
                Self.halves(n) { range in
                    for i in range {
                        var x = UInt16(truncatingIfNeeded: rec[(s + i) * stride + word] >> UInt64(shift))
                        while x != 0 {
                            let g = x.trailingZeroBitCount
                            out[g * w + (i >> 6)] |= 1 << UInt64(i & 63)
                            x &= x - 1
                        }
                    }
                }
            }
        }
        return out
    }

    /// Runs `body` over comparisons 0 ..< n in two halves on two threads (for batches large
    /// enough to pay for it), split at a multiple of 64 so no word of a bit vector is shared.
    static func halves(_ n: Int, _ body: (Range<Int>) -> Void) {
        let mid = min(n, (n / 2 + 63) / 64 * 64)
        OTExtension.inParallel(n / 64) { h in body(h == 0 ? 0..<mid : mid..<n) }
    }

    func randomBits(_ vectors: Int, _ n: Int) -> [UInt64] {
        let w = (n + 63) / 64
        var out = rng.words(vectors * w)
        if n % 64 != 0 {
            let mask = (UInt64(1) << UInt64(n % 64)) - 1
            for v in 0..<vectors { out[v * w + w - 1] &= mask }
        }
        return out
    }

    func unpack(_ v: [UInt64], _ n: Int) -> [Bool] { (0..<n).map { (v[$0 >> 6] >> UInt64($0 & 63)) & 1 == 1 } }

    /// P0, turn 2: U[k] = T[k] ⊕ R[k ⊕ d] for every block, T the block's table under this
    /// party's shares. d is P1's turn-1 message.
    func tables(_ values: [UInt64], _ batch: inout Batch, _ s: Int) -> [UInt32] {
        let n = batch.n, w = batch.words, L = leaves
        // d was read as 4·L-bit fields (the top block's choice is 4 bits even when the block
        // is narrower), so every value of it is valid.
        let d = batch.d
        var u = [UInt32](repeating: 0, count: n * L)
        let stride = recordWords
        pool.records.withUnsafeBufferPointer { rec in
            batch.lt.withUnsafeBufferPointer { sLt in
                batch.eq.withUnsafeBufferPointer { sEq in
                    u.withUnsafeMutableBufferPointer { u in
                        Self.halves(n) { range in
                            for i in range {
                                let x = values[i], di = d[i]
                                let wi = i >> 6, bi = UInt64(i & 63)
                                for l in 0..<L {
                                    let xl = UInt32((x >> UInt64(4 * l)) & 15)
                                    let dl = UInt32((di >> UInt64(4 * l)) & 15)
                                    let sl = UInt32((sLt[l * w + wi] >> bi) & 1), se = UInt32((sEq[l * w + wi] >> bi) & 1)
                                    let lt = (UInt32(0xFFFF) << (xl + 1)) & 0xFFFF ^ (0 &- sl) & 0xFFFF
                                    let eq = (UInt32(1) << xl) ^ (0 &- se) & 0xFFFF
                                    let pad = UInt32(truncatingIfNeeded: rec[(s + i) * stride + 2 + l / 2] >> UInt64(32 * (l & 1)))
                                    u[i * L + l] = (lt | eq << 16) ^ Self.permute(pad, dl)
                                }
                            }
                        }
                    }
                }
            }
        }
        return u
    }

    /// R[k] ↦ R[k ⊕ d] on both 16-entry halves: one swap of neighbouring groups per bit of d.
    @inline(__always)
    static func permute(_ r: UInt32, _ d: UInt32) -> UInt32 {
        var r = r
        if d & 1 != 0 { r = ((r >> 1) & 0x5555_5555) | ((r & 0x5555_5555) << 1) }
        if d & 2 != 0 { r = ((r >> 2) & 0x3333_3333) | ((r & 0x3333_3333) << 2) }
        if d & 4 != 0 { r = ((r >> 4) & 0x0F0F_0F0F) | ((r & 0x0F0F_0F0F) << 4) }
        if d & 8 != 0 { r = ((r >> 8) & 0x00FF_00FF) | ((r & 0x00FF_00FF) << 8) }
        return r
    }

    /// P1, turn 2: its block shares U[yℓ] ⊕ R[c].
    func receiveTables(_ body: UnsafeRawBufferPointer, _ values: [UInt64], _ batch: inout Batch, _ s: Int) -> Bool {
        let n = batch.n, w = batch.words, L = leaves
        pool.records.withUnsafeBufferPointer { rec in
            batch.lt.withUnsafeMutableBufferPointer { bLt in
                batch.eq.withUnsafeMutableBufferPointer { bEq in
                    Self.halves(n) { range in
                        for i in range {
                            let r1 = rec[(s + i) * 3 + 1]
                            let y = values[i], lt = UInt32(truncatingIfNeeded: r1 >> 16), eq = UInt32(truncatingIfNeeded: r1 >> 32)
                            let wi = i >> 6, bi = UInt64(i & 63)
                            for l in 0..<L {
                                let yl = UInt32((y >> UInt64(4 * l)) & 15)
                                let uv = UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 4 * (i * L + l), as: UInt32.self))
                                let tl = UInt64((uv >> yl) & 1 ^ (lt >> UInt32(l)) & 1)
                                let te = UInt64((uv >> (16 + yl)) & 1 ^ (eq >> UInt32(l)) & 1)
                                bLt[l * w + wi] |= tl << bi
                                bEq[l * w + wi] |= te << bi
                            }
                        }
                    }
                }
            }
        }
        // The pad between the tables and the openings must be zero.
        let used = 4 * n * L, padded = 8 * ((used + 7) / 8)
        return body[used..<padded].allSatisfy { $0 == 0 }
    }

    /// Opens and combines levels as far as this party's and the peer's openings allow; new
    /// openings of this party are queued in `outgoing`.
    func advance(_ b: inout Batch) {
        while b.done < levels.count {
            let j = b.done + 1
            if b.mine[j] == nil {
                b.mine[j] = openings(levels[j - 1], b)
                b.outgoing.append(j)
            }
            guard let theirs = b.theirs[j] else { return }
            combine(levels[j - 1], &b, mine: b.mine[j]!, theirs: theirs)
            b.done = j
        }
    }

    /// This party's shares of e = eq_hi ⊕ a, f1 = lt_lo ⊕ b1, f2 = eq_lo ⊕ b2 for each gate.
    func openings(_ level: Level, _ b: Batch) -> [UInt64] {
        let w = b.words
        var out = [UInt64](repeating: 0, count: 3 * level.pairs * w)
        for p in 0..<level.pairs {
            let g = level.firstGate + p, hi = 2 * p + 1, lo = 2 * p
            for k in 0..<w {
                out[(3 * p) * w + k] = b.eq[hi * w + k] ^ b.a[g * w + k]
                out[(3 * p + 1) * w + k] = b.lt[lo * w + k] ^ b.b1[g * w + k]
                out[(3 * p + 2) * w + k] = b.eq[lo * w + k] ^ b.b2[g * w + k]
            }
        }
        return out
    }

    /// Beaver: xy = c ⊕ e·b ⊕ f·a ⊕ e·f with e = x ⊕ a, f = y ⊕ b opened (P0 adds e·f).
    func combine(_ level: Level, _ b: inout Batch, mine: [UInt64], theirs: [UInt64]) {
        let w = b.words
        var lt = [UInt64](repeating: 0, count: level.outputs * w)
        var eq = [UInt64](repeating: 0, count: level.outputs * w)
        let ef: UInt64 = isX ? ~0 : 0
        for p in 0..<level.pairs {
            let g = level.firstGate + p, hi = 2 * p + 1
            for k in 0..<w {
                let e = mine[(3 * p) * w + k] ^ theirs[(3 * p) * w + k]
                let f1 = mine[(3 * p + 1) * w + k] ^ theirs[(3 * p + 1) * w + k]
                let f2 = mine[(3 * p + 2) * w + k] ^ theirs[(3 * p + 2) * w + k]
                let a = b.a[g * w + k]
                let and1 = b.c1[g * w + k] ^ (e & b.b1[g * w + k]) ^ (f1 & a) ^ (e & f1 & ef)
                let and2 = b.c2[g * w + k] ^ (e & b.b2[g * w + k]) ^ (f2 & a) ^ (e & f2 & ef)
                lt[p * w + k] = b.lt[hi * w + k] ^ and1
                eq[p * w + k] = and2
            }
        }
        if level.inputs % 2 == 1 {
            let last = level.inputs - 1
            for k in 0..<w {
                lt[level.pairs * w + k] = b.lt[last * w + k]
                eq[level.pairs * w + k] = b.eq[last * w + k]
            }
        }
        b.lt = lt
        b.eq = eq
    }
}

/// Little-endian bit packing of a message body: fields of 1…64 bits back to back, the last
/// byte zero-padded.
struct BitPacker {
    let out: UnsafeMutableRawBufferPointer
    var byte = 0
    var acc: UInt64 = 0
    var filled = 0

    init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

    mutating func write(_ v: UInt64, width: Int) {
        let v = width == 64 ? v : v & ((1 << UInt64(width)) - 1)
        acc |= v << UInt64(filled)
        if filled + width >= 64 {
            emit(acc, 8)
            acc = filled == 0 ? 0 : v >> UInt64(64 - filled)
            filled = filled + width - 64
        } else {
            filled += width
        }
    }

    /// `vectors.count / ⌈n/64⌉` bit vectors of n bits each.
    mutating func writeVectors(_ vectors: [UInt64], n: Int) {
        let w = (n + 63) / 64
        for v in 0..<(vectors.count / max(w, 1)) {
            for k in 0..<w { write(vectors[v * w + k], width: k == w - 1 ? n - 64 * (w - 1) : 64) }
        }
    }

    mutating func emit(_ v: UInt64, _ bytes: Int) {
        for i in 0..<bytes { out[byte + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
        byte += bytes
    }

    mutating func flush() {
        if filled > 0 { emit(acc, (filled + 7) / 8) }
        filled = 0
        acc = 0
    }
}

/// The reader of ``BitPacker``'s format over an untrusted body whose length was checked
/// against what the reads need (it reads zeros past the end rather than trapping).
struct BitUnpacker {
    let raw: UnsafeRawBufferPointer
    var bit = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    func byteAt(_ i: Int) -> UInt64 { i < raw.count ? UInt64(raw[i]) : 0 }

    mutating func read(width: Int) -> UInt64 {
        var v: UInt64 = 0
        var got = 0
        while got < width {
            let byteIndex = bit >> 3, offset = bit & 7
            let take = min(8 - offset, width - got)
            let chunk = (byteAt(byteIndex) >> UInt64(offset)) & ((1 << UInt64(take)) - 1)
            v |= chunk << UInt64(got)
            got += take
            bit += take
        }
        return v
    }

    mutating func readVectors(count: Int, n: Int) -> [UInt64] {
        let w = (n + 63) / 64
        var out = [UInt64](repeating: 0, count: count * w)
        for v in 0..<count {
            for k in 0..<w { out[v * w + k] = read(width: k == w - 1 ? n - 64 * (w - 1) : 64) }
        }
        return out
    }

    /// Whether every bit after the ones read is zero.
    func restIsZero() -> Bool {
        let byteIndex = bit >> 3, offset = bit & 7
        if offset != 0, byteAt(byteIndex) >> UInt64(offset) != 0 { return false }
        let from = offset == 0 ? byteIndex : byteIndex + 1
        return from >= raw.count || raw[from...].allSatisfy { $0 == 0 }
    }
}
