public import TacitNet
import TacitCrypto
import TacitMath
import Dispatch

/// Random oblivious transfers between two parties, for protocols that consume OT
/// correlations directly (the millionaires' comparison's 1-out-of-16 OTs and bit triples)
/// rather than through ``OTTripleSource``'s Beaver triples. Semi-honest.
///
/// ``setup()`` runs 128 Chou–Orlandi base OTs over P-256 in each direction, once per pair
/// (one message each way for A, one for the 128 B's). Every ``extend(sending:receiving:)``
/// then makes a batch of random OTs in both directions at once by IKNP extension, one message
/// each way: as the sender of `sending` OTs this party gets random (m0ᵢ, m1ᵢ), 128 bits each;
/// as the receiver of `receiving` OTs it gets random choice bits cᵢ and m_cᵢ. The peer must
/// call it with the two counts swapped. Cost per OT: 16 bytes from its receiver (a row of the
/// IKNP matrix), nothing back; the sender hashes two rows, the receiver one.
///
/// The construction is ``OTTripleSource``'s (same transposes, the TCCR hash
/// H(i, x) = π(π(x) ⊕ i) ⊕ π(x) with i the OT's index in its direction, AES-128-CTR column
/// PRGs), with the random-OT outputs exposed instead of Gilboa products: m0ᵢ = H(i, qᵢ),
/// m1ᵢ = H(i, qᵢ ⊕ Δ), m_cᵢ = H(i, tᵢ). Semi-honest security only (no consistency check on the
/// IKNP matrix). The local work of a batch (column PRGs, transposes, hashes) is split over
/// two threads.
///
/// Not thread-safe: one task drives it.
public final class OTExtension {
    // Not Sendable: PRG and hash state belong to the driving task (and, within one call, to
    // the two worker threads, each on its own half).
    public let link: PairLink
    private var sender: SenderState?
    private var receiver: ReceiverState?
    private let hashers = [TweakableHash(), TweakableHash()]
    private let rng: AESPRG

    static let stepBaseA: UInt8 = 1
    static let stepBaseB: UInt8 = 2
    static let stepMatrix: UInt8 = 3
    /// A bound on one batch (2^30 OTs: 16 GiB of matrix) so a caller's count never becomes an
    /// unbounded allocation.
    public static let maxBatch = 1 << 30

    final class SenderState {
        let delta: (UInt64, UInt64)
        let columns: [AESPRG]  // G(k_{Δ_j})
        var tweak: UInt64 = 0
        init(delta: (UInt64, UInt64), columns: [AESPRG]) {
            self.delta = delta
            self.columns = columns
        }
        func bit(_ j: Int) -> Bool { ((j < 64 ? delta.0 >> UInt64(j) : delta.1 >> UInt64(j - 64)) & 1) == 1 }
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

    // Scratch reused across batches: the receiver's T columns and outgoing U, the sender's
    // received U and Q columns.
    private let tCols = WordScratch()
    private let qCols = WordScratch()
    private let choiceBits = WordScratch()
    private let received = WordScratch()
    private let sent0 = WordScratch()
    private let sent1 = WordScratch()

    public init(link: PairLink) {
        self.link = link
        rng = AESPRG(seed: AESPRG.randomSeed())
    }

    public convenience init(channel: SessionChannel, tag: Tag, timeout: Duration? = nil) throws {
        self.init(link: try PairLink(channel: channel, tag: tag, timeout: timeout))
    }

    public var isSetUp: Bool { sender != nil && receiver != nil }

    /// The base OTs, both directions. This party is the base-OT sender (A, then fresh seed
    /// pairs) for the direction where it receives extended OTs, and the base-OT receiver
    /// (choice bits Δ) for the direction where it sends them.
    public func setup() async throws {
        guard !isSetUp else { return }
        let group = P256()
        let peer = link.peer, me = link.channel.localParty
        let session = link.channel.session.rawValue
        let a = group.randomScalar()
        let bigA = group.multiplyGenerator(a)
        try await link.send(step: Self.stepBaseA, count: 1, bodyBytes: P256.pointBytes) { raw in
            raw.copyBytes(from: bigA)
        }
        let peerA = try await link.receive(step: Self.stepBaseA, name: "base-OT A", count: 1, bodyBytes: P256.pointBytes)
            .withUnsafeBytes { Array($0[PairLink.headerBytes...]) }
        let d0 = rng.next(), d1 = rng.next()
        let senderState = SenderState(delta: (d0, d1), columns: [])
        var points: [UInt8] = []
        points.reserveCapacity(128 * P256.pointBytes)
        var keys: [AESPRG] = []
        for j in 0..<128 {
            let b = group.randomScalar()
            var point = group.multiplyGenerator(b)
            do {
                if senderState.bit(j) { point = try group.add(point, peerA) }
                // Base OT j from the peer (who sent A) to this party (who answers with B_j).
                keys.append(AESPRG(seed: P256.key(
                    fromPoint: try group.multiply(peerA, by: b), index: j, session: session, sender: peer.name,
                    receiver: me.name, a: peerA, b: point, domain: Self.keyDomain)))
            } catch {
                throw await link.fail(MPCError(
                    .malformedMessage, "\(peer) sent an invalid base-OT point A: \(error)", peer: peer))
            }
            points += point
        }
        try await link.send(step: Self.stepBaseB, count: 128, bodyBytes: 128 * P256.pointBytes) { raw in
            raw.copyBytes(from: points)
        }
        let gotB = try await link.receive(
            step: Self.stepBaseB, name: "base-OT B", count: 128, bodyBytes: 128 * P256.pointBytes
        ).withUnsafeBytes { Array($0[PairLink.headerBytes...]) }
        var zero: [AESPRG] = [], one: [AESPRG] = []
        for j in 0..<128 {
            let bj = Array(gotB[(j * P256.pointBytes)..<((j + 1) * P256.pointBytes)])
            do {
                // Base OT j from this party (A) to the peer (B_j): k0 = H(a·B_j), k1 = H(a·(B_j − A)).
                let k0 = try group.multiply(bj, by: a)
                let k1 = try group.multiply(try group.add(bj, bigA, subtract: true), by: a)
                zero.append(AESPRG(seed: P256.key(
                    fromPoint: k0, index: j, session: session, sender: me.name, receiver: peer.name, a: bigA, b: bj,
                    domain: Self.keyDomain)))
                one.append(AESPRG(seed: P256.key(
                    fromPoint: k1, index: j, session: session, sender: me.name, receiver: peer.name, a: bigA, b: bj,
                    domain: Self.keyDomain)))
            } catch {
                throw await link.fail(MPCError(
                    .malformedMessage, "\(peer) sent an invalid base-OT point B_\(j): \(error)", peer: peer))
            }
        }
        sender = SenderState(delta: (d0, d1), columns: keys)
        receiver = ReceiverState(zero: zero, one: one)
    }

    /// Separates these base-OT keys from ``OTTripleSource``'s, should both run in one session.
    static let keyDomain = "tacit.ot-extension.base.v1"

    /// One batch of random OTs in both directions: `sending` with this party as the sender,
    /// `receiving` as the receiver. The peer calls it with the counts swapped; a mismatch is
    /// caught (the matrix carries its count) and fails both sides.
    public func extend(sending: Int, receiving: Int) async throws -> (sent: RandomOTs.Sent, received: RandomOTs.Received) {
        let v = try await extendInPlace(sending: sending, receiving: receiving)
        return (RandomOTs.Sent(count: sending, m0: Array(v.m0), m1: Array(v.m1)),
                RandomOTs.Received(count: receiving, choices: Array(v.choices), messages: Array(v.messages)))
    }

    /// ``extend(sending:receiving:)`` without copying its outputs out: they stay in this
    /// extension's buffers, valid until its next call (a consumer reading them on two threads
    /// avoids two passes over ~30 bytes per OT and the page faults of fresh arrays).
    package func extendInPlace(sending: Int, receiving: Int) async throws -> RandomOTViews {
        guard (0...Self.maxBatch).contains(sending), (0...Self.maxBatch).contains(receiving) else {
            throw MPCError(.invalidArgument, "an OT batch holds 0...\(Self.maxBatch) OTs; split larger ones")
        }
        if !isSetUp { try await setup() }
        guard let sender, let receiver else { throw MPCError(.invalidArgument, "base OTs are missing") }
        let wR = (receiving + 63) / 64, wS = (sending + 63) / 64
        // Receiver, round 1: choice bits r, T's columns t_j = G(k0_j), and U's u_j = G(k1_j) ⊕ t_j ⊕ r,
        // written straight into the message.
        let r = choiceBits.words(wR)
        rng.fill(UnsafeMutableRawBufferPointer(r))
        let t = tCols.words(128 * wR)
        try await link.send(step: Self.stepMatrix, count: receiving, bodyBytes: 8 * 128 * wR) { raw in
            raw.withMemoryRebound(to: UInt64.self) { u in
                Self.inParallel(wR) { h in
                    for j in (64 * h)..<(64 * h + 64) {
                        let g0 = receiver.zero[j], g1 = receiver.one[j]
                        for c in 0..<Self.chunks(wR) {
                            let (off, cw) = Self.chunk(c, column: j, words: wR)
                            let tj = UnsafeMutableBufferPointer(rebasing: t[off..<(off + cw)])
                            let uj = UnsafeMutableBufferPointer(rebasing: u[(j * wR + 64 * c)..<(j * wR + 64 * c + cw)])
                            g0.fill(UnsafeMutableRawBufferPointer(tj))
                            g1.fill(UnsafeMutableRawBufferPointer(uj))
                            for i in 0..<cw { uj[i] = (uj[i] ^ tj[i] ^ r[64 * c + i]).littleEndian }
                        }
                    }
                }
            }
        }
        // Receiver: m_cᵢ = H(i, tᵢ), while the peer works on its side.
        let messages = received.words(128 * wR)
        rows(of: UnsafeBufferPointer(t), words: wR, tweak: receiver.tweak, into: messages, delta: nil)
        receiver.tweak &+= UInt64(64 * wR)
        // Sender: q_j = G(k_{Δ_j}) ⊕ Δ_j·u_j; row i of Q is tᵢ ⊕ cᵢ·Δ.
        let payload = try await link.receive(
            step: Self.stepMatrix, name: "IKNP matrix", count: sending, bodyBytes: 8 * 128 * wS)
        let q = qCols.words(128 * wS)
        payload.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[PairLink.headerBytes...])
            Self.inParallel(wS) { h in
                for j in (64 * h)..<(64 * h + 64) {
                    let flip = sender.bit(j), g = sender.columns[j]
                    for c in 0..<Self.chunks(wS) {
                        let (off, cw) = Self.chunk(c, column: j, words: wS)
                        let qj = UnsafeMutableBufferPointer(rebasing: q[off..<(off + cw)])
                        g.fill(UnsafeMutableRawBufferPointer(qj))
                        if flip {
                            for i in 0..<cw { qj[i] ^= Words.load(body, j * wS + 64 * c + i) }
                        }
                    }
                }
            }
        }
        let m0 = sent0.words(128 * wS), m1 = sent1.words(128 * wS)
        rows(of: UnsafeBufferPointer(q), words: wS, tweak: sender.tweak, into: m0, delta: (sender.delta, m1))
        sender.tweak &+= UInt64(64 * wS)
        return RandomOTViews(
            sentCount: sending, m0: UnsafeBufferPointer(rebasing: m0[0..<(2 * sending)]),
            m1: UnsafeBufferPointer(rebasing: m1[0..<(2 * sending)]), receivedCount: receiving,
            choices: UnsafeBufferPointer(r), messages: UnsafeBufferPointer(rebasing: messages[0..<(2 * receiving)]))
    }

    /// Words of a column per chunk of the matrices kept locally (T, Q): 64, i.e. 4096 OTs, so
    /// a chunk (64 KiB) is transposed and hashed in L2.
    static let chunkWords = 64

    static func chunks(_ w: Int) -> Int { (w + chunkWords - 1) / chunkWords }

    /// Chunk-major layout of a 128-column matrix of `w` words per column: chunk c holds words
    /// 64c ..< 64c + cw of every column (cw = 64 but for the last), starts at word 128·64c, and
    /// has column j at j·cw within it: one contiguous block of
    /// ``OTTripleSource/transposeBlock(_:count:into:)``'s input. (Column-major columns lie
    /// `w` words apart, and gathering a chunk across 128 pages is what the TLB handles worst.)
    /// Returns column j's offset in chunk c and cw.
    @inline(__always)
    static func chunk(_ c: Int, column j: Int, words w: Int) -> (Int, Int) {
        let cw = min(chunkWords, w - chunkWords * c)
        return (128 * chunkWords * c + j * cw, cw)
    }

    /// The hashed rows of a chunk-major 128-column matrix of `w` words per column:
    /// H(i, rowᵢ) into `out`, and with `delta` also H(i, rowᵢ ⊕ Δ) into its buffer, as (low,
    /// high) word pairs. Chunks are split between two threads.
    private func rows(
        of cols: UnsafeBufferPointer<UInt64>, words w: Int, tweak: UInt64, into o0: UnsafeMutableBufferPointer<UInt64>,
        delta: ((UInt64, UInt64), UnsafeMutableBufferPointer<UInt64>)?
    ) {
        let n = Self.chunks(w), half = (n + 1) / 2
        Self.inParallel(w) { h in
            let hasher = hashers[h]
            for c in (h == 0 ? 0..<half : half..<n) {
                let (base, cw) = Self.chunk(c, column: 0, words: w)
                let block = (128 * Self.chunkWords * c)..<(128 * Self.chunkWords * c + 128 * cw)
                let r0 = UnsafeMutableBufferPointer(rebasing: o0[block])
                Self.transposeChunk(UnsafeBufferPointer(rebasing: cols[base..<(base + 128 * cw)]), count: cw, into: r0)
                let tweakBase = tweak &+ UInt64(64 * Self.chunkWords * c)
                if let ((d0, d1), o1) = delta {
                    let r1 = UnsafeMutableBufferPointer(rebasing: o1[block])
                    for i in 0..<(64 * cw) {
                        r1[2 * i] = r0[2 * i] ^ d0
                        r1[2 * i + 1] = r0[2 * i + 1] ^ d1
                    }
                    hasher.hash(inPlace: r1, tweakBase: tweakBase)
                }
                hasher.hash(inPlace: r0, tweakBase: tweakBase)
            }
        }
    }

    /// ``OTTripleSource/transposeBlock(_:count:into:)``'s transform (128 columns of `cw` words,
    /// column j at j·cw → 64·cw rows of 128 bits as (low, high) pairs), done as 128×128 bit
    /// transposes on 128-bit rows: row j = words v, v + 1 of column j as one SIMD2, a lane swap
    /// for the 64-bit stage and six in-lane stages that run on both lanes at once. About half
    /// the operations of two 64×64 transposes per 128 OTs, on the vector unit.
    package static func transposeChunk(
        _ cols: UnsafeBufferPointer<UInt64>, count cw: Int, into out: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(cols.count >= 128 * cw && out.count >= 128 * cw)
        guard cw > 0, let src = cols.baseAddress, let dst = out.baseAddress else { return }
        withUnsafeTemporaryAllocation(of: SIMD2<UInt64>.self, capacity: 128) { a in
            var v = 0
            while v < cw {
                // Wrapping index arithmetic: every offset is below 128·cw, checked above.
                let pair = v &+ 1 < cw
                if pair {
                    for j in 0..<128 {
                        a[j] = UnsafeRawPointer(src + (j &* cw &+ v)).loadUnaligned(as: SIMD2<UInt64>.self)
                    }
                } else {
                    for j in 0..<128 { a[j] = SIMD2(src[j &* cw &+ v], 0) }
                }
                for k in 0..<64 {
                    let x = a[k], y = a[k &+ 64]
                    a[k] = SIMD2(x.x, y.x)
                    a[k &+ 64] = SIMD2(x.y, y.y)
                }
                stage(a, 32, 0x0000_0000_FFFF_FFFF)
                stage(a, 16, 0x0000_FFFF_0000_FFFF)
                stage(a, 8, 0x00FF_00FF_00FF_00FF)
                stage(a, 4, 0x0F0F_0F0F_0F0F_0F0F)
                stage(a, 2, 0x3333_3333_3333_3333)
                stage(a, 1, 0x5555_5555_5555_5555)
                let row = UnsafeMutableRawPointer(dst + 128 &* v)
                for o in 0..<(pair ? 128 : 64) {
                    row.storeBytes(of: a[o], toByteOffset: 16 &* o, as: SIMD2<UInt64>.self)
                }
                v &+= 2
            }
        }
    }

    @inline(__always)
    static func stage(_ a: UnsafeMutableBufferPointer<SIMD2<UInt64>>, _ s: Int, _ m: UInt64) {
        let mask = SIMD2(repeating: m), shift = SIMD2(repeating: UInt64(s))
        var base = 0
        while base < 128 {
            for k in base..<(base &+ s) {
                let t = ((a[k] &>> shift) ^ a[k &+ s]) & mask
                a[k &+ s] ^= t
                a[k] ^= t &<< shift
            }
            base &+= 2 &* s
        }
    }

    /// Runs `body(0)` and `body(1)` on two threads (or in turn, for work too small to pay for
    /// a thread hand-off) and returns when both are done. Each half touches only its own
    /// columns or rows and its own hasher.
    package static func inParallel(_ words: Int, _ body: (Int) -> Void) {
        if words < 32 {
            body(0)
            body(1)
        } else {
            withoutActuallyEscaping(body) { body in
                let halves = Halves(body: body)
                DispatchQueue.concurrentPerform(iterations: 2) { halves.body($0) }
            }
        }
    }
}

/// The two halves of one batch's work, handed to two threads. `@unchecked`: the halves share
/// no mutable state (disjoint columns or rows of the caller's buffers, one PRG per column,
/// one hasher per half), and ``OTExtension/inParallel(_:_:)`` returns only when both are done.
private struct Halves: @unchecked Sendable {
    let body: (Int) -> Void
}

/// ``OTExtension/extendInPlace(sending:receiving:)``'s outputs, in the extension's buffers:
/// valid until its next call, and only while the extension lives.
package struct RandomOTViews {
    package let sentCount: Int
    package let m0: UnsafeBufferPointer<UInt64>
    package let m1: UnsafeBufferPointer<UInt64>
    package let receivedCount: Int
    package let choices: UnsafeBufferPointer<UInt64>
    package let messages: UnsafeBufferPointer<UInt64>
}

/// The outputs of one batch of random OTs (``OTExtension/extend(sending:receiving:)``). Messages
/// are 128-bit, stored as (low, high) word pairs: OT i at words 2i and 2i + 1.
public enum RandomOTs {
    /// This party as the sender: both messages of every OT.
    public struct Sent: Sendable {
        public let count: Int
        public var m0: [UInt64]
        public var m1: [UInt64]
        public func message(_ i: Int, _ bit: Bool) -> (UInt64, UInt64) {
            bit ? (m1[2 * i], m1[2 * i + 1]) : (m0[2 * i], m0[2 * i + 1])
        }
    }

    /// This party as the receiver: its random choice bits (bit i of word i / 64; bits past
    /// `count` are unused) and the message of its choice.
    public struct Received: Sendable {
        public let count: Int
        public var choices: [UInt64]
        public var messages: [UInt64]
        public func choice(_ i: Int) -> Bool { (choices[i >> 6] >> UInt64(i & 63)) & 1 == 1 }
        public func message(_ i: Int) -> (UInt64, UInt64) { (messages[2 * i], messages[2 * i + 1]) }
    }
}
