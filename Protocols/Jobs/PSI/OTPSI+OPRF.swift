import TacitBytes
import TacitMath
import TacitMPC
import TacitNet

/// The batched OPRF of Kolesnikov, Kumaresan, Rosulek and Trieu, "Efficient Batched Oblivious
/// PRF with Applications to Private Set Intersection" (CCS 2016, ePrint 2016/799, Fig. 2/§4):
/// a 1-out-of-∞ OT extension in which the OPRF receiver, holding one input x_b per bin b,
/// learns F(k_b, x_b), and the OPRF sender learns keys k_b with which it can evaluate
/// F(k_b, ·) on anything. Semi-honest.
///
/// - k = 512 base OTs with reversed roles: the OPRF receiver is the base-OT *sender* of seed
///   pairs (k0_j, k1_j), the OPRF sender chooses a random s ∈ {0,1}^512 and gets k_{s_j}. They
///   are 512 random OTs of TacitMPC's ``OTExtension`` (its 128 Chou–Orlandi base OTs, then one
///   IKNP batch), whose random choice bits are s.
/// - Pseudorandom code C: C(x) = AES_{c0}(x) ‖ AES_{c1}(x) ‖ AES_{c2}(x) ‖ AES_{c3}(x), four
///   AES-128 keys derived from the session, on a 128-bit x (KKRT §4.2's PRC from a PRF; libOTe's
///   KKRT uses the same four-key AES code). KKRT's Fig. 5 puts k = 424 … 448 for 2^-40 at these
///   set sizes; 512 costs 14 % more matrix and keeps every step in whole 128-bit blocks.
/// - Receiver: column PRGs t0_j = G(k0_j), t1_j = G(k1_j) (AES-128-CTR); it sends each row
///   u_b = t0_b ⊕ t1_b ⊕ C(x_b) (rows, not columns: the same bits in another order, and what lets
///   both sides transpose their own PRG output before the message arrives), and keeps t0_b.
/// - Sender: q_b = g_b ⊕ (u_b ∧ s) with g_j = G(k_{s_j}); column-wise this is t0_j, or t1_j ⊕ u_j
///   = t0_j ⊕ c_j, so q_b = t0_b ⊕ (C(x_b) ∧ s).
/// - F(k_b, y) = H(b, q_b ⊕ (C(y) ∧ s)), which for y = x_b is the receiver's H(b, t0_b).
///
/// H: the 512-bit row as four 128-bit blocks v_0 … v_3, each through Guo–Katz–Wang–Yu's TCCR
/// hash π(π(v_g) ⊕ τ) ⊕ π(v_g) (fixed-key AES π, the hash of TacitMPC's IKNP) with tweak
/// τ = (4b + g, a domain word), the four XORed. For y ≠ x_b the receiver knows t0_b and needs
/// H(b, t0_b ⊕ ((C(x_b) ⊕ C(y)) ∧ s)): each block's offset is its ~64 code-difference bits of
/// the unknown s. This is libOTe's fixed-key-AES hash for KKRT (there without tweaks, ⊕ of
/// π(v_g) ⊕ v_g), a heuristic in the random-permutation model rather than the random oracle
/// KKRT's proof assumes; its output is truncated by the caller (``OTPSI``).
///
/// Local work per batch is split over two threads: PRGs and transposes by 128-column group
/// (two groups each), codewords and hashes by bin.
enum KKRT {
    static let codeBits = 512
    /// 128-bit blocks of a codeword.
    static let groups = 4
    static let rowWords = 8
    /// Bins of one transpose (64 words a column).
    static let chunkBins = 4096
    /// Bins of one u message: 2 MiB, far below the mesh's per-peer caps, and small enough that
    /// the sender works on one batch while the receiver makes the next.
    static let batchBins = 32_768
    static let stepU: UInt8 = 42
    static let stepReceipt: UInt8 = 45
    /// Batches the receiver may send before the sender has confirmed the oldest (16 MiB): the
    /// mesh delivers without back-pressure, and a sender slower than its receiver would otherwise
    /// pile up unread u rows until the mailbox's per-peer cap drops them.
    static let window = 8
    /// High word of H's tweaks: separates them from IKNP's (high word zero) under the same π.
    static let tweakDomain: UInt64 = 0x4B4B_5254_4F50_5246  // "KKRTOPRF"

    static func codeKeys(session: [UInt8]) -> [[UInt8]] {
        (0..<groups).map { g in
            var w = ByteWriter()
            w.string("tacit.psi.kkrt.code.v1")
            w.data(session)
            w.u8(UInt8(g))
            return Array(SHA256Bytes.hash(w.bytes).prefix(16))
        }
    }

    /// One thread's AES contexts and scratch.
    final class Coder {
        // Not Sendable: one per worker thread of one party.
        static let block = 256
        let code: [FixedKeyAES]
        let pi = FixedKeyAES()
        let saved = UnsafeMutablePointer<UInt64>.allocate(capacity: 8 * block)
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: 8 * block)
        let one = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * block)
        // Transpose scratch: 128 columns of a chunk, and its 4096 rows of 128 bits.
        let colsA = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 128 * 64)
        let colsB = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 128 * 64)
        let rowsA = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 128 * 64)
        let rowsB = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 128 * 64)

        init(session: [UInt8]) { code = KKRT.codeKeys(session: session).map { FixedKeyAES(key: $0) } }

        deinit {
            saved.deallocate(); words.deallocate(); one.deallocate()
            colsA.deallocate(); colsB.deallocate(); rowsA.deallocate(); rowsB.deallocate()
        }

        /// C(x) of `count` ≤ ``block`` inputs (two words each) into `out` (eight words each).
        func codewords(_ inputs: UnsafePointer<UInt64>, count: Int, into out: UnsafeMutablePointer<UInt64>) {
            precondition(count <= Self.block)
            for g in 0..<KKRT.groups {
                one.update(from: inputs, count: 2 * count)
                code[g].encrypt(inPlace: UnsafeMutableRawBufferPointer(start: one, count: 16 * count))
                for i in 0..<count {
                    out[8 * i + 2 * g] = one[2 * i]
                    out[8 * i + 2 * g + 1] = one[2 * i + 1]
                }
            }
        }

        /// H(bin_i, v_i) of `count` ≤ ``block`` rows `v` (eight words each, overwritten) into
        /// `out` (two words each); bin_i is `bins[i]`, or `firstBin + i` without `bins`.
        func hash(
            _ v: UnsafeMutablePointer<UInt64>, count: Int, bins: UnsafePointer<UInt32>?, firstBin: Int,
            into out: UnsafeMutablePointer<UInt64>
        ) {
            precondition(count <= Self.block)
            let raw = UnsafeMutableRawBufferPointer(start: v, count: 64 * count)
            pi.encrypt(inPlace: raw)
            saved.update(from: v, count: 8 * count)
            for i in 0..<count {
                let b = UInt64(bins.map { Int($0[i]) } ?? (firstBin + i))
                for g in 0..<KKRT.groups {
                    v[8 * i + 2 * g] ^= 4 &* b &+ UInt64(g)
                    v[8 * i + 2 * g + 1] ^= KKRT.tweakDomain
                }
            }
            pi.encrypt(inPlace: raw)
            for i in 0..<count {
                var lo: UInt64 = 0, hi: UInt64 = 0
                for g in 0..<KKRT.groups {
                    lo ^= v[8 * i + 2 * g] ^ saved[8 * i + 2 * g]
                    hi ^= v[8 * i + 2 * g + 1] ^ saved[8 * i + 2 * g + 1]
                }
                out[2 * i] = lo
                out[2 * i + 1] = hi
            }
        }
    }

    /// The chunks of a batch of `count` bins: (first bin within the batch, bins, words a column).
    static func chunks(_ count: Int) -> [(Int, Int, Int)] {
        stride(from: 0, to: count, by: chunkBins).map { first in
            let n = min(chunkBins, count - first)
            return (first, n, (n + 63) / 64)
        }
    }

    /// Column j (`cw` words) of a chunk's columns, for its PRG to fill.
    static func column(
        _ cols: UnsafeMutableBufferPointer<UInt64>, _ j: Int, words cw: Int
    ) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: cols[(j * cw)..<(j * cw + cw)]))
    }

    static func seeds(_ words: ArraySlice<UInt64>) -> [UInt8] {
        words.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * UInt64($0))) } }
    }
}

/// The OPRF receiver (the PSI receiver, holding the cuckoo table).
final class KKRTReceiver {
    // Not Sendable: driven by one task; its PRGs are split by group between two threads.
    let link: PairLink
    private let zero: [AESPRG]
    private let one: [AESPRG]
    private let coders: [KKRT.Coder]
    /// Time spent on the column PRGs and transposes, and on codewords and hashes (profiling).
    private(set) var prgSeconds = 0.0, codeSeconds = 0.0

    /// Runs the base OTs: 512 random OTs with this party as their sender.
    init(link: PairLink, session: [UInt8]) async throws {
        self.link = link
        let ot = OTExtension(link: link)
        let sent = try await ot.extend(sending: KKRT.codeBits, receiving: 0).sent
        zero = (0..<KKRT.codeBits).map { AESPRG(seed: KKRT.seeds(sent.m0[(2 * $0)..<(2 * $0 + 2)])) }
        one = (0..<KKRT.codeBits).map { AESPRG(seed: KKRT.seeds(sent.m1[(2 * $0)..<(2 * $0 + 2)])) }
        coders = [KKRT.Coder(session: session), KKRT.Coder(session: session)]
    }

    /// F(k_b, x_b) for every bin b, with x_b at words 2b, 2b + 1 of `inputs`: 128 bits each, as
    /// (low, high) pairs. Sends the u rows in batches of ``KKRT/batchBins``; `batchDone` is told
    /// the bins done so far.
    func evaluate(
        inputs: [UInt64], batchBins: Int = KKRT.batchBins, batchDone: (Int) async -> Void = { _ in }
    ) async throws -> [UInt64] {
        let m = inputs.count / 2
        var outputs = [UInt64](repeating: 0, count: 2 * m)
        let t = UnsafeMutablePointer<UInt64>.allocate(capacity: KKRT.rowWords * min(m, batchBins))
        defer { t.deallocate() }
        let batches = (m + batchBins - 1) / batchBins
        for (k, first) in stride(from: 0, to: m, by: batchBins).enumerated() {
            let count = min(batchBins, m - first)
            if k >= KKRT.window { try await awaitReceipt(k - KKRT.window) }
            try await link.send(step: KKRT.stepU, count: count, bodyBytes: 64 * count) { raw in
                raw.withMemoryRebound(to: UInt64.self) { u in
                    // Rows of t0 and of t0 ⊕ t1 (into the message), by column group.
                    let start = ContinuousClock.now
                    OTExtension.inParallel(count >= 1024 ? 32 : 0) { h in
                        let c = coders[h]
                        for g in [2 * h, 2 * h + 1] {
                            for (cf, nb, cw) in KKRT.chunks(count) {
                                for j in 0..<128 {
                                    zero[128 * g + j].fill(KKRT.column(c.colsA, j, words: cw))
                                    one[128 * g + j].fill(KKRT.column(c.colsB, j, words: cw))
                                }
                                for i in 0..<(128 * cw) { c.colsB[i] ^= c.colsA[i] }
                                OTExtension.transposeChunk(UnsafeBufferPointer(c.colsA), count: cw, into: c.rowsA)
                                OTExtension.transposeChunk(UnsafeBufferPointer(c.colsB), count: cw, into: c.rowsB)
                                for r in 0..<nb {
                                    let o = KKRT.rowWords * (cf + r) + 2 * g
                                    t[o] = c.rowsA[2 * r]
                                    t[o + 1] = c.rowsA[2 * r + 1]
                                    u[o] = c.rowsB[2 * r]
                                    u[o + 1] = c.rowsB[2 * r + 1]
                                }
                            }
                        }
                    }
                    let middle = ContinuousClock.now
                    prgSeconds += (middle - start).psiSeconds
                    // u_b ⊕= C(x_b); F = H(b, t0_b), by bin.
                    inputs.withUnsafeBufferPointer { inputs in
                        outputs.withUnsafeMutableBufferPointer { out in
                            OTPSI.twoWay(count) { h, range in
                                let c = coders[h]
                                var i = range.lowerBound
                                while i < range.upperBound {
                                    let k = min(KKRT.Coder.block, range.upperBound - i)
                                    c.codewords(inputs.baseAddress! + 2 * (first + i), count: k, into: c.words)
                                    for w in 0..<(KKRT.rowWords * k) {
                                        u[KKRT.rowWords * i + w] = (u[KKRT.rowWords * i + w] ^ c.words[w]).littleEndian
                                    }
                                    c.hash(t + KKRT.rowWords * i, count: k, bins: nil, firstBin: first + i,
                                           into: out.baseAddress! + 2 * (first + i))
                                    i += k
                                }
                            }
                        }
                    }
                    codeSeconds += (ContinuousClock.now - middle).psiSeconds
                }
            }
            await batchDone(first + count)
        }
        for k in max(0, batches - KKRT.window)..<batches { try await awaitReceipt(k) }
        return outputs
    }

    private func awaitReceipt(_ k: Int) async throws {
        _ = try await link.receive(step: KKRT.stepReceipt, name: "OPRF batch receipt", count: k + 1, bodyBytes: 0)
    }
}

/// The OPRF sender (the PSI sender): holds s and the keys q_b, batch by batch.
final class KKRTSender {
    // Not Sendable: driven by one task; its PRGs are split by group between two threads.
    let link: PairLink
    private let keys: [AESPRG]
    /// s as eight words, in a row's layout (bit j of word j / 64 is s_j).
    let s: [UInt64]
    let coders: [KKRT.Coder]
    /// Time spent on the column PRGs and transposes (profiling).
    private(set) var prgSeconds = 0.0

    /// Runs the base OTs: 512 random OTs with this party as their receiver; s = its choices.
    init(link: PairLink, session: [UInt8]) async throws {
        self.link = link
        let ot = OTExtension(link: link)
        let got = try await ot.extend(sending: 0, receiving: KKRT.codeBits).received
        keys = (0..<KKRT.codeBits).map { AESPRG(seed: KKRT.seeds(got.messages[(2 * $0)..<(2 * $0 + 2)])) }
        s = Array(got.choices.prefix(KKRT.rowWords))
        coders = [KKRT.Coder(session: session), KKRT.Coder(session: session)]
    }

    /// Receives the u rows of `m` bins batch by batch and hands each batch's q rows (eight words
    /// a bin, from `first`) to `body` before the next arrives.
    func receive(
        bins m: Int, batchBins: Int = KKRT.batchBins,
        _ body: (_ first: Int, _ count: Int, _ q: UnsafeBufferPointer<UInt64>) async throws -> Void
    ) async throws {
        let q = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: KKRT.rowWords * min(m, batchBins))
        defer { q.deallocate() }
        for (k, first) in stride(from: 0, to: m, by: batchBins).enumerated() {
            let count = min(batchBins, m - first)
            let payload = try await link.receive(
                step: KKRT.stepU, name: "OPRF u rows", count: count, bodyBytes: 64 * count)
            let start = ContinuousClock.now
            payload.withUnsafeBytes { raw in
                let u = UnsafeRawBufferPointer(rebasing: raw[PairLink.headerBytes...])
                OTExtension.inParallel(count >= 1024 ? 32 : 0) { h in
                    let c = coders[h]
                    for g in [2 * h, 2 * h + 1] {
                        let s0 = s[2 * g], s1 = s[2 * g + 1]
                        for (cf, nb, cw) in KKRT.chunks(count) {
                            for j in 0..<128 {
                                keys[128 * g + j].fill(KKRT.column(c.colsA, j, words: cw))
                            }
                            OTExtension.transposeChunk(UnsafeBufferPointer(c.colsA), count: cw, into: c.rowsA)
                            for r in 0..<nb {
                                let o = KKRT.rowWords * (cf + r) + 2 * g
                                let u0 = UInt64(littleEndian: u.loadUnaligned(fromByteOffset: 8 * o, as: UInt64.self))
                                let u1 = UInt64(littleEndian: u.loadUnaligned(fromByteOffset: 8 * o + 8, as: UInt64.self))
                                q[o] = c.rowsA[2 * r] ^ (u0 & s0)
                                q[o + 1] = c.rowsA[2 * r + 1] ^ (u1 & s1)
                            }
                        }
                    }
                }
            }
            prgSeconds += (ContinuousClock.now - start).psiSeconds
            try await body(first, count, UnsafeBufferPointer(rebasing: q[0..<(KKRT.rowWords * count)]))
            try await link.send(step: KKRT.stepReceipt, count: k + 1, bodyBytes: 0) { _ in }
        }
    }

    /// F(k_{bins[i]}, x_i) for `count` ≤ ``KKRT/Coder/block`` points (inputs two words each) whose
    /// bins lie in the batch from `first` with rows `q`, into `out` (two words each), on `coder`.
    func encode(
        coder c: KKRT.Coder, count: Int, bins: UnsafePointer<UInt32>, inputs: UnsafePointer<UInt64>,
        q: UnsafeBufferPointer<UInt64>, first: Int, into out: UnsafeMutablePointer<UInt64>
    ) {
        c.codewords(inputs, count: count, into: c.words)
        for i in 0..<count {
            let row = KKRT.rowWords * (Int(bins[i]) - first)
            for w in 0..<KKRT.rowWords {
                c.words[KKRT.rowWords * i + w] = q[row + w] ^ (c.words[KKRT.rowWords * i + w] & s[w])
            }
        }
        c.hash(c.words, count: count, bins: bins, firstBin: 0, into: out)
    }
}
