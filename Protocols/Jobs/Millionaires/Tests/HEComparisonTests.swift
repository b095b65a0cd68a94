import Testing
import TacitTestSupport
import TacitCrypto
import TacitJob
import TacitMath
import TacitNet

@testable import TacitMillionaires

/// DGK keys for the tests, made once per process. 512-bit n and t = 40 are insecure and used
/// only so the suite runs in seconds (a 2048-bit key with t = 160 is generated in
/// `standardKey`): the protocol's logic does not depend on the key size.
enum HETestKeys {
    static let policy = DGK.KeySizePolicy.insecureAnySizeForTesting
    /// u = 19: enough for up to 17 digits (64 bits in 4-bit digits needs u > 17).
    static let u19 = try! DGK.PrivateKey.generate(bits: 512, u: 19, t: 40, policy: policy)
    /// u = 67: enough for 64 one-bit digits (u > 65).
    static let u67 = try! DGK.PrivateKey.generate(bits: 512, u: 67, t: 40, policy: policy)
}

/// A channel that rewrites what its party sends under one tag (the n-th such message), to
/// play a peer that sends malformed, out-of-range or truncated messages.
struct HETamperingChannel: PartyChannel {
    let inner: InMemoryChannel
    let tag: TacitNet.Tag
    let tamper: @Sendable ([UInt8]) -> [UInt8]
    var localParty: PartyID { inner.localParty }
    var parties: [PartyID] { inner.parties }
    var defaultTimeout: Duration { inner.defaultTimeout }

    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: TacitNet.Tag) async throws {
        let out = tag == self.tag ? Payload(tamper(payload.bytes)) : payload
        try await inner.send(out, to: peer, session: session, tag: tag)
    }

    func receive(from peer: PartyID, session: SessionID, tag: TacitNet.Tag, timeout: Duration?) async throws -> Payload {
        try await inner.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }

    func endSession(_ session: SessionID) { inner.endSession(session) }
}

typealias Tamper = (tag: TacitNet.Tag, rewrite: @Sendable ([UInt8]) -> [UInt8])

/// One two-party run's parameters; each party makes its own path inside its own task.
struct HESetup: Sendable {
    var bits: Int
    var digitBits = 4
    var key: DGK.PrivateKey? = HETestKeys.u19
    /// The party holding x.
    var xParty: PartyID = "alice"
    /// Rewrites what the x- or y-holder sends under a tag.
    var tamperX: Tamper? = nil
    var tamperY: Tamper? = nil
    var policy = HETestKeys.policy
    var keyBits = 512
    var t = 40
    var maxBatchPairs = 1024
}

/// Runs `script` for both parties concurrently over an InMemoryMesh (each with its own path,
/// made in its own task, as two nodes would); the x-holder's result first.
func runHE<R: Sendable>(_ setup: HESetup, _ script: @escaping @Sendable (HEComparison) async throws -> R) async throws -> (x: R, y: R) {
    let mesh = InMemoryMesh(parties: ["alice", "bob"], defaultTimeout: .seconds(60))
    let yParty: PartyID = setup.xParty == "alice" ? "bob" : "alice"
    let parties: [(PartyID, ComparisonRole, Tamper?)] = [(setup.xParty, .holdsX, setup.tamperX), (yParty, .holdsY, setup.tamperY)]
    return try await withThrowingTaskGroup(of: (ComparisonRole, R).self) { group in
        for (party, role, tamper) in parties {
            group.addTask {
                let inner = mesh.channel(for: party)
                let channel = tamper.map { HETamperingChannel(inner: inner, tag: $0.tag, tamper: $0.rewrite).session(SessionID(7)) }
                    ?? inner.session(SessionID(7))
                let path = try HEComparison(channel: channel, role: role, bits: setup.bits, digitBits: setup.digitBits,
                                            keyBits: setup.keyBits, t: setup.t, key: role == .holdsX ? setup.key : nil,
                                            policy: setup.policy, maxBatchPairs: setup.maxBatchPairs)
                return (role, try await script(path))
            }
        }
        var x: R?, y: R?
        for try await (role, r) in group { if role == .holdsX { x = r } else { y = r } }
        return (try #require(x), try #require(y))
    }
}

typealias Reconstructed = (lessThan: [Bool], equal: [Bool], x: ComparisonStats, y: ComparisonStats)

/// One batch (after preparing `prepare`): the reconstructed bits and both parties' stats.
func compareBoth(_ setup: HESetup, _ xs: [UInt64], _ ys: [UInt64], prepare: Int = 0) async throws -> Reconstructed {
    let (a, b) = try await runHE(setup) { p in
        if prepare > 0 { try await p.prepare(count: prepare) }
        return (try await p.compare(p.role == .holdsX ? xs : ys), p.stats)
    }
    #expect(a.0.lessThan.count == xs.count && b.0.lessThan.count == xs.count)
    return (zip(a.0.lessThan, b.0.lessThan).map { $0 != $1 }, zip(a.0.equal, b.0.equal).map { $0 != $1 }, a.1, b.1)
}

func xor(_ a: ComparisonShares, _ b: ComparisonShares) -> (lessThan: [Bool], equal: [Bool]) {
    (zip(a.lessThan, b.lessThan).map { $0 != $1 }, zip(a.equal, b.equal).map { $0 != $1 })
}

func expectMatchesPlaintext(_ got: (lessThan: [Bool], equal: [Bool]), _ xs: [UInt64], _ ys: [UInt64],
                            sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.lessThan.count == xs.count && got.equal.count == xs.count, sourceLocation: sourceLocation)
    for i in xs.indices where i < got.lessThan.count && i < got.equal.count {
        #expect(got.lessThan[i] == (xs[i] < ys[i]), "x = \(xs[i]), y = \(ys[i]): <", sourceLocation: sourceLocation)
        #expect(got.equal[i] == (xs[i] == ys[i]), "x = \(xs[i]), y = \(ys[i]): =", sourceLocation: sourceLocation)
    }
}

@Suite("HE comparison (DGK): results against plaintext comparison")
struct HEComparisonTests {
    static let edges: [(UInt64, UInt64)] = {
        let m = UInt64.max, h = UInt64(1) << 63
        let base: [(UInt64, UInt64)] = [
            (0, 0), (0, 1), (1, 1), (0, m), (m, m), (m - 1, m), (h, h - 1), (h, h), (h - 1, h + 1),
            (0x0123_4567_89AB_CDEF, 0x0123_4567_89AB_CDEE), (0x0123_4567_89AB_CDEF, 0x0123_4567_89AB_CDEF),
            (0xF000_0000_0000_0000, 0x0FFF_FFFF_FFFF_FFFF), (15, 16), (16, 15), (255, 256), (m >> 1, m),
        ]
        return base + base.map { ($0.1, $0.0) }
    }()

    @Test("bits = 4: all 256 pairs in one prepared batch, in 4-, 3- (uneven top digit) and 1-bit digits",
          arguments: [4, 3, 1])
    func exhaustiveFourBits(digitBits: Int) async throws {
        let xs = (0..<256).map { UInt64($0 >> 4) }, ys = (0..<256).map { UInt64($0 & 15) }
        let got = try await compareBoth(HESetup(bits: 4, digitBits: digitBits), xs, ys, prepare: 256)
        expectMatchesPlaintext((got.lessThan, got.equal), xs, ys)
        #expect(got.x.comparisons == 256 && got.y.comparisons == 256)
        // One batch is one set of rounds: three messages from the x-holder, two from the y-holder.
        #expect(got.x.onlineRounds == 3 && got.y.onlineRounds == 2)
    }

    @Test("64-bit edges (0, 2^64−1, equal, off by one, shared prefixes), both orders, in 4- and 1-bit digits",
          arguments: [4, 1])
    func edges(digitBits: Int) async throws {
        let xs = Self.edges.map(\.0), ys = Self.edges.map(\.1)
        let setup = HESetup(bits: 64, digitBits: digitBits, key: digitBits == 1 ? HETestKeys.u67 : HETestKeys.u19)
        let got = try await compareBoth(setup, xs, ys)
        expectMatchesPlaintext((got.lessThan, got.equal), xs, ys)
    }

    @Test("200 random 64-bit pairs, and 60 that share a random-length prefix, with either party holding x",
          arguments: ["alice", "bob"] as [PartyID])
    func random(xParty: PartyID) async throws {
        var rng = SeededGenerator(seed: xParty == "alice" ? 1 : 2)
        var xs: [UInt64] = [], ys: [UInt64] = []
        for _ in 0..<200 { xs.append(rng.next()); ys.append(rng.next()) }
        for i in 0..<60 {
            let x = rng.next(), low = UInt64(i % 64)
            xs.append(x)
            ys.append(x ^ (rng.next() & ((UInt64(1) << low) &- 1)))
        }
        let got = try await compareBoth(HESetup(bits: 64, xParty: xParty), xs, ys)
        expectMatchesPlaintext((got.lessThan, got.equal), xs, ys)
    }

    struct TopUpReport: Sendable {
        var results: [ComparisonShares] = []
        var preparedAfterPrepare = 0
        var preparedAtEnd = 0
        var offlineAfterPrepare = 0.0
        var offlineSentAfterPrepare = 0
        var key: DGK.PublicKey?
        var stats = ComparisonStats()
    }

    @Test("one key for many batches; compare past what was prepared tops up (counted offline) and stays correct")
    func topUp() async throws {
        let batches: [([UInt64], [UInt64])] = [([5, 9], [9, 5]), ([7, 7, 0xFFFF], [7, 8, 0xFFFE]), ([1], [1])]
        let (a, b) = try await runHE(HESetup(bits: 16)) { p in
            var r = TopUpReport()
            try await p.prepare(count: 2)
            r.preparedAfterPrepare = p.prepared
            r.offlineAfterPrepare = p.stats.offlineSeconds
            r.offlineSentAfterPrepare = p.stats.offlineBytesSent
            r.key = p.dgkPublicKey
            for (xs, ys) in batches { r.results.append(try await p.compare(p.role == .holdsX ? xs : ys)) }
            r.preparedAtEnd = p.prepared
            r.stats = p.stats
            #expect(p.dgkPublicKey == r.key)
            return r
        }
        for (i, (xs, ys)) in batches.enumerated() { expectMatchesPlaintext(xor(a.results[i], b.results[i]), xs, ys) }
        #expect(a.preparedAfterPrepare == 2 && b.preparedAfterPrepare == 2)
        #expect(a.preparedAtEnd == 0 && b.preparedAtEnd == 0)
        #expect(a.key == HETestKeys.u19.publicKey && b.key == a.key)
        #expect(a.stats.offlineSeconds > a.offlineAfterPrepare && b.stats.offlineSeconds > b.offlineAfterPrepare)
        // The key went once, in the first prepare.
        #expect(a.stats.offlineBytesSent == a.offlineSentAfterPrepare && a.stats.offlineBytesSent > 3 * 64)
        #expect(a.stats.comparisons == 6 && b.stats.comparisons == 6)
        #expect(a.stats.onlineRounds == 9 && b.stats.onlineRounds == 6)
        // Bytes: the x-holder's two threshold messages (11-byte headers; 2·15 ciphertexts per
        // digit, then 2·(u − 1) for the masked difference) and a 1-byte acknowledgement; the
        // y-holder's reply (D + 1 elements and the masked difference) and equality set (2), with
        // 7-byte headers; 64-byte ciphertexts under the 512-bit key.
        let k = 64, u = 19
        let layout = DigitLayout(bits: 16, digitBits: 4)
        #expect(layout.slots == 4 * 15)
        let xSent: Int = 3 * (11 + 11 + 1) + 6 * (2 * layout.slots + 2 * (u - 1)) * k
        let ySent: Int = 3 * (7 + 7) + 6 * (layout.digits + 2 + 2) * k
        #expect(a.stats.onlineBytesSent == xSent)
        #expect(b.stats.onlineBytesSent == ySent)
        #expect(a.stats.onlineBytesReceived == ySent && b.stats.onlineBytesReceived == xSent)
    }

    @Test("a batch larger than maxBatchPairs runs as several sets of rounds, in order")
    func chunked() async throws {
        var rng = SeededGenerator(seed: 3)
        let xs = (0..<20).map { _ in rng.next() & 0xFF }, ys = (0..<20).map { i in i % 3 == 0 ? xs[i] : rng.next() & 0xFF }
        var setup = HESetup(bits: 8)
        setup.maxBatchPairs = 7
        let got = try await compareBoth(setup, xs, ys)
        expectMatchesPlaintext((got.lessThan, got.equal), xs, ys)
        #expect(got.x.onlineRounds == 3 * 3 && got.y.onlineRounds == 3 * 2)
        #expect(got.x.comparisons == 20)
    }

    @Test("without a key given, the x-holder makes one in prepare: 2048 bits, t = 160, standard policy")
    func standardKey() async throws {
        let xs: [UInt64] = [0, .max, 12345, 1 << 40, 99], ys: [UInt64] = [0, .max - 1, 12346, 1 << 40, 7]
        let setup = HESetup(bits: 64, key: nil, policy: .standard, keyBits: 2048, t: 160)
        let (a, b) = try await runHE(setup) { p in
            (try await p.compare(p.role == .holdsX ? xs : ys), p.dgkPublicKey)
        }
        expectMatchesPlaintext(xor(a.0, b.0), xs, ys)
        let pk = try #require(b.1)
        #expect(pk.bits == 2048 && pk.t == 160 && pk.u == 19 && a.1 == pk)
    }

    @Test("a value wider than bits is refused before anything is sent")
    func tooWide() async throws {
        let mesh = InMemoryMesh(parties: ["alice", "bob"])
        let x = try HEComparison(channel: mesh.channel(for: "alice").session(SessionID(1)), role: .holdsX, bits: 8,
                                 key: HETestKeys.u19, policy: HETestKeys.policy)
        let y = try HEComparison(channel: mesh.channel(for: "bob").session(SessionID(1)), role: .holdsY, bits: 8, policy: HETestKeys.policy)
        await #expect(throws: JobError(.invalidInput, "")) { _ = try await x.compare([256]) }
        await #expect(throws: JobError(.invalidInput, "")) { _ = try await y.compare([3, 1 << 9]) }
        #expect(x.stats.onlineBytesSent == 0 && x.stats.offlineBytesSent == 0)
        #expect(y.stats.onlineBytesSent == 0 && y.stats.offlineBytesSent == 0)
    }

    @Test("parameters out of range and a key too small for the digits are refused")
    func parameters() throws {
        let mesh = InMemoryMesh(parties: ["alice", "bob"])
        let channel = mesh.channel(for: "alice").session(SessionID(1))
        for (bits, digits) in [(0, 4), (65, 4), (64, 0), (64, 9)] {
            #expect(throws: JobError(.invalidSpec, "")) { _ = try HEComparison(channel: channel, role: .holdsX, bits: bits, digitBits: digits) }
        }
        // 64 one-bit digits need u > 65.
        #expect(throws: JobError(.invalidSpec, "")) { _ = try HEComparison(channel: channel, role: .holdsX, bits: 64, digitBits: 1, key: HETestKeys.u19) }
        #expect(DigitLayout(bits: 64, digitBits: 4).plaintextModulus == 19)
        #expect(DigitLayout(bits: 64, digitBits: 1).plaintextModulus == 67)
        #expect(DigitLayout(bits: 4, digitBits: 4).plaintextModulus == 3)
        let three = InMemoryMesh(parties: ["a", "b", "c"])
        #expect(throws: JobError(.invalidSpec, "")) { _ = try HEComparison(channel: three.channel(for: "a").session(SessionID(1)), role: .holdsX) }
    }
}

@Suite("HE comparison (DGK): a misbehaving peer fails the run on both sides")
struct HEComparisonMisbehaviourTests {
    /// Runs one batch with the x- or y-holder's messages under a tag rewritten; both sides
    /// must fail with `.protocolFailure`: the receiver naming the sender, the sender told by
    /// the receiver (and naming it), and the path stays failed.
    func expectBothFail(tamperX: Tamper? = nil, tamperY: Tamper? = nil, mentioning: String,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let setup = HESetup(bits: 16, tamperX: tamperX, tamperY: tamperY)
        let (ra, rb) = try await runHE(setup) { p in
            let first = await outcome { try await p.compare(p.role == .holdsX ? [3, 4] : [4, 4]) }
            let again = await outcome { try await p.compare([1]) }
            return (first.error.map { $0 as? JobError }, again.error.map { $0 as? JobError })
        }
        let sender = "alice", receiver = "bob"
        let (senderResult, receiverResult) = tamperX != nil ? (ra, rb) : (rb, ra)
        let senderName = tamperX != nil ? sender : receiver, receiverName = tamperX != nil ? receiver : sender
        let receiverError = try #require(receiverResult.0 ?? nil, sourceLocation: sourceLocation)
        #expect(receiverError.code == .protocolFailure, sourceLocation: sourceLocation)
        #expect(receiverError.peer == senderName, sourceLocation: sourceLocation)
        #expect(receiverError.message.contains(mentioning), "\(receiverError.message)", sourceLocation: sourceLocation)
        let senderError = try #require(senderResult.0 ?? nil, sourceLocation: sourceLocation)
        #expect(senderError.code == .protocolFailure, sourceLocation: sourceLocation)
        #expect(senderError.peer == receiverName, sourceLocation: sourceLocation)
        #expect(senderError.message.contains("stopped the comparison"), "\(senderError.message)", sourceLocation: sourceLocation)
        #expect((senderResult.1 ?? nil)?.code == .protocolFailure && (receiverResult.1 ?? nil)?.code == .protocolFailure,
                sourceLocation: sourceLocation)
    }

    @Test("a peer that never answers: the x-holder fails by timeout, naming it, and stays failed")
    func silentPeer() async throws {
        let mesh = InMemoryMesh(parties: ["alice", "bob"], defaultTimeout: .milliseconds(300))
        let x = try HEComparison(channel: mesh.channel(for: "alice").session(SessionID(1)), role: .holdsX, bits: 8,
                                 key: HETestKeys.u19, policy: HETestKeys.policy)
        let error = try #require(await outcome { try await x.compare([1, 2]) }.error as? JobError)
        #expect(error.code == .protocolFailure)
        #expect(error.peer == "bob")
        #expect(error.message.contains("no message from bob"))
        await #expect(throws: JobError(.protocolFailure, "")) { try await x.prepare(count: 1) }
    }

    /// Where the DGK public key starts in the key message: status, bits, digitBits.
    static let keyStart = 3
    static let k = 64

    @Test("a bad public key: g = 0, u not prime, truncated, trailing bytes, u too small, another width")
    func badPublicKey() async throws {
        let k = Self.k, s = Self.keyStart
        try await expectBothFail(tamperX: (100, { b in var b = b; for i in 0..<k { b[s + 7 + k + 4 + i] = 0 }; return b }), mentioning: "not valid")
        try await expectBothFail(tamperX: (100, { b in var b = b; b[s + 7 + k + 1] = 20; return b }), mentioning: "not valid")
        try await expectBothFail(tamperX: (100, { b in Array(b.dropLast(5)) }), mentioning: "not valid")
        try await expectBothFail(tamperX: (100, { b in b + [0] }), mentioning: "not valid")
        try await expectBothFail(tamperX: (100, { b in var b = b; b[s + 7 + k + 1] = 3; return b }), mentioning: "too small")
        try await expectBothFail(tamperX: (100, { b in var b = b; b[1] = 32; return b }), mentioning: "32-bit")
    }

    @Test("the x-holder's digit message: a ciphertext ≥ n, zero, a wrong pair count, a wrong total, truncated, padded, empty")
    func badDigitMessage() async throws {
        let header = 11, k = Self.k
        try await expectBothFail(tamperX: (101, { b in var b = b; for i in 0..<k { b[header + 3 * k + i] = 0xff }; return b }), mentioning: "outside 1..<n")
        try await expectBothFail(tamperX: (101, { b in var b = b; for i in 0..<k { b[header + i] = 0 }; return b }), mentioning: "outside 1..<n")
        try await expectBothFail(tamperX: (101, { b in var b = b; b[4] = 3; return b }), mentioning: "for 3 pairs")
        try await expectBothFail(tamperX: (101, { b in var b = b; b[10] &+= 1; return b }), mentioning: "threshold encryptions for 2 pairs")
        try await expectBothFail(tamperX: (101, { b in Array(b.dropLast(10)) }), mentioning: "truncated")
        try await expectBothFail(tamperX: (101, { b in Array(b.prefix(3)) }), mentioning: "malformed")
        try await expectBothFail(tamperX: (101, { b in b + [1, 2] }), mentioning: "padded")
        try await expectBothFail(tamperX: (101, { _ in [] }), mentioning: "empty")
        try await expectBothFail(tamperX: (101, { b in var b = b; b[0] = 7; return b }), mentioning: "unknown status")
    }

    @Test("the y-holder's reply and equality set: a ciphertext ≥ n, a wrong count, truncated, undecryptable")
    func badReply() async throws {
        let header = 7, k = Self.k
        try await expectBothFail(tamperY: (102, { b in var b = b; for i in 0..<k { b[header + 5 * k + i] = 0xff }; return b }), mentioning: "outside 1..<n")
        try await expectBothFail(tamperY: (102, { b in var b = b; b[6] &-= 1; return b }), mentioning: "expected")
        try await expectBothFail(tamperY: (102, { b in Array(b.dropLast(1)) }), mentioning: "not valid")
        try await expectBothFail(tamperY: (102, { b in Array(b.prefix(1)) }), mentioning: "not valid")
        // The masked difference (the 6th element of the first pair, D = 4) replaced by 2, a
        // valid element that no encryption under the key equals.
        try await expectBothFail(tamperY: (102, { b in var b = b; for i in 0..<k { b[header + 5 * k + i] = i == k - 1 ? 2 : 0 }; return b }),
                                 mentioning: "does not decrypt")
        try await expectBothFail(tamperY: (106, { b in var b = b; for i in 0..<k { b[header + i] = 0xff }; return b }), mentioning: "outside 1..<n")
        try await expectBothFail(tamperY: (106, { b in Array(b.dropLast(k)) }), mentioning: "not valid")
    }

    @Test("the x-holder's masked-difference message: a ciphertext ≥ n, truncated, a wrong count")
    func badMaskedDifference() async throws {
        let header = 11, k = Self.k
        try await expectBothFail(tamperX: (105, { b in var b = b; for i in 0..<k { b[header + i] = 0xff }; return b }), mentioning: "outside 1..<n")
        try await expectBothFail(tamperX: (105, { b in Array(b.dropLast(3)) }), mentioning: "truncated")
        try await expectBothFail(tamperX: (105, { b in var b = b; b[4] = 1; return b }), mentioning: "for 1 pairs")
    }
}

func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
