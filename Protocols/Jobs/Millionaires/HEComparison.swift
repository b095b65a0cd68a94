public import TacitCrypto
public import TacitJob
public import TacitNet
import TacitBytes
import TacitMath
import Foundation

/// The HE path: a DGK comparison (Damgård–Geisler–Krøigaard 2007, with Veugen's 2012
/// improvements) between the x-holder, who owns a DGK key, and the y-holder, who blinds. It
/// ends with XOR shares of `[x < y]` and `[x = y]`.
///
/// **The protocol, per pair.** Values are split into D digits of `digitBits` bits (radix
/// 2^k; k = 1 is the textbook bitwise protocol). For digit i and every threshold
/// `1 ≤ v < 2^k` the x-holder sends `T_i(v) = E([x_i < v])` and `Tc_i(v) = E([x_i ≥ v])`
/// (fresh encryptions made offline; online it only picks which of a prepared E(0), E(1)
/// goes where). The y-holder, knowing its digit y_i, selects without the x-holder learning
/// which:
///
/// - `w_i = Tc_i(y_i+1) ⊞ T_i(y_i) = E([x_i ≠ y_i])`, `W_i = ⊞_{j>i} w_j` (digits above i
///   differ somewhere iff W_i ≠ 0), `W = ⊞_j w_j`;
/// - the less-than set, with a random bit δ (Veugen's trick that turns the revealed bit into
///   a share): `c_i = (δ = 0 ? Tc_i(y_i) : T_i(y_i+1)) ⊞ W_i`, zero iff the first differing
///   digit is i and `x_i < y_i` (δ = 0) or `x_i > y_i` (δ = 1); and Veugen's extra element
///   `c_* = W ⊞ E(1 − δ)`, zero iff δ = 1 and x = y. So some element is zero iff
///   `[x < y] ⊕ δ = 1`;
/// - the equality set, with a random bit ε: for ε = 1, `q_i = E([x_i = y_i]) ⊞ W_i` (zero
///   iff the first differing digit is i: some q_i is zero iff x ≠ y) and a dummy E(1); for
///   ε = 0, W (zero iff x = y) and D dummies. So some element is zero iff `[x = y] ⊕ ε = 1`.
///   Both candidate sets are always computed, so the work does not depend on ε.
///
/// Every element is multiplied by a fresh random `r ∈ Z_u*` (constant-time exponentiation),
/// re-randomised with a precomputed `h^r'`, and each set is shuffled. The x-holder zero-tests
/// all of them (no early exit): its shares are "some element of the set is zero", the
/// y-holder's are δ and ε. Sums never wrap: the largest plaintext is `1 + D`, and u is the
/// smallest prime above `D + 1` (19 for 64-bit values in 4-bit digits, 67 bitwise).
///
/// **Why radix 2^k.** The x-holder's zero tests (a t-bit exponentiation modulo the 1024-bit
/// p, about 0.1 ms each) dominate the online phase: the bitwise protocol needs 2·65 of them
/// for `<` and `=`; 4-bit digits need 2·17, at the price of 30 ciphertexts per digit in the
/// x-holder's message instead of 2 (all made offline).
///
/// **Messages** (tags 100...149 of the session; each starts with a status byte, 0 = go on,
/// 1 = abort followed by a reason, so that a party that refuses a message makes its peer
/// fail too instead of leaving it waiting): the key once (x→y, tag 100) and its acceptance
/// (y→x, tag 104); per batch, the digit encryptions (x→y, 101), the two sets per pair
/// (y→x, 102) and an acknowledgement (x→y, 103) so the y-holder learns whether its message
/// was accepted. Online rounds: 2 messages from the x-holder, 1 from the y-holder.
///
/// **Security.** Semi-honest, two parties, no dealer. The y-holder sees only DGK ciphertexts
/// (semantic security of DGK); the x-holder sees, per set, elements that are 0 or uniform in
/// Z_u* in a random order, with at most one zero, i.e. one bit masked by δ or ε. The
/// y-holder cannot check that g and h have the right orders (that needs the factors): a
/// malicious key owner is outside the model. Selecting by the y-holder's digits indexes
/// memory by a secret (a cache-timing side channel on a shared host is not addressed).
public final class HEComparison: ComparisonPath {
    public let role: ComparisonRole
    public let bits: Int
    /// Bits per digit (1...8).
    public let digitBits: Int
    public private(set) var stats = ComparisonStats()

    let channel: SessionChannel
    let peer: PartyID
    let layout: DigitLayout
    let keyBits: Int
    let t: Int
    let policy: DGK.KeySizePolicy
    let tasks: Int

    private var secretKey: DGK.PrivateKey?
    private var publicKey: DGK.PublicKey?
    private var failure: JobError?
    /// x-holder: wire bytes of prepared E(0) and E(1), `layout.slots` of each per comparison.
    private var zeros: [[UInt8]] = []
    private var ones: [[UInt8]] = []
    /// y-holder: prepared `h^r'`, `layout.replyPerPair` per comparison.
    private var randomizers: [BigInt] = []
    /// Comparisons prepared and not yet used.
    public private(set) var prepared = 0

    /// The tags this path uses inside its session.
    public static let tags: ClosedRange<UInt64> = 100...149
    static let keyTag: Tag = 100
    static let digitsTag: Tag = 101
    static let replyTag: Tag = 102
    static let ackTag: Tag = 103
    static let keyAckTag: Tag = 104

    /// - Parameters:
    ///   - channel: a session between exactly two parties, this one and the peer.
    ///   - bits: the width of the values, 1...64.
    ///   - digitBits: the radix of the digit decomposition, 1...8 (4 is the fastest online
    ///     at 64 bits; see the type's documentation).
    ///   - keyBits, t: the DGK key the x-holder generates in its first `prepare`.
    ///   - key: an existing DGK key for the x-holder to use instead (its u must exceed D + 1).
    ///   - policy: the key sizes either side accepts (the y-holder checks the received key).
    ///   - tasks: how many tasks share a batch's big-integer work.
    /// - Throws: `JobError(.invalidSpec)` for a channel that is not two parties, or
    ///   parameters out of range.
    public init(channel: SessionChannel, role: ComparisonRole, bits: Int = 64, digitBits: Int = 4,
                keyBits: Int = 2048, t: Int = 160, key: DGK.PrivateKey? = nil,
                policy: DGK.KeySizePolicy = .standard, tasks: Int = 2) throws {
        guard channel.peers.count == 1, let peer = channel.peers.first else {
            throw JobError(.invalidSpec, "the HE comparison runs between exactly two parties; this session has \(channel.parties.count)")
        }
        guard (1...64).contains(bits) else { throw JobError(.invalidSpec, "bits must be 1...64, not \(bits)") }
        guard (1...8).contains(digitBits) else { throw JobError(.invalidSpec, "digitBits must be 1...8, not \(digitBits)") }
        self.channel = channel
        self.peer = peer
        self.role = role
        self.bits = bits
        self.digitBits = digitBits
        layout = DigitLayout(bits: bits, digitBits: digitBits)
        self.keyBits = keyBits
        self.t = t
        self.policy = policy
        self.tasks = max(1, tasks)
        if let key {
            guard role == .holdsX else { throw JobError(.invalidSpec, "only the x-holder owns a DGK key") }
            guard key.publicKey.u > layout.maxPlaintext else {
                throw JobError(.invalidSpec, "the DGK key's plaintext modulus u = \(key.publicKey.u) is too small for \(layout.digits) digits; it must exceed \(layout.maxPlaintext)")
            }
            secretKey = key
        }
    }

    /// The key in use, once exchanged (both sides).
    public var dgkPublicKey: DGK.PublicKey? { publicKey }

    // MARK: Offline

    public func prepare(count: Int) async throws {
        let start = ContinuousClock.now
        defer { stats.offlineSeconds += seconds(since: start) }
        try await prepareMaterial(count: count)
    }

    private func prepareMaterial(count: Int) async throws {
        if let failure { throw failure }
        guard count >= 0 else { throw JobError(.invalidInput, "cannot prepare a negative number of comparisons") }
        do {
            if publicKey == nil { try await exchangeKey() }
            guard let pk = publicKey, count > 0 else { return }
            switch role {
            case .holdsX:
                let slots = layout.slots * count
                let made = await parallel(Array(0..<slots), tasks: tasks) { chunk in
                    let k = pk.n.byteCount
                    // h^r and g·h^r' are below n, so their k-byte forms always exist.
                    return chunk.map { _ in
                        let zero = (try? pk.randomizer().bigEndianBytes(width: k)) ?? []
                        let one = (try? (pk.g * pk.randomizer()).modulo(pk.n).bigEndianBytes(width: k)) ?? []
                        return (zero, one)
                    }
                }
                zeros.append(contentsOf: made.map(\.0))
                ones.append(contentsOf: made.map(\.1))
            case .holdsY:
                let made = await parallel(Array(0..<(layout.replyPerPair * count)), tasks: tasks) { chunk in
                    chunk.map { _ in pk.randomizer() }
                }
                randomizers.append(contentsOf: made)
            }
            prepared += count
        } catch {
            throw fail(error)
        }
    }

    /// The x-holder's key (generated on first use) goes to the y-holder, which validates it
    /// and answers whether it accepts it.
    private func exchangeKey() async throws {
        switch role {
        case .holdsX:
            let key = try secretKey ?? generateKey()
            secretKey = key
            var out = ByteWriter(capacity: 16 + 3 * key.publicKey.n.byteCount)
            out.u8(0)
            out.u8(UInt8(bits))
            out.u8(UInt8(digitBits))
            out.raw(DGK.Wire.encode(key.publicKey))
            try await send(out.bytes, tag: Self.keyTag, online: false)
            // The fixed-base table for h, while the peer checks the key.
            key.publicKey.precompute()
            let reader = try await receive(tag: Self.keyAckTag, online: false, abortTag: nil)
            try readerChecked { try reader.finish() }
            publicKey = key.publicKey
        case .holdsY:
            var reader = try await receive(tag: Self.keyTag, online: false, abortTag: Self.keyAckTag)
            let pk: DGK.PublicKey
            do {
                let theirBits = try readerChecked { Int(try reader.u8("bits")) }
                let theirDigits = try readerChecked { Int(try reader.u8("digitBits")) }
                guard theirBits == bits, theirDigits == digitBits else {
                    throw peerError("\(peer) runs a \(theirBits)-bit comparison in \(theirDigits)-bit digits; this party runs \(bits) bits in \(digitBits)-bit digits")
                }
                do {
                    pk = try DGK.Wire.decodePublicKey(Array(reader.bytes[reader.offset...]), policy: policy)
                } catch let e as DGKError {
                    throw peerError("\(peer) sent a DGK public key that is not valid: \(e.message)")
                }
                guard pk.u > layout.maxPlaintext else {
                    throw peerError("\(peer) sent a DGK key whose plaintext modulus u = \(pk.u) is too small for \(layout.digits) digits (it must exceed \(layout.maxPlaintext))")
                }
            } catch let e as JobError {
                await abort(tag: Self.keyAckTag, e)
                throw e
            }
            try await send([0], tag: Self.keyAckTag, online: false)
            pk.precompute()
            publicKey = pk
        }
    }

    private func generateKey() throws -> DGK.PrivateKey {
        do {
            return try DGK.PrivateKey.generate(bits: keyBits, u: layout.plaintextModulus, t: t, policy: policy)
        } catch let e as DGKError {
            throw JobError(.invalidSpec, "cannot make the DGK key: \(e.message)")
        }
    }

    // MARK: Online

    public func compare(_ values: [UInt64]) async throws -> ComparisonShares {
        if let failure { throw failure }
        try checkFits(values)
        if values.isEmpty { return ComparisonShares(lessThan: [], equal: []) }
        if prepared < values.count {
            let start = ContinuousClock.now
            try await prepareMaterial(count: values.count - prepared)
            stats.offlineSeconds += seconds(since: start)
        }
        let start = ContinuousClock.now
        defer { stats.onlineSeconds += seconds(since: start) }
        do {
            let result = role == .holdsX ? try await compareAsX(values) : try await compareAsY(values)
            stats.comparisons += values.count
            return result
        } catch {
            throw fail(error)
        }
    }

    private func compareAsX(_ x: [UInt64]) async throws -> ComparisonShares {
        guard let key = secretKey, let pk = publicKey else { throw JobError(.protocolFailure, "no DGK key") }
        let k = pk.n.byteCount
        let slots = layout.slots
        let perPair = 2 * slots
        // Picks, per slot, which prepared encryption is T and which Tc: no arithmetic online.
        var out = ByteWriter(capacity: 16 + x.count * perPair * k)
        out.u8(0)
        out.u32(UInt32(x.count))
        out.u16(UInt16(k))
        out.u32(UInt32(x.count * perPair))
        let base0 = zeros.count - x.count * slots
        for (j, value) in x.enumerated() {
            for i in 0..<layout.digits {
                let digit = Int(layout.digit(value, i))
                let offset = base0 + j * slots + layout.slotOffset[i]
                let thresholds = layout.radix[i] - 1
                for v in 1...thresholds { out.raw(digit < v ? ones[offset + v - 1] : zeros[offset + v - 1]) }
                for v in 1...thresholds { out.raw(digit < v ? zeros[offset + v - 1] : ones[offset + v - 1]) }
            }
        }
        zeros.removeLast(x.count * slots)
        ones.removeLast(x.count * slots)
        prepared -= x.count
        try await send(out.bytes, tag: Self.digitsTag, online: true)

        var reader = try await receive(tag: Self.replyTag, online: true, abortTag: Self.ackTag)
        let setSize = layout.digits + 1
        let list: [DGK.Ciphertext]
        do {
            do {
                var dgkReader = ByteReader(Array(reader.bytes[reader.offset...]), what: "comparison reply", errors: DGKError.self)
                list = try DGK.Wire.readList(&dgkReader, publicKey: pk, expected: x.count * 2 * setSize)
                try dgkReader.finish()
            } catch let e as DGKError {
                throw peerError("\(peer) sent a comparison reply that is not valid: \(e.message)")
            }
            _ = reader
        } catch let e as JobError {
            await abort(tag: Self.ackTag, e)
            throw e
        }
        // Every element is tested (no early exit), on `tasks` tasks.
        let zero = await parallel(list, tasks: tasks) { chunk in
            let decryptor = key.makeDecryptor()
            return chunk.map { decryptor.isZero($0) }
        }
        var lessThan: [Bool] = [], equal: [Bool] = []
        lessThan.reserveCapacity(x.count)
        equal.reserveCapacity(x.count)
        for j in 0..<x.count {
            let base = j * 2 * setSize
            lessThan.append(zero[base..<base + setSize].contains(true))
            equal.append(zero[base + setSize..<base + 2 * setSize].contains(true))
        }
        try await send([0], tag: Self.ackTag, online: true)
        return ComparisonShares(lessThan: lessThan, equal: equal)
    }

    private func compareAsY(_ y: [UInt64]) async throws -> ComparisonShares {
        guard let pk = publicKey else { throw JobError(.protocolFailure, "no DGK key") }
        var reader = try await receive(tag: Self.digitsTag, online: true, abortTag: Self.replyTag)
        let k = pk.n.byteCount
        let perPair = 2 * layout.slots
        let body: Int
        do {
            let count = Int(try reader.u32("the pair count"))
            guard count == y.count else {
                throw peerError("\(peer) sent digit encryptions for \(count) pairs; this batch has \(y.count)")
            }
            let width = Int(try reader.u16("the modulus length"))
            guard width == k else { throw peerError("\(peer) sent ciphertexts of \(width) bytes; its key's are \(k)") }
            let total = Int(try reader.u32("the ciphertext count"))
            guard total == count * perPair else {
                throw peerError("\(peer) sent \(total) digit encryptions for \(count) pairs; expected \(count * perPair)")
            }
            guard reader.remaining == total * k else {
                throw peerError("\(peer) sent a digit message of \(reader.remaining) bytes after its header; \(total) ciphertexts take \(total * k) (truncated or padded)")
            }
            body = reader.offset
            if let bad = Self.firstOutOfRange(reader.bytes, from: body, count: total, width: k, modulus: pk.n) {
                throw peerError("\(peer) sent digit encryption \(bad), which is outside 1..<n for its DGK key")
            }
        } catch let e as JobError {
            await abort(tag: Self.replyTag, e)
            throw e
        } catch let e as JobFailureFromReader {
            let error = peerError("\(peer) sent a malformed digit message: \(e.failure)")
            await abort(tag: Self.replyTag, error)
            throw error
        }

        // Secret choices, drawn here with the CSPRNG.
        var rng = SecureRandom()
        let delta = y.map { _ in Bool.random(using: &rng) }
        let epsilon = y.map { _ in Bool.random(using: &rng) }
        let setSize = layout.digits + 1
        let replyPerPair = 2 * setSize
        let blinds = (0..<(y.count * replyPerPair)).map { _ in Int.random(in: 1..<pk.u, using: &rng) }
        let rerandomizers = Array(randomizers.suffix(y.count * replyPerPair))
        randomizers.removeLast(y.count * replyPerPair)
        prepared -= y.count

        let bytes = reader.bytes
        let layout = self.layout
        let items = (0..<y.count).map { j in PairInput(index: j, y: y[j], delta: delta[j], epsilon: epsilon[j]) }
        let sets = await parallel(items, tasks: tasks) { chunk in
            let ctx = ModularContext(modulus: pk.n)
            return chunk.map { item in
                let base = body + item.index * perPair * k
                let raw = Self.sets(layout: layout, pk: pk, ctx: ctx, y: item.y, delta: item.delta, epsilon: item.epsilon) { offset in
                    BigInt(bigEndianBytes: bytes[(base + offset * k)..<(base + (offset + 1) * k)])
                }
                let first = item.index * replyPerPair
                var blinded = raw.enumerated().map { (e, c) -> BigInt in
                    var power = ctx.makeResult()
                    ctx.constantTimePower(c, BigInt(blinds[first + e]), exponentBits: BigInt(pk.u - 1).bitWidth, into: &power)
                    return ctx.multiply(power, rerandomizers[first + e])
                }
                var generator = SecureRandom()
                blinded[0..<setSize].shuffle(using: &generator)
                blinded[setSize..<2 * setSize].shuffle(using: &generator)
                return blinded
            }
        }
        var out = ByteWriter(capacity: 16 + y.count * replyPerPair * k)
        out.u8(0)
        out.u16(UInt16(k))
        out.u32(UInt32(y.count * replyPerPair))
        for set in sets { for c in set { out.raw(try! c.bigEndianBytes(width: k)) } }
        try await send(out.bytes, tag: Self.replyTag, online: true)

        let ack = try await receive(tag: Self.ackTag, online: true, abortTag: nil)
        try readerChecked { try ack.finish() }
        return ComparisonShares(lessThan: delta, equal: epsilon)
    }

    struct PairInput: Sendable {
        let index: Int
        let y: UInt64
        let delta: Bool
        let epsilon: Bool
    }

    /// The two sets for one pair before blinding: D + 1 less-than elements, then D + 1
    /// equality elements. `ct(o)` reads the x-holder's o-th ciphertext of this pair.
    static func sets(layout: DigitLayout, pk: DGK.PublicKey, ctx: ModularContext, y: UInt64, delta: Bool, epsilon: Bool,
                     ct: (Int) -> BigInt) -> [BigInt] {
        let one = BigInt(1)
        let g = pk.constant(1).value
        let minusOne = pk.constant(-1).value
        // T_i(v) for 0 ≤ v ≤ K: E(0) and E(1) are the trivial 1 and g at the ends.
        func T(_ i: Int, _ v: Int) -> BigInt {
            let radix = layout.radix[i]
            if v == 0 { return one }
            if v == radix { return g }
            return ct(layout.slotOffset[i] * 2 + (v - 1))
        }
        func Tc(_ i: Int, _ v: Int) -> BigInt {
            let radix = layout.radix[i]
            if v == 0 { return g }
            if v == radix { return one }
            return ct(layout.slotOffset[i] * 2 + (radix - 1) + (v - 1))
        }
        let d = layout.digits
        var lt = [BigInt](repeating: one, count: d + 1)
        var eqReal = [BigInt](repeating: one, count: d + 1)
        var w = one  // W_i: the sum of w_j over the digits above i
        for i in stride(from: d - 1, through: 0, by: -1) {
            let yi = Int(layout.digit(y, i))
            let le = T(i, yi + 1), ge = Tc(i, yi)
            // The same two multiplications whichever δ is.
            lt[i] = ctx.multiply(delta ? le : ge, w)
            var eq = ctx.multiply(le, ge)
            ctx.multiply(&eq, by: minusOne)
            ctx.multiply(&eq, by: w)
            eqReal[i] = eq
            let differs = ctx.multiply(Tc(i, yi + 1), T(i, yi))
            ctx.multiply(&w, by: differs)
        }
        // Veugen's extra element: W ⊞ E(1 − δ), zero iff δ = 1 and x = y.
        lt[d] = ctx.multiply(w, delta ? one : g)
        eqReal[d] = g
        var eqSet = [BigInt](repeating: g, count: d + 1)
        if epsilon {
            eqSet = eqReal
        } else {
            eqSet[d] = w
        }
        return lt + eqSet
    }

    /// The index of the first `width`-byte big-endian value in `bytes[from...]` that is 0 or
    /// not below `modulus`, checked on the bytes (no integer is built for elements the
    /// y-holder never selects).
    static func firstOutOfRange(_ bytes: [UInt8], from: Int, count: Int, width: Int, modulus: BigInt) -> Int? {
        guard let n = try? modulus.bigEndianBytes(width: width) else { return 0 }
        let zero = [UInt8](repeating: 0, count: width)
        return bytes.withUnsafeBytes { b in
            n.withUnsafeBytes { m in
                zero.withUnsafeBytes { z in
                    for e in 0..<count {
                        let c = b.baseAddress! + from + e * width
                        // Big-endian of equal width: byte order is numeric order.
                        if memcmp(c, z.baseAddress!, width) == 0 || memcmp(c, m.baseAddress!, width) >= 0 { return e }
                    }
                    return nil
                }
            }
        }
    }

    // MARK: Messages and failure

    private func send(_ bytes: [UInt8], tag: Tag, online: Bool) async throws {
        try await channel.send(Payload(bytes), to: peer, tag: tag)
        if online {
            stats.onlineBytesSent += bytes.count
            stats.onlineRounds += 1
        } else {
            stats.offlineBytesSent += bytes.count
        }
    }

    /// The message's reader, past its status byte; an abort from the peer becomes this
    /// party's error naming the peer.
    private func receive(tag: Tag, online: Bool, abortTag: Tag?) async throws -> ByteReader<JobFailureFromReader> {
        let payload: Payload
        do {
            payload = try await channel.receive(from: peer, tag: tag)
        } catch let e as NetError {
            throw JobError(.protocolFailure, "no message from \(peer) (\(e.reason))", peer: peer.name)
        }
        if online { stats.onlineBytesReceived += payload.count } else { stats.offlineBytesReceived += payload.count }
        var reader = ByteReader(payload.bytes, what: "message from \(peer)", errors: JobFailureFromReader.self)
        let status = (try? reader.u8("the status")) ?? 0xff
        switch status {
        case 0:
            return reader
        case 1:
            // The peer's words, bounded and stripped of control characters before they reach
            // a log.
            let reason = String(decoding: reader.bytes[reader.offset...].prefix(400), as: UTF8.self)
                .filter { !$0.isNewline && !$0.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) }
            throw JobError(.protocolFailure, "\(peer) stopped the comparison: \(reason)", peer: peer.name)
        default:
            let error = peerError(payload.isEmpty ? "\(peer) sent an empty message" : "\(peer) sent a message with an unknown status \(status)")
            if let abortTag { await abort(tag: abortTag, error) }
            throw error
        }
    }

    /// A read of the peer's bytes whose failure becomes an error naming the peer.
    private func readerChecked<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as JobFailureFromReader {
            throw peerError("\(peer) sent a malformed message: \(error.failure)")
        }
    }

    private func peerError(_ message: String) -> JobError {
        JobError(.protocolFailure, message, peer: peer.name)
    }

    /// Tells the peer, waiting on `tag`, why this party stops (best effort: the peer may be
    /// gone already).
    private func abort(tag: Tag, _ error: JobError) async {
        var out = ByteWriter(capacity: 64)
        out.u8(1)
        out.raw(Array(error.message.utf8.prefix(400)))
        try? await channel.send(Payload(out.bytes), to: peer, tag: tag)
    }

    /// Records the first failure: the path is unusable after it (its prepared material and
    /// the peer's state no longer match).
    private func fail(_ error: any Error) -> JobError {
        let e = JobError.from(error)
        failure = e
        return e
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// A byte-reader failure of a comparison message (turned into a `JobError` naming the peer).
struct JobFailureFromReader: ByteDecodingError {
    let failure: ByteReadFailure
    init(_ failure: ByteReadFailure) { self.failure = failure }
}

/// How a value splits into digits: D digits of `digitBits` bits, the top one narrower when
/// `bits` is not a multiple.
struct DigitLayout: Sendable {
    let digits: Int
    let digitBits: Int
    /// 2^(width of digit i).
    let radix: [Int]
    /// Σ_{j<i} (radix_j − 1): where digit i's thresholds start.
    let slotOffset: [Int]
    /// Thresholds per value: Σ (radix_i − 1); the x-holder sends two ciphertexts per threshold.
    let slots: Int

    init(bits: Int, digitBits: Int) {
        let d = (bits + digitBits - 1) / digitBits
        digits = d
        self.digitBits = digitBits
        radix = (0..<d).map { i in 1 << min(digitBits, bits - i * digitBits) }
        var offsets: [Int] = []
        var total = 0
        for r in radix {
            offsets.append(total)
            total += r - 1
        }
        slotOffset = offsets
        slots = total
    }

    /// The y-holder's reply per pair: two sets of D + 1.
    var replyPerPair: Int { 2 * (digits + 1) }

    /// The largest plaintext any set element can hold: 1 + D.
    var maxPlaintext: Int { digits + 1 }

    /// The smallest prime above ``maxPlaintext`` (and at least 3).
    var plaintextModulus: Int {
        var u = max(3, maxPlaintext + 1)
        while !(2..<u).allSatisfy({ u % $0 != 0 }) { u += 1 }
        return u
    }

    func digit(_ value: UInt64, _ i: Int) -> UInt64 {
        (value >> UInt64(i * digitBits)) & UInt64(radix[i] - 1)
    }
}

/// Runs `body` over up to `tasks` contiguous chunks of `items` concurrently; results in order.
func parallel<T: Sendable, R: Sendable>(_ items: [T], tasks: Int,
                                        _ body: @escaping @Sendable (ArraySlice<T>) -> [R]) async -> [R] {
    let chunks = max(1, min(tasks, items.count))
    if chunks == 1 { return body(items[...]) }
    let size = (items.count + chunks - 1) / chunks
    return await withTaskGroup(of: (Int, [R]).self) { group in
        for c in 0..<chunks {
            let lo = c * size, hi = min(items.count, lo + size)
            guard lo < hi else { continue }
            let slice = items[lo..<hi]
            group.addTask { (c, body(slice)) }
        }
        var parts = [[R]](repeating: [], count: chunks)
        for await (c, part) in group { parts[c] = part }
        return parts.flatMap { $0 }
    }
}
