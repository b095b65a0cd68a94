import Testing
import TacitBytes
import TacitJob
import TacitMath
import TacitMPC
import TacitNet
import TacitTestSupport

@testable import TacitPSI


/// Rewrites a PairLink data message of `step` with `edit` (header and body as bytes).
private func onStep(_ step: UInt8, _ edit: @escaping @Sendable ([UInt8]) -> [UInt8]) -> @Sendable (Payload) -> Payload? {
    { p in
        let b = p.bytes
        guard b.count >= 16, b[0] == 0x01, b[1] == step else { return nil }
        return Payload(edit(b))
    }
}

@Suite("OT PSI (KKRT16 batched OPRF)")
struct OTPSITests {
    static let receiver = PartyID("bank-a"), sender = PartyID("bank-b")
    static let tag = TacitNet.Tag(200)

    struct Outcome: Sendable {
        var receiver: Result<PSIOutcome, any Error>
        var sender: Result<PSIOutcome, any Error>
    }

    static func run(
        _ r: [[UInt8]], _ s: [[UInt8]], receiverMode: PSIOutputMode = .intersection,
        roles: (PSIRole, PSIRole) = (.receiver, .sender), tuning: OTPSI.Tuning = .init(),
        tamperParty: PartyID? = nil, tamper: @escaping @Sendable (Payload) -> Payload? = { _ in nil }
    ) async -> Outcome {
        let mesh = InMemoryMesh(parties: [receiver, sender], defaultTimeout: .seconds(60))
        let session = SessionID.random()
        let jobID = Array("job-ot-psi-test".utf8)
        func side(_ p: PartyID, _ elements: [[UInt8]], _ role: PSIRole, _ mode: PSIOutputMode) async -> Result<PSIOutcome, any Error> {
            let base: any PartyChannel = mesh.channel(for: p)
            let channel: any PartyChannel = p == tamperParty ? TamperingChannel(base: base, tamper: tamper) : base
            do {
                let link = try PairLink(channel: channel.session(session), tag: tag)
                return .success(try await OTPSI.runTimed(
                    PSISet(elements), role: role, mode: mode, link: link, session: jobID, tuning: tuning).outcome)
            } catch {
                return .failure(error)
            }
        }
        async let a = side(receiver, r, roles.0, receiverMode)
        async let b = side(sender, s, roles.1, .intersection)
        return await Outcome(receiver: a, sender: b)
    }

    /// The plaintext answer: indices of the receiver's distinct elements that the sender holds.
    static func expected(_ r: [[UInt8]], _ s: [[UInt8]]) -> [Int] {
        let theirs = Set(s), mine = PSISet(r).elements
        return mine.indices.filter { theirs.contains(mine[$0]) }
    }

    static func check(_ r: [[UInt8]], _ s: [[UInt8]], tuning: OTPSI.Tuning = .init()) async throws {
        let o = await run(r, s, tuning: tuning)
        let got = try o.receiver.get(), theirs = try o.sender.get()
        let want = expected(r, s)
        #expect(got.matches == want, "matches \(got.matches?.count ?? -1), expected \(want.count)")
        #expect(got.size == want.count)
        #expect(got.peerSetSize == PSISet(s).count)
        #expect(theirs.matches == nil && theirs.size == nil)
        #expect(theirs.peerSetSize == PSISet(r).count)
        #expect(got.stats.bytesSent == theirs.stats.bytesReceived && got.stats.bytesReceived == theirs.stats.bytesSent)
    }

    static func strings(_ prefix: String, _ range: Range<Int>) -> [[UInt8]] { range.map { Array("\(prefix)\($0)".utf8) } }

    // MARK: against the plaintext intersection

    @Test("empty sets, on both sides or one, give an empty intersection and the sizes")
    func emptySets() async throws {
        try await Self.check([], [])
        try await Self.check([], Self.strings("id-", 0..<20))
        try await Self.check(Self.strings("id-", 0..<20), [])
    }

    @Test("disjoint sets give nothing; identical sets give everything")
    func disjointAndIdentical() async throws {
        try await Self.check(Self.strings("a-", 0..<300), Self.strings("b-", 0..<300))
        try await Self.check(Self.strings("x-", 0..<300), Self.strings("x-", 0..<300).reversed())
    }

    @Test("one side much larger: 10 against 5000 and 5000 against 10")
    func unbalancedSizes() async throws {
        let big = Self.strings("c-", 0..<5000)
        let small = Self.strings("c-", 4995..<5005)
        try await Self.check(small, big)
        try await Self.check(big, small)
    }

    @Test("non-ASCII, empty and binary elements, and duplicates in the input")
    func unusualElements() async throws {
        let r: [[UInt8]] = ["Zoë Müller", "Łukasz Żółć", "王小明", "محمد", "🙂", "", "plain", "Zoë Müller"].map { Array($0.utf8) }
            + [[0], [0, 0], [0xFF, 0x00, 0x80]]
        let s: [[UInt8]] = ["王小明", "Zoe Muller", "🙂", "", "محمد "].map { Array($0.utf8) } + [[0, 0], [0xFF]]
        try await Self.check(r, s)
        #expect(Self.expected(r, s) == [2, 4, 5, 8])
    }

    @Test("random sets of 2^12 with a known overlap, over several u batches and value messages")
    func randomOverlap() async throws {
        var g = SeededGenerator(seed: 14)
        func random() -> [UInt8] { (0..<12).map { _ in UInt8(truncatingIfNeeded: g.next()) } }
        let shared = (0..<1000).map { _ in random() }
        let r = shared + (0..<3096).map { _ in random() }
        let s = (0..<3096).map { _ in random() } + shared
        #expect(Self.expected(r, s) == Array(0..<1000))
        // 5203 bins in batches of 1500 (the last partial, chunks of 4096 and an odd word count
        // within them), values in 5000-byte messages.
        try await Self.check(r, s, tuning: .init(batchBins: 1500, valueMessageBytes: 5000))
        try await Self.check(r.shuffled(using: &g), s)
    }

    @Test("progress: both sides report fractions in 0...1, in order, ending with (done, 1)")
    func progressReports() async throws {
        let mesh = InMemoryMesh(parties: [Self.receiver, Self.sender], defaultTimeout: .seconds(60))
        let session = SessionID.random()
        let seen = Locked<[PartyID: [(String, Double)]]>([:])
        func side(_ p: PartyID, _ role: PSIRole) async throws -> PSIOutcome {
            let link = try PairLink(channel: mesh.channel(for: p).session(session), tag: Self.tag)
            return try await OTPSI.run(
                PSISet(Self.strings("p", 0..<3000)), role: role, mode: .intersection, link: link, session: [7],
                progress: { step, fraction in seen.withLock { $0[p, default: []].append((step, fraction)) } })
        }
        async let a = side(Self.receiver, .receiver)
        async let b = side(Self.sender, .sender)
        let (ra, _) = try await (a, b)
        #expect(ra.matches == Array(0..<3000))
        for p in [Self.receiver, Self.sender] {
            let steps = seen.withLock { $0[p] ?? [] }
            #expect(steps.count >= 3, "\(p): \(steps)")
            #expect(steps.last?.0 == "done" && steps.last?.1 == 1)
            #expect(zip(steps, steps.dropFirst()).allSatisfy { $0.1 <= $1.1 } && steps.allSatisfy { (0...1).contains($0.1) })
        }
    }

    @Test("value width ℓ = 45 + ⌈log2 n_r⌉ + ⌈log2 n_s⌉ bits")
    func valueWidth() {
        #expect(OTPSI.valueBits(receiver: 1, sender: 1) == 45)
        #expect(OTPSI.valueBits(receiver: 1 << 20, sender: 1 << 20) == 85)
        #expect(OTPSI.valueBits(receiver: (1 << 20) + 1, sender: 1000) == 45 + 21 + 10)
        #expect(OTPSI.valueBits(receiver: OTPSI.maxSetSize, sender: OTPSI.maxSetSize) == 99)
        #expect(OTPSI.mask(45) == ((1 << 45) - 1, 0))
        #expect(OTPSI.mask(85) == (~0, (1 << 21) - 1))
    }

    @Test("identifiers: SHA-256(tag ‖ session ‖ element), first 16 bytes as little-endian words (Python hashlib vectors)")
    func identifierVectors() {
        // python3: d = sha256(u32be(20) + b"tacit.psi.kkrt.id.v1" + u32be(3) + bytes([1, 2, 3]) + e).digest()
        let ids = OTPSI.identifiers([Array("abc".utf8), Array("Zoë".utf8)], session: [1, 2, 3])
        #expect(ids == [0x4f1d_8dda_bb8d_d487, 0x4f8d_194c_e1d8_67e9, 0x76d7_1bd2_e825_2bc7, 0xb03c_305e_6f96_7227])
        // Both threads' halves agree with one-at-a-time hashing.
        let many = (0..<5000).map { Array("e\($0)".utf8) }
        let all = OTPSI.identifiers(many, session: [9])
        #expect(all.count == 10_000)
        for i in [0, 2499, 2500, 4999] {
            #expect(Array(all[(2 * i)..<(2 * i + 2)]) == OTPSI.identifiers([many[i]], session: [9]))
        }
        #expect(OTPSI.identifiers([[1]], session: [1]) != OTPSI.identifiers([[1]], session: [2]))
    }

    @Test("SHA256Bytes.Context matches FIPS 180-2's \"abc\" vector and the one-shot hash")
    func shaContext() {
        let c = SHA256Bytes.Context()
        var out = [UInt8](repeating: 0, count: 32)
        let abc = Array("abc".utf8), empty: [UInt8] = []
        abc.withUnsafeBytes { a in empty.withUnsafeBytes { e in out.withUnsafeMutableBytes { c.hash(a, e, into: $0) } } }
        #expect(Hex.encode(out) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let x = Array("ab".utf8), y = Array("c".utf8)
        x.withUnsafeBytes { a in y.withUnsafeBytes { e in out.withUnsafeMutableBytes { c.hash(a, e, into: $0) } } }
        #expect(out == SHA256Bytes.hash(abc))
    }

    @Test("the receiver's value table finds every bin holding a value, two bins sharing one, over a probe chain")
    func valueTable() {
        // Bin 1 is empty (its value must not be found); bins 0 and 3 share a value; the low
        // words 5 and 21 start at the same slot of the 16.
        let t = Cuckoo.Table(item: [0, -1, 1, 2, 3], function: [0, 0, 1, 2, 0])
        let outputs: [UInt64] = [5, 1, 7, 7, 9, 2, 5, 1, 21, 0xC0]
        let v = ValueTable(outputs: outputs, table: t, bits: 70)
        func find(_ l: UInt64, _ h: UInt64) -> [Int] {
            var r: [Int] = []
            v.forEach(l, h) { r.append($0) }
            return r.sorted()
        }
        #expect(find(5, 1) == [0, 3])
        #expect(find(7, 7) == [])
        #expect(find(9, 2) == [2])
        #expect(find(9, 3) == [])
        // 0xC0 masked to the 6 high bits of a 70-bit value.
        #expect(find(21, 0) == [4] && find(21, 0xC0) == [])
    }

    // MARK: the OPRF core

    @Test("the OPRF: the sender's F(k_b, x) equals the receiver's output exactly for its own bin and input")
    func oprfCore() async throws {
        let mesh = InMemoryMesh(parties: [Self.receiver, Self.sender], defaultTimeout: .seconds(60))
        let session = SessionID.random(), sid = Array("oprf-test".utf8)
        let m = 700
        var g = SeededGenerator(seed: 7)
        let inputs = (0..<(2 * m)).map { _ in g.next() }
        async let receiverSide: [UInt64] = {
            let link = try PairLink(channel: mesh.channel(for: Self.receiver).session(session), tag: Self.tag)
            let r = try await KKRTReceiver(link: link, session: sid)
            return try await r.evaluate(inputs: inputs, batchBins: 300)
        }()
        // Per bin b: F(k_b, x_b), F(k_b, x_b ⊕ 1), and F(k_b, x_{b+1}).
        async let senderSide: [UInt64] = {
            let link = try PairLink(channel: mesh.channel(for: Self.sender).session(session), tag: Self.tag)
            let s = try await KKRTSender(link: link, session: sid)
            var out = [UInt64](repeating: 0, count: 6 * m)
            try await s.receive(bins: m, batchBins: 300) { first, count, q in
                var bins: [UInt32] = [], points: [UInt64] = []
                for b in first..<(first + count) {
                    let next = (b + 1) % m
                    bins += [UInt32(b), UInt32(b), UInt32(b)]
                    points += [inputs[2 * b], inputs[2 * b + 1], inputs[2 * b] ^ 1, inputs[2 * b + 1],
                               inputs[2 * next], inputs[2 * next + 1]]
                }
                var k = 0
                while k < bins.count {
                    let c = min(KKRT.Coder.block, bins.count - k)
                    bins.withUnsafeBufferPointer { bp in
                        points.withUnsafeBufferPointer { pp in
                            out.withUnsafeMutableBufferPointer { op in
                                s.encode(coder: s.coders[0], count: c, bins: bp.baseAddress! + k, inputs: pp.baseAddress! + 2 * k,
                                         q: q, first: first, into: op.baseAddress! + 6 * first + 2 * k)
                            }
                        }
                    }
                    k += c
                }
            }
            return out
        }()
        let r = try await receiverSide, s = try await senderSide
        var same = 0, otherInput = 0, otherBin = 0
        for b in 0..<m {
            let mine = (r[2 * b], r[2 * b + 1])
            if (s[6 * b], s[6 * b + 1]) == mine { same += 1 }
            if (s[6 * b + 2], s[6 * b + 3]) == mine { otherInput += 1 }
            let next = (b + 1) % m
            if (s[6 * b + 4], s[6 * b + 5]) == (r[2 * next], r[2 * next + 1]) { otherBin += 1 }
        }
        #expect(same == m, "\(m - same) bins where the two sides' F(k_b, x_b) differ")
        #expect(otherInput == 0 && otherBin == 0)
        #expect(Set((0..<m).map { r[2 * $0] }).count == m, "receiver outputs repeat")
    }

    @Test("the pseudorandom code: four AES keys from the session; different sessions, different codes")
    func codeKeys() {
        let a = KKRT.codeKeys(session: [1, 2, 3]), b = KKRT.codeKeys(session: [1, 2, 4])
        #expect(a.count == 4 && Set(a).count == 4 && a.allSatisfy { $0.count == 16 })
        #expect(Set(a).isDisjoint(with: Set(b)))
    }

    // MARK: refusals and hostile peers

    @Test("size-only mode is refused at once, pointing to the ECDH path, and the peer fails too")
    func sizeModeRefused() async throws {
        let o = await Self.run(Self.strings("a", 0..<5), Self.strings("a", 0..<5), receiverMode: .size)
        let e = try #require(o.receiver.failure as? JobError)
        #expect(e.code == .invalidSpec && e.message.contains("ECDH"))
        let f = try #require(o.sender.failure as? JobError)
        #expect(f.code == .protocolFailure && f.peer == "bank-a" && f.message.contains("ECDH"))
    }

    @Test("two receivers (or two senders) fail both with the role mismatch")
    func roleMismatch() async throws {
        let o = await Self.run(Self.strings("a", 0..<5), Self.strings("a", 0..<5), roles: (.receiver, .receiver))
        for (result, peer) in [(o.receiver, "bank-b"), (o.sender, "bank-a")] {
            let e = try #require(result.failure as? JobError)
            #expect(e.code == .protocolFailure && e.peer == peer && e.message.contains("also plays the receiver role"))
        }
    }

    /// Both sides fail with `protocolFailure`: the honest one naming the hostile peer with
    /// `message`, the hostile one told of the honest one's abort.
    static func expectBothFail(_ o: Outcome, hostile: PartyID, _ message: String) throws {
        let honest = hostile == receiver ? o.sender : o.receiver, bad = hostile == receiver ? o.receiver : o.sender
        let e = try #require(honest.failure as? JobError, "the honest side did not fail")
        #expect(e.code == .protocolFailure && e.peer == hostile.name && e.message.contains(message), "\(e)")
        let f = try #require(bad.failure as? JobError, "the hostile side did not fail")
        #expect(f.code == .protocolFailure && f.peer != hostile.name && f.message.contains("aborted"), "\(f)")
    }

    @Test("a sender announcing more than 2^27 elements fails both sides before any work")
    func oversizedSet() async throws {
        let o = await Self.run(Self.strings("a", 0..<5), Self.strings("a", 0..<5), tamperParty: Self.sender,
                               tamper: onStep(OTPSI.stepHello) { b in
                                   var b = b
                                   withUnsafeBytes(of: UInt64((1 << 27) + 1).littleEndian) { for i in 0..<8 { b[16 + i] = $0[i] } }
                                   return b
                               })
        try Self.expectBothFail(o, hostile: Self.sender, "announced a set of 134217729 elements")
    }

    @Test("u rows cut short, padded, or for the wrong bin count fail both sides, naming the receiver")
    func badURows() async throws {
        let r = Self.strings("a", 0..<50), s = Self.strings("a", 25..<75)
        let short = await Self.run(r, s, tamperParty: Self.receiver, tamper: onStep(KKRT.stepU) { Array($0.dropLast(8)) })
        try Self.expectBothFail(short, hostile: Self.receiver, "truncated or padded")
        let padded = await Self.run(r, s, tamperParty: Self.receiver, tamper: onStep(KKRT.stepU) { $0 + [0] })
        try Self.expectBothFail(padded, hostile: Self.receiver, "truncated or padded")
        let count = await Self.run(r, s, tamperParty: Self.receiver, tamper: onStep(KKRT.stepU) { b in
            var b = b
            b[8] &+= 1
            return b
        })
        try Self.expectBothFail(count, hostile: Self.receiver, "where this party expects")
        let cut = await Self.run(r, s, tamperParty: Self.receiver, tamper: onStep(KKRT.stepU) { Array($0.prefix(10)) })
        try Self.expectBothFail(cut, hostile: Self.receiver, "truncated")
    }

    @Test("a receipt for the wrong batch or message, or one with a body, fails both sides")
    func badReceipts() async throws {
        let r = Self.strings("a", 0..<1000), s = Self.strings("a", 500..<1500)
        // 2008 bins in batches of 100 and 3·1000 values in 500-byte messages: both windows fill.
        let tuning = OTPSI.Tuning(batchBins: 100, valueMessageBytes: 500)
        let o = await Self.run(r, s, tuning: tuning)
        #expect(try o.receiver.get().matches == Array(500..<1000))
        let wrong = await Self.run(r, s, tuning: tuning, tamperParty: Self.sender, tamper: onStep(KKRT.stepReceipt) { b in
            var b = b
            if b[8] == 5 { b[8] = 6 }
            return b
        })
        try Self.expectBothFail(wrong, hostile: Self.sender, "'OPRF batch receipt' message for 6 items where this party expects 5")
        let body = await Self.run(r, s, tuning: tuning, tamperParty: Self.receiver, tamper: onStep(OTPSI.stepValuesReceipt) {
            $0 + [1]
        })
        try Self.expectBothFail(body, hostile: Self.receiver, "truncated or padded")
    }

    @Test("truncated or out-of-range OPRF values fail both sides, naming the sender")
    func badValues() async throws {
        let r = Self.strings("a", 0..<50), s = Self.strings("a", 25..<75)
        let short = await Self.run(r, s, tamperParty: Self.sender, tamper: onStep(OTPSI.stepValues) { Array($0.dropLast(1)) })
        try Self.expectBothFail(short, hostile: Self.sender, "truncated or padded")
        // ℓ = 45 + 6 + 6 = 57 bits in 8 bytes: the top 7 bits of a value must be zero.
        let high = await Self.run(r, s, tamperParty: Self.sender, tamper: onStep(OTPSI.stepValues) { b in
            var b = b
            b[16 + 7] |= 0x80
            return b
        })
        try Self.expectBothFail(high, hostile: Self.sender, "bits set beyond the 57 agreed")
        let seed = await Self.run(r, s, tamperParty: Self.receiver, tamper: onStep(OTPSI.stepSeed) { Array($0.prefix(20)) })
        try Self.expectBothFail(seed, hostile: Self.receiver, "truncated or padded")
    }

    @Test("a hello of another version or malformed fails both sides")
    func badHello() async throws {
        let o = await Self.run(Self.strings("a", 0..<5), Self.strings("a", 0..<5), tamperParty: Self.receiver,
                               tamper: onStep(OTPSI.stepHello) { b in
                                   var b = b
                                   b[16 + 10] = 9
                                   return b
                               })
        try Self.expectBothFail(o, hostile: Self.receiver, "runs OT PSI version 9")
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
