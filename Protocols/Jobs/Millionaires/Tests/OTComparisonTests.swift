import Testing
import TacitJob
import TacitMath
import TacitNet
import TacitTestSupport
import TacitBytes

@testable import TacitMillionaires


@Suite("OT comparison (CrypTFlow2 millionaires')")
struct OTComparisonTests {
    static let p0 = PartyID("p0"), p1 = PartyID("p1")

    /// What one run gives: each side's shares of every batch, or its error.
    struct Outcome: Sendable {
        var x: Result<[ComparisonShares], any Error>
        var y: Result<[ComparisonShares], any Error>
    }

    /// Runs the x-holder and the y-holder on a fresh two-party mesh, concurrently: optional
    /// `prepare`, then one `compare` per batch. `xParty` picks which party (first or second in
    /// sorted order) holds x; `tamper` rewrites the messages of one party.
    static func run(
        bits: Int = 64, _ batches: [[(UInt64, UInt64)]], prepare: Int? = nil, xParty: PartyID = p0,
        tamperParty: PartyID? = nil, tamper: @escaping @Sendable (Payload) -> Payload? = { _ in nil },
        timeout: Duration = .seconds(60), chunk: Int = 8192, stats: (@Sendable (PartyID, ComparisonStats) -> Void)? = nil
    ) async -> Outcome {
        let mesh = InMemoryMesh(parties: [p0, p1], defaultTimeout: timeout)
        let session = SessionID.random()
        func side(_ p: PartyID) async -> Result<[ComparisonShares], any Error> {
            let base: any PartyChannel = mesh.channel(for: p)
            let channel: any PartyChannel = p == tamperParty ? TamperingChannel(base: base, tamper: tamper) : base
            let role: ComparisonRole = p == xParty ? .holdsX : .holdsY
            do {
                let path = try OTComparison(channel: channel.session(session), role: role, bits: bits, chunk: chunk)
                if let prepare { try await path.prepare(count: prepare) }
                var out: [ComparisonShares] = []
                for batch in batches {
                    out.append(try await path.compare(batch.map { role == .holdsX ? $0.0 : $0.1 }))
                }
                stats?(p, path.stats)
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
        let other = xParty == p0 ? p1 : p0
        async let x = side(xParty)
        async let y = side(other)
        return await Outcome(x: x, y: y)
    }

    /// Both sides' shares recombine to [x < y] and [x = y] for every pair of every batch.
    static func check(_ batches: [[(UInt64, UInt64)]], _ o: Outcome, _ what: String = "") throws {
        let xs = try o.x.get(), ys = try o.y.get()
        #expect(xs.count == batches.count && ys.count == batches.count)
        var wrong: [(UInt64, UInt64)] = []
        for (k, batch) in batches.enumerated() {
            #expect(xs[k].lessThan.count == batch.count && ys[k].equal.count == batch.count)
            for (i, (x, y)) in batch.enumerated() {
                let lt = xs[k].lessThan[i] != ys[k].lessThan[i], eq = xs[k].equal[i] != ys[k].equal[i]
                if lt != (x < y) || eq != (x == y) { wrong.append((x, y)) }
            }
        }
        #expect(wrong.isEmpty, "\(what): wrong results for \(wrong.prefix(5).map { "(\($0.0), \($0.1))" })")
    }

    static func allPairs(bits: Int) -> [(UInt64, UInt64)] {
        let r = 0..<(UInt64(1) << UInt64(bits))
        return r.flatMap { x in r.map { (x, $0) } }
    }

    @Test("exhaustive over 4-bit values: all 256 pairs in one batch", arguments: [p0, p1])
    func exhaustive4(_ xParty: PartyID) async throws {
        let pairs = Self.allPairs(bits: 4)
        try Self.check([pairs], await Self.run(bits: 4, [pairs], xParty: xParty))
    }

    @Test("exhaustive over 6-bit values (a 4-bit and a 2-bit block): all 4096 pairs in one batch")
    func exhaustive6() async throws {
        let pairs = Self.allPairs(bits: 6)
        try Self.check([pairs], await Self.run(bits: 6, [pairs]))
    }

    static let edgeValues: [UInt64] = [
        0, 1, 2, 15, 16, 17, 0xFF, 0x100, 1 << 32, (1 << 32) - 1, (1 << 63) - 1, 1 << 63, (1 << 63) + 1,
        UInt64.max - 1, UInt64.max, 0x0123_4567_89AB_CDEF, 0x0123_4567_89AB_CDEE, 0x0123_4567_89AB_CDF0,
        0x1123_4567_89AB_CDEF, 0xF0F0_F0F0_F0F0_F0F0, 0x0F0F_0F0F_0F0F_0F0F,
    ]

    @Test("64-bit edges: 0, 2^64 − 1, equal, off by one, differences in one block only, both orders", arguments: [p0, p1])
    func edges(_ xParty: PartyID) async throws {
        let v = Self.edgeValues
        let pairs = v.flatMap { x in v.map { (x, $0) } }
        try Self.check([pairs], await Self.run([pairs], xParty: xParty))
    }

    static func randomPairs(_ n: Int, seed: UInt8, bits: Int = 64) -> [(UInt64, UInt64)] {
        let g = AESPRG(seed: [UInt8](repeating: seed, count: 16))
        let mask = bits == 64 ? UInt64.max : (1 << UInt64(bits)) - 1
        return (0..<n).map { i in
            let x = g.next() & mask
            switch i % 5 {
            case 0: return (x, x)  // equal
            case 1: return (x, (x &+ 1) & mask)  // off by one
            case 2: return (x, x ^ (1 << (g.next() % UInt64(bits))))  // one bit apart
            default: return (x, g.next() & mask)
            }
        }
    }

    @Test("500 random 64-bit pairs, as one batch and the first 20 one at a time")
    func random() async throws {
        let pairs = Self.randomPairs(500, seed: 7)
        let batches = [pairs] + pairs.prefix(20).map { [$0] }
        try Self.check(batches, await Self.run(batches))
    }

    @Test("values narrower than 64 bits: 1, 3, 5, 13, 33, 63 bits", arguments: [1, 3, 5, 13, 33, 63])
    func widths(_ bits: Int) async throws {
        var pairs = Self.randomPairs(300, seed: UInt8(bits), bits: bits)
        let top = bits == 64 ? UInt64.max : (1 << UInt64(bits)) - 1
        pairs += [(0, top), (top, 0), (top, top), (0, 0), (top - 1, top), (top, top - 1)].filter { $0.0 <= top && $0.1 <= top }
        try Self.check([pairs], await Self.run(bits: bits, [pairs]), "\(bits) bits")
    }

    @Test("each party's shares alone are balanced bits whatever the result (2,000 copies of one pair)")
    func sharesLookRandom() async throws {
        for pair: (UInt64, UInt64) in [(5, 9), (9, 5), (7, 7)] {
            let batch = [(UInt64, UInt64)](repeating: pair, count: 2000)
            let o = await Self.run([batch])
            try Self.check([batch], o)
            for side in [try o.x.get()[0], try o.y.get()[0]] {
                for bits in [side.lessThan, side.equal] {
                    // A share equal to the result (or its complement) would give 0 or 2000.
                    #expect((850...1150).contains(bits.filter { $0 }.count), "\(pair)")
                }
            }
        }
    }

    @Test("a batch of 10,000 prepared ahead: one set of online rounds, stats counted")
    func batch() async throws {
        let pairs = Self.randomPairs(10_000, seed: 9)
        let recorded = Locked<[PartyID: ComparisonStats]>([:])
        let o = await Self.run([pairs], prepare: 10_000, chunk: 4096) { p, s in recorded.withLock { $0[p] = s } }
        try Self.check([pairs], o)
        let s = recorded.withLock { $0 }
        for p in [Self.p0, Self.p1] {
            let st = try #require(s[p])
            #expect(st.comparisons == 10_000)
            #expect(st.onlineRounds == 3, "6 messages in sequence for 64 bits, 3 from each party")
            #expect(st.offlineBytesSent > 0 && st.onlineBytesSent > 0 && st.offlineSeconds > 0 && st.onlineSeconds > 0)
        }
        // P1 (the y-holder) sends the block OTs' matrix: 79 ROTs of 16 bytes per comparison.
        #expect(s[Self.p1]!.offlineBytesSent >= 10_000 * 79 * 16)
        #expect(s[Self.p0]!.offlineBytesSent >= 10_000 * 15 * 16)
        #expect(s[Self.p0]!.offlineBytesReceived == s[Self.p1]!.offlineBytesSent)
    }

    @Test("preparation tops up: fewer prepared than compared, and compare without prepare")
    func topUp() async throws {
        let pairs = Self.randomPairs(40, seed: 3)
        let batches = [Array(pairs[0..<8]), Array(pairs[8..<9]), Array(pairs[9..<40])]
        try Self.check(batches, await Self.run(batches, prepare: 5, chunk: 16))
        try Self.check(batches, await Self.run(batches, chunk: 7))
    }

    @Test("a value wider than bits, a negative or oversized count, a bad width or tag are refused before anything is sent")
    func tooWide() async throws {
        let mesh = InMemoryMesh(parties: [Self.p0, Self.p1])
        let session = SessionID.random()
        let x = try OTComparison(channel: mesh.channel(for: Self.p0).session(session), role: .holdsX, bits: 6)
        let y = try OTComparison(channel: mesh.channel(for: Self.p1).session(session), role: .holdsY, bits: 6)
        await #expect(throws: JobError(.invalidInput, "")) { _ = try await x.compare([64]) }
        await #expect(throws: JobError(.invalidInput, "")) { _ = try await y.compare([3, 1 << 40]) }
        await #expect(throws: JobError(.invalidInput, "")) { try await x.prepare(count: OTComparison.maxPrepared + 1) }
        await #expect(throws: JobError(.invalidInput, "")) { try await x.prepare(count: -1) }
        async let sx = x.compare([5, 63])
        async let sy = y.compare([63, 5])
        let (a, b) = try await (sx, sy)
        #expect(zip(a.lessThan, b.lessThan).map { $0 != $1 } == [true, false])
        #expect(throws: JobError(.invalidSpec, "")) {
            _ = try OTComparison(channel: mesh.channel(for: Self.p0).session(session), role: .holdsX, bits: 65)
        }
        #expect(throws: JobError(.invalidSpec, "")) {
            _ = try OTComparison(channel: mesh.channel(for: Self.p0).session(session), role: .holdsX, tag: TacitNet.Tag(3))
        }
    }

    @Test("parties that prepare or compare different counts fail, naming the other")
    func countMismatch() async throws {
        for preparing in [true, false] {
            let mesh = InMemoryMesh(parties: [Self.p0, Self.p1], defaultTimeout: .seconds(120))
            let session = SessionID.random()
            let x = try OTComparison(channel: mesh.channel(for: Self.p0).session(session), role: .holdsX)
            let y = try OTComparison(channel: mesh.channel(for: Self.p1).session(session), role: .holdsY)
            async let ex: (any Error)? = Self.failure {
                if preparing { try await x.prepare(count: 10) } else { _ = try await x.compare([1, 2, 3]) }
            }
            async let ey: (any Error)? = Self.failure {
                if preparing { try await y.prepare(count: 12) } else { _ = try await y.compare([1, 2]) }
                _ = try await y.compare([1])  // meets the peer's abort if its own step passed
            }
            let (a, b) = await (ex, ey)
            let jx = try #require(a as? JobError), jy = try #require(b as? JobError)
            #expect(jx.code == .protocolFailure && jx.peer == "p1", "\(jx.message)")
            #expect(jy.code == .protocolFailure && jy.peer == "p0", "\(jy.message)")
        }
    }

    static func failure(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    /// Rewrites messages of one step (header byte 1: 3 the IKNP matrix, 11 P1's d, 12 P0's
    /// tables and first openings, 13… the tree levels).
    static func onStep(_ step: UInt8, _ change: @escaping @Sendable ([UInt8]) -> [UInt8]) -> @Sendable (Payload) -> Payload? {
        { p in
            let b = p.bytes
            return b.count >= 2 && b[0] == 0x01 && b[1] == step ? Payload(change(b)) : nil
        }
    }

    struct Tampering: Sendable, CustomTestStringConvertible {
        let name: String
        let party: PartyID  // the misbehaving one (p1 holds y)
        let step: UInt8
        let change: @Sendable ([UInt8]) -> [UInt8]
        var testDescription: String { name }
    }

    static let tamperings: [Tampering] = [
        Tampering(name: "derandomisation message one byte short", party: p1, step: 11) { Array($0.dropLast()) },
        Tampering(name: "derandomisation message one byte long", party: p1, step: 11) { $0 + [0] },
        Tampering(name: "derandomisation for a wrong count", party: p1, step: 11) { b in var b = b; b[8] ^= 2; return b },
        Tampering(name: "truncated OT batch from the y-holder", party: p1, step: 3) { Array($0.dropLast(16)) },
        Tampering(name: "truncated OT batch from the x-holder", party: p0, step: 3) { Array($0.dropLast(16)) },
        Tampering(name: "block tables truncated", party: p0, step: 12) { Array($0.dropLast(4)) },
        Tampering(name: "tree-level openings with padding bits set", party: p1, step: 13) { b in
            var b = b; b[b.count - 1] |= 0x80; return b
        },
        Tampering(name: "tree-level openings for a wrong count", party: p0, step: 14) { b in var b = b; b[9] = 1; return b },
        Tampering(name: "a message under the wrong step", party: p1, step: 13) { b in var b = b; b[1] = 15; return b },
    ]

    @Test("a malformed message fails the run on both sides, naming the sender", arguments: tamperings)
    func malformed(_ t: Tampering) async throws {
        // 3 pairs: the last word of every opening vector has unused (padding) bits.
        let pairs: [(UInt64, UInt64)] = [(1, 2), (5, 5), (UInt64.max, 0)]
        let o = await Self.run(
            [pairs, pairs], prepare: 4, tamperParty: t.party, tamper: Self.onStep(t.step, t.change), timeout: .seconds(120))
        let honest = t.party == Self.p0 ? Self.p1 : Self.p0
        let (bad, good) = t.party == Self.p0 ? (o.x, o.y) : (o.y, o.x)
        guard case .failure(let eg as JobError) = good, case .failure(let eb as JobError) = bad else {
            Issue.record("\(t.name): both sides must fail with a JobError; got \(o.x) / \(o.y)")
            return
        }
        #expect(eg.code == .protocolFailure && eg.peer == t.party.name, "\(t.name): \(eg.message)")
        #expect(eg.message.contains("\(t.party.name) sent"), "\(t.name): \(eg.message)")
        #expect(eb.code == .protocolFailure && eb.peer == honest.name, "\(t.name): \(eb.message)")
        #expect(eb.message.contains("aborted"), "\(t.name): \(eb.message)")
    }
}
