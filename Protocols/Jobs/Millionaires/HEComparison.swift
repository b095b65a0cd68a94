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
/// 1. `w_i = Tc_i(y_i+1) ⊞ T_i(y_i) = E([x_i ≠ y_i])`, `W_i = ⊞_{j>i} w_j` (the digits above
///    i differ somewhere iff W_i ≠ 0), `W = ⊞_j w_j` (zero iff x = y; at most D < u).
/// 2. The less-than set, with a random bit δ (Veugen's trick that turns the revealed bit into
///    a share): `c_i = (δ = 0 ? Tc_i(y_i) : T_i(y_i+1)) ⊞ W_i`, zero iff the first differing
///    digit is i and `x_i < y_i` (δ = 0) or `x_i > y_i` (δ = 1); and Veugen's extra element
///    `c_* = W ⊞ E(1 − δ)`, zero iff δ = 1 and x = y. So some element is zero iff
///    `[x < y] ⊕ δ = 1`. Each element is multiplied by a fresh `r ∈ Z_u*` (constant-time),
///    re-randomised with a precomputed `h^r'`, and the set shuffled. With it goes
///    `E(a)`, `a = ρ + r·W` for random ρ ∈ Z_u, r ∈ Z_u*: uniform to the x-holder, and
///    `a = ρ` iff x = y.
/// 3. Equality is then a one-digit comparison of a (which the x-holder decrypts) with ρ in
///    radix u: the x-holder sends `T(v), Tc(v)` of a for `1 ≤ v < u`, and the y-holder answers
///    with the two-element equality set of that digit under a random bit ε: for ε = 1,
///    `E([a = ρ])` and a dummy E(1) (some element is zero iff a ≠ ρ); for ε = 0, `E([a ≠ ρ])`
///    and a dummy. So some element is zero iff `[x = y] ⊕ ε = 1`; blinded, re-randomised and
///    swapped at random like the rest.
///
/// The x-holder tests every element (no early exit): its shares are "some element of the set
/// is zero"; the y-holder's are δ and ε. Sums never wrap: the largest plaintext is `1 + D`,
/// and u is the smallest prime above `D + 1` (19 for 64-bit values in 4-bit digits, 67
/// bitwise).
///
/// **Why radix 2^k and the decrypted equality.** The x-holder's zero tests (a t-bit
/// exponentiation modulo the 1024-bit p, about 0.1 ms each) dominate the online phase. The
/// bitwise protocol with a second masked set for equality needs 2·65 of them; 4-bit digits
/// need D + 1 = 17 for `<`, one decryption and 2 for `=` (20 in all), at the price of 30
/// ciphertexts per digit in the x-holder's first message instead of 2 (all made offline, by
/// CRT with the factors) and one more round trip.
///
/// **Messages** (tags 100...149 of the session; each starts with a status byte, 0 = go on,
/// 1 = abort followed by a reason, so that a party that refuses a message makes its peer
/// fail too instead of leaving it waiting): the key once (x→y, tag 100) and its acceptance
/// (y→x, 104); per batch, the digit thresholds (x→y, 101), the less-than sets and E(a)
/// (y→x, 102), the thresholds of a (x→y, 105), the equality sets (y→x, 106) and an
/// acknowledgement (x→y, 103) so the y-holder learns whether its last message was accepted.
/// Online: 3 messages from the x-holder, 2 from the y-holder, whatever the batch size.
///
/// **Security.** Semi-honest, two parties, no dealer. The y-holder sees only DGK ciphertexts
/// (semantic security of DGK); the x-holder sees sets whose elements are 0 or uniform in Z_u*
/// in a random order, with at most one zero (one bit, masked by δ or ε), and a, uniform in
/// Z_u. The y-holder cannot check that g and h have the right orders (that needs the
/// factors): a malicious key owner is outside the model. Selecting by the y-holder's digits
/// indexes memory by a secret (a cache-timing side channel on a shared host is not addressed).
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
    let maxBatchPairs: Int

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
    static let smallTag: Tag = 105
    static let equalityTag: Tag = 106

    /// - Parameters:
    ///   - channel: a session between exactly two parties, this one and the peer.
    ///   - bits: the width of the values, 1...64.
    ///   - digitBits: the radix of the digit decomposition, 1...8 (4 is the fastest online
    ///     at 64 bits; see the type's documentation).
    ///   - keyBits, t: the DGK key the x-holder generates in its first `prepare`.
    ///   - key: an existing DGK key for the x-holder to use instead (its u must exceed D + 1).
    ///   - policy: the key sizes either side accepts (the y-holder checks the received key).
    ///   - tasks: how many tasks share a batch's big-integer work.
    ///   - maxBatchPairs: pairs per set of rounds; larger batches run as several, so that no
    ///     message outgrows the transport (1024 pairs of 64 bits in 4-bit digits under a
    ///     2048-bit key is a 126 MB first message).
    /// - Throws: `JobError(.invalidSpec)` for a channel that is not two parties, or
    ///   parameters out of range.
    public init(channel: SessionChannel, role: ComparisonRole, bits: Int = 64, digitBits: Int = 4,
                keyBits: Int = 2048, t: Int = 160, key: DGK.PrivateKey? = nil,
                policy: DGK.KeySizePolicy = .standard, tasks: Int = 2, maxBatchPairs: Int = 1024) throws {
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
        self.maxBatchPairs = max(1, maxBatchPairs)
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
                guard let key = secretKey else { throw JobError(.protocolFailure, "no DGK key") }
                let slots = (layout.slots + DigitLayout(radix: pk.u).slots) * count
                let made = await parallel(Array(0..<slots), tasks: tasks) { chunk in
                    let k = pk.n.byteCount
                    // Key-holder randomisers (CRT, half-size moduli); both values are below n,
                    // so their k-byte forms always exist.
                    return chunk.map { _ in
                        let zero = (try? key.randomizer().bigEndianBytes(width: k)) ?? []
                        let one = (try? (pk.g * key.randomizer()).modulo(pk.n).bigEndianBytes(width: k)) ?? []
                        return (zero, one)
                    }
                }
                zeros.append(contentsOf: made.map(\.0))
                ones.append(contentsOf: made.map(\.1))
            case .holdsY:
                let made = await parallel(Array(0..<((layout.digits + 4) * count)), tasks: tasks) { chunk in
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
            // The fixed-base tables, while the peer checks the key.
            key.precompute()
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
            var result = ComparisonShares(lessThan: [], equal: [])
            for lo in stride(from: 0, to: values.count, by: maxBatchPairs) {
                let chunk = Array(values[lo..<min(values.count, lo + maxBatchPairs)])
                let part = role == .holdsX ? try await compareAsX(chunk) : try await compareAsY(chunk)
                result.lessThan += part.lessThan
                result.equal += part.equal
                stats.comparisons += chunk.count
            }
            return result
        } catch {
            throw fail(error)
        }
    }

    private func compareAsX(_ x: [UInt64]) async throws -> ComparisonShares {
        guard let key = secretKey, let pk = publicKey else { throw JobError(.protocolFailure, "no DGK key") }
        let small = DigitLayout(radix: pk.u)
        let stride = layout.slots + small.slots
        let first = zeros.count - x.count * stride
        // Round 1: the digits' threshold encryptions, picked from what was prepared.
        try await send(Self.thresholdMessage(x, layout: layout, zeros: zeros, ones: ones, first: first, stride: stride, k: pk.n.byteCount),
                       tag: Self.digitsTag, online: true)

        // Round 2: per pair the less-than set and E(r·W + ρ).
        let setSize = layout.digits + 1
        let reply = try await receiveList(tag: Self.replyTag, count: x.count * (setSize + 1), pk: pk, abortTag: Self.smallTag, what: "comparison reply")
        // Every element is tested (no early exit), on `tasks` tasks; the last of each pair is
        // decrypted instead.
        let tested: [Int?] = await parallel(Array(reply.indices), tasks: tasks) { chunk in
            let decryptor = key.makeDecryptor()
            return chunk.map { e in
                if e % (setSize + 1) == setSize { return try? decryptor.decrypt(reply[e]) }
                return decryptor.isZero(reply[e]) ? 1 : 0
            }
        }
        var lessThan: [Bool] = [], masked: [UInt64] = []
        for j in 0..<x.count {
            let base = j * (setSize + 1)
            lessThan.append(tested[base..<base + setSize].contains(1))
            guard let a = tested[base + setSize] else {
                let error = peerError("\(peer) sent a masked difference that does not decrypt under this party's DGK key")
                await abort(tag: Self.smallTag, error)
                throw error
            }
            masked.append(UInt64(a))
        }

        // Round 3: the masked values a = ρ + r·W, as one digit of radix u; round 4: the
        // equality set of [a = ρ].
        try await send(Self.thresholdMessage(masked, layout: small, zeros: zeros, ones: ones, first: first + layout.slots, stride: stride, k: pk.n.byteCount),
                       tag: Self.smallTag, online: true)
        zeros.removeLast(x.count * stride)
        ones.removeLast(x.count * stride)
        prepared -= x.count
        let eqSets = try await receiveList(tag: Self.equalityTag, count: x.count * 2, pk: pk, abortTag: Self.ackTag, what: "equality reply")
        let zero = await parallel(eqSets, tasks: tasks) { chunk in
            let decryptor = key.makeDecryptor()
            return chunk.map { decryptor.isZero($0) }
        }
        let equal = (0..<x.count).map { j in zero[2 * j] || zero[2 * j + 1] }
        try await send([0], tag: Self.ackTag, online: true)
        return ComparisonShares(lessThan: lessThan, equal: equal)
    }

    private func compareAsY(_ y: [UInt64]) async throws -> ComparisonShares {
        guard let pk = publicKey else { throw JobError(.protocolFailure, "no DGK key") }
        let k = pk.n.byteCount
        let small = DigitLayout(radix: pk.u)
        let setSize = layout.digits + 1
        let perPairRandomizers = setSize + 3
        let digits = try await receiveThresholds(tag: Self.digitsTag, pairs: y.count, layout: layout, pk: pk, abortTag: Self.replyTag)

        // Secret choices, drawn here with the CSPRNG.
        var rng = SecureRandom()
        let delta = y.map { _ in Bool.random(using: &rng) }
        let epsilon = y.map { _ in Bool.random(using: &rng) }
        let rho = y.map { _ in Int.random(in: 0..<pk.u, using: &rng) }
        let mask = y.map { _ in Int.random(in: 1..<pk.u, using: &rng) }
        var rerandomizers = Array(randomizers.suffix(y.count * perPairRandomizers))
        randomizers.removeLast(y.count * perPairRandomizers)
        prepared -= y.count

        // The less-than sets and W, by pairs; then E(r·W + ρ) = W^r · g^ρ.
        let layout = self.layout
        let items = (0..<y.count).map { j in PairInput(index: j, y: y[j], delta: delta[j], epsilon: epsilon[j]) }
        let stage = await parallel(items, tasks: tasks) { chunk in
            let ctx = ModularContext(modulus: pk.n)
            return chunk.map { item in
                Self.sets(layout: layout, pk: pk, ctx: ctx, y: item.y, delta: item.delta, epsilon: nil) { offset in
                    digits.ciphertext(pair: item.index, offset)
                }
            }
        }
        var raw: [BigInt] = [], blinds: [Int] = []
        raw.reserveCapacity(y.count * (setSize + 1))
        for j in 0..<y.count {
            raw.append(contentsOf: stage[j].less)
            blinds.append(contentsOf: (0..<setSize).map { _ in Int.random(in: 1..<pk.u, using: &rng) })
            raw.append(stage[j].differing)
            blinds.append(mask[j])
        }
        var reply = await Self.blind(raw, by: blinds, randomizers: Array(rerandomizers.prefix(raw.count)), pk: pk, tasks: tasks,
                                     offsets: (0..<y.count).map { rho[$0] }, every: setSize + 1)
        rerandomizers.removeFirst(raw.count)
        var generator = SecureRandom()
        for j in 0..<y.count { reply[j * (setSize + 1)..<j * (setSize + 1) + setSize].shuffle(using: &generator) }
        try await send(Self.listMessage(reply, k: k), tag: Self.replyTag, online: true)

        // The equality of a = ρ + r·W and ρ, as a one-digit comparison in radix u.
        let masked = try await receiveThresholds(tag: Self.smallTag, pairs: y.count, layout: small, pk: pk, abortTag: Self.equalityTag)
        var eqRaw: [BigInt] = []
        eqRaw.reserveCapacity(2 * y.count)
        let ctx = ModularContext(modulus: pk.n)
        for j in 0..<y.count {
            let sets = Self.sets(layout: small, pk: pk, ctx: ctx, y: UInt64(rho[j]), delta: nil, epsilon: epsilon[j]) { offset in
                masked.ciphertext(pair: j, offset)
            }
            eqRaw.append(contentsOf: sets.equal)
        }
        let eqBlinds = eqRaw.map { _ in Int.random(in: 1..<pk.u, using: &rng) }
        var eqReply = await Self.blind(eqRaw, by: eqBlinds, randomizers: rerandomizers, pk: pk, tasks: tasks, offsets: nil, every: 1)
        for j in 0..<y.count where Bool.random(using: &generator) { eqReply.swapAt(2 * j, 2 * j + 1) }
        try await send(Self.listMessage(eqReply, k: k), tag: Self.equalityTag, online: true)

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

    /// The x-holder's threshold encryptions of `values` in `layout`'s digits: per pair, per
    /// digit, `T(1..<radix)` then `Tc(1..<radix)`, each slot's prepared E(0) or E(1) going
    /// to T or Tc as the digit says (no arithmetic online).
    static func thresholdMessage(_ values: [UInt64], layout: DigitLayout, zeros: [[UInt8]], ones: [[UInt8]],
                                 first: Int, stride: Int, k: Int) -> [UInt8] {
        let perPair = 2 * layout.slots
        var out = ByteWriter(capacity: 16 + values.count * perPair * k)
        out.u8(0)
        out.u32(UInt32(values.count))
        out.u16(UInt16(k))
        out.u32(UInt32(values.count * perPair))
        for (j, value) in values.enumerated() {
            for i in 0..<layout.digits {
                let digit = Int(layout.digit(value, i))
                let offset = first + j * stride + layout.slotOffset[i]
                let thresholds = layout.radix[i] - 1
                for v in 1...thresholds { out.raw(digit < v ? ones[offset + v - 1] : zeros[offset + v - 1]) }
                for v in 1...thresholds { out.raw(digit < v ? zeros[offset + v - 1] : ones[offset + v - 1]) }
            }
        }
        return out.bytes
    }

    /// A received threshold message, checked; ciphertexts are built only when selected.
    struct Thresholds: Sendable {
        let bytes: [UInt8]
        let body: Int
        let perPair: Int
        let k: Int
        func ciphertext(pair: Int, _ offset: Int) -> BigInt {
            let start = body + (pair * perPair + offset) * k
            return BigInt(bigEndianBytes: bytes[start..<start + k])
        }
    }

    /// Reads the x-holder's threshold message for `pairs` pairs in `layout`: every length and
    /// count, and every ciphertext's range (on the bytes).
    private func receiveThresholds(tag: Tag, pairs: Int, layout: DigitLayout, pk: DGK.PublicKey, abortTag: Tag) async throws -> Thresholds {
        var reader = try await receive(tag: tag, online: true, abortTag: abortTag)
        let k = pk.n.byteCount
        let perPair = 2 * layout.slots
        do {
            let count = Int(try reader.u32("the pair count"))
            guard count == pairs else {
                throw peerError("\(peer) sent threshold encryptions for \(count) pairs; this batch has \(pairs)")
            }
            let width = Int(try reader.u16("the modulus length"))
            guard width == k else { throw peerError("\(peer) sent ciphertexts of \(width) bytes; its key's are \(k)") }
            let total = Int(try reader.u32("the ciphertext count"))
            guard total == count * perPair else {
                throw peerError("\(peer) sent \(total) threshold encryptions for \(count) pairs; expected \(count * perPair)")
            }
            guard reader.remaining == total * k else {
                throw peerError("\(peer) sent a threshold message of \(reader.remaining) bytes after its header; \(total) ciphertexts take \(total * k) (truncated or padded)")
            }
            if let bad = Self.firstOutOfRange(reader.bytes, from: reader.offset, count: total, width: k, modulus: pk.n) {
                throw peerError("\(peer) sent threshold encryption \(bad), which is outside 1..<n for its DGK key")
            }
            return Thresholds(bytes: reader.bytes, body: reader.offset, perPair: perPair, k: k)
        } catch let e as JobError {
            await abort(tag: abortTag, e)
            throw e
        } catch let e as JobFailureFromReader {
            let error = peerError("\(peer) sent a malformed threshold message: \(e.failure)")
            await abort(tag: abortTag, error)
            throw error
        }
    }

    /// Reads a list of exactly `count` ciphertexts, each validated.
    private func receiveList(tag: Tag, count: Int, pk: DGK.PublicKey, abortTag: Tag, what: String) async throws -> [DGK.Ciphertext] {
        let reader = try await receive(tag: tag, online: true, abortTag: abortTag)
        do {
            var dgkReader = ByteReader(Array(reader.bytes[reader.offset...]), what: what, errors: DGKError.self)
            let list = try DGK.Wire.readList(&dgkReader, publicKey: pk, expected: count)
            try dgkReader.finish()
            return list
        } catch let e as DGKError {
            let error = peerError("\(peer) sent a \(what) that is not valid: \(e.message)")
            await abort(tag: abortTag, error)
            throw error
        }
    }

    static func listMessage(_ list: [BigInt], k: Int) -> [UInt8] {
        var out = ByteWriter(capacity: 8 + list.count * k)
        out.u8(0)
        out.u16(UInt16(k))
        out.u32(UInt32(list.count))
        // Every element is below n, so its k-byte form exists.
        for c in list { out.raw((try? c.bigEndianBytes(width: k)) ?? []) }
        return out.bytes
    }

    /// `c_e^{b_e} · randomizer_e` for every element (constant-time in the secret b_e), and
    /// `· g^{offsets[j]}` on the last element of each group of `every`, split over the tasks.
    static func blind(_ raw: [BigInt], by blinds: [Int], randomizers: [BigInt], pk: DGK.PublicKey, tasks: Int,
                      offsets: [Int]?, every: Int) async -> [BigInt] {
        let exponentBits = BigInt(pk.u - 1).bitWidth
        return await parallel(Array(raw.indices), tasks: tasks) { chunk in
            let ctx = ModularContext(modulus: pk.n)
            return chunk.map { e in
                var power = ctx.makeResult()
                ctx.constantTimePower(raw[e], BigInt(blinds[e]), exponentBits: exponentBits, into: &power)
                ctx.multiply(&power, by: randomizers[e])
                if let offsets, e % every == every - 1 { ctx.multiply(&power, by: pk.constant(offsets[e / every]).value) }
                return power
            }
        }
    }

    struct PairSets: Sendable {
        var less: [BigInt] = []
        var equal: [BigInt] = []
        /// W = ⊞ w_j: an encryption of the number of differing digits.
        var differing = BigInt(1)
    }

    /// One pair's sets before blinding: with δ, the D + 1 less-than elements; with ε, the
    /// D + 1 equality elements; and W. `ct(o)` reads the x-holder's o-th ciphertext of this
    /// pair.
    static func sets(layout: DigitLayout, pk: DGK.PublicKey, ctx: ModularContext, y: UInt64, delta: Bool?, epsilon: Bool?,
                     ct: (Int) -> BigInt) -> PairSets {
        let one = BigInt(1)
        let g = pk.constant(1).value
        let minusOne = pk.constant(-1).value
        // T_i(v) for 0 ≤ v ≤ radix: E(0) and E(1) are the trivial 1 and g at the ends.
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
        var out = PairSets()
        var less = [BigInt](repeating: one, count: d + 1)
        var eqReal = [BigInt](repeating: one, count: d + 1)
        var w = one  // W_i: the sum of w_j over the digits above i
        for i in stride(from: d - 1, through: 0, by: -1) {
            let yi = Int(layout.digit(y, i))
            let le = T(i, yi + 1), ge = Tc(i, yi)
            if let delta {
                // The same multiplication whichever δ is.
                less[i] = ctx.multiply(delta ? le : ge, w)
            }
            if epsilon != nil {
                var eq = ctx.multiply(le, ge)
                ctx.multiply(&eq, by: minusOne)
                ctx.multiply(&eq, by: w)
                eqReal[i] = eq
            }
            let differs = ctx.multiply(Tc(i, yi + 1), T(i, yi))
            ctx.multiply(&w, by: differs)
        }
        out.differing = w
        if let delta {
            // Veugen's extra element: W ⊞ E(1 − δ), zero iff δ = 1 and x = y.
            less[d] = ctx.multiply(w, delta ? one : g)
            out.less = less
        }
        if let epsilon {
            eqReal[d] = g
            var eqSet = [BigInt](repeating: g, count: d + 1)
            if epsilon { eqSet = eqReal } else { eqSet[d] = w }
            out.equal = eqSet
        }
        return out
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
        self.init(digitBits: digitBits, radix: (0..<d).map { i in 1 << min(digitBits, bits - i * digitBits) })
    }

    /// One digit of any radix ≥ 2: values below it.
    init(radix: Int) {
        self.init(digitBits: 0, radix: [radix])
    }

    private init(digitBits: Int, radix: [Int]) {
        let d = radix.count
        digits = d
        self.digitBits = digitBits
        self.radix = radix
        var offsets: [Int] = []
        var total = 0
        for r in radix {
            offsets.append(total)
            total += r - 1
        }
        slotOffset = offsets
        slots = total
    }

    /// The largest plaintext any set element can hold: 1 + D.
    var maxPlaintext: Int { digits + 1 }

    /// The smallest prime above ``maxPlaintext`` (and at least 3).
    var plaintextModulus: Int {
        var u = max(3, maxPlaintext + 1)
        while !(2..<u).allSatisfy({ u % $0 != 0 }) { u += 1 }
        return u
    }

    func digit(_ value: UInt64, _ i: Int) -> UInt64 {
        if digitBits == 0 { return value }
        return (value >> UInt64(i * digitBits)) & UInt64(radix[i] - 1)
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
