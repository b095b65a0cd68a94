import Testing
@testable import TacitMPC
import TacitMath
import TacitNet

@Suite("Pairwise random OT extension")
struct OTExtensionTests {
    static let alice = PartyID("alice"), bob = PartyID("bob")

    /// Runs `body` on both parties of a fresh two-party mesh (alice's channel optionally
    /// tampered with), concurrently; returns both outcomes.
    static func pair<R: Sendable>(
        timeout: Duration = .seconds(120),
        tamper: @escaping @Sendable (PartyID, TacitNet.Tag, Payload) -> Payload? = { _, _, _ in nil },
        _ body: @escaping @Sendable (OTExtension, PartyID) async throws -> R
    ) async -> (alice: Result<R, any Error>, bob: Result<R, any Error>) {
        let mesh = InMemoryMesh(parties: [alice, bob], defaultTimeout: timeout)
        let session = SessionID.random()
        func side(_ p: PartyID) async -> Result<R, any Error> {
            let base: any PartyChannel = mesh.channel(for: p)
            let channel: any PartyChannel = p == alice ? TestChannel(base, tamper: tamper) : base
            do {
                let ext = try OTExtension(channel: channel.session(session), tag: TacitNet.Tag(150))
                return .success(try await body(ext, p))
            } catch {
                return .failure(error)
            }
        }
        async let a = side(alice)
        async let b = side(bob)
        return await (a, b)
    }

    /// The OT relation for one direction: the receiver's message is the sender's message of
    /// its choice and differs from the other one.
    static func checkRelation(_ s: RandomOTs.Sent, _ r: RandomOTs.Received, count: Int) {
        #expect(s.count == count && r.count == count)
        #expect(s.m0.count == 2 * count && s.m1.count == 2 * count && r.messages.count == 2 * count)
        var bad = 0, ones = 0
        for i in 0..<count {
            let c = r.choice(i)
            if c { ones += 1 }
            let got = r.message(i), chosen = s.message(i, c), other = s.message(i, !c)
            if got != chosen || got == other { bad += 1 }
        }
        #expect(bad == 0, "OTs where the receiver's message is not the sender's message of its choice")
        if count >= 1000 {
            // Random choices: a fixed or biased choice vector would break the OT's privacy.
            #expect((count * 4 / 10)...(count * 6 / 10) ~= ones)
        }
    }

    @Test("every OT of two batches in both directions satisfies the OT relation")
    func relation() async throws {
        // Counts off multiples of 64 (padding), unequal per direction, and a second batch on
        // the same base OTs (tweaks and PRG streams advance consistently on both sides).
        let sizes = [(alice: 1000, bob: 333), (alice: 64, bob: 4097)]
        let out = await Self.pair { ext, me in
            var batches: [(RandomOTs.Sent, RandomOTs.Received)] = []
            for s in sizes {
                let mine = me == Self.alice ? s.alice : s.bob, theirs = me == Self.alice ? s.bob : s.alice
                batches.append(try await ext.extend(sending: mine, receiving: theirs))
            }
            return batches
        }
        let a = try out.alice.get(), b = try out.bob.get()
        for (k, s) in sizes.enumerated() {
            Self.checkRelation(a[k].0, b[k].1, count: s.alice)  // alice → bob
            Self.checkRelation(b[k].0, a[k].1, count: s.bob)  // bob → alice
        }
        // Different batches and directions give unrelated messages.
        #expect(a[0].0.m0[0..<2] != a[1].0.m0[0..<2])
        #expect(a[0].0.m0[0..<2] != b[0].0.m0[0..<2])
    }

    @Test("an empty batch in one direction works and counts")
    func emptyDirection() async throws {
        let out = await Self.pair { ext, me in
            try await ext.extend(sending: me == Self.alice ? 0 : 130, receiving: me == Self.alice ? 130 : 0)
        }
        let a = try out.alice.get(), b = try out.bob.get()
        Self.checkRelation(b.sent, a.received, count: 130)
        #expect(a.sent.count == 0 && b.received.count == 0)
    }

    /// A tampering rule for alice's messages of one step (byte 1 of the header).
    static func onStep(_ step: UInt8, _ change: @escaping @Sendable ([UInt8]) -> [UInt8])
        -> @Sendable (PartyID, TacitNet.Tag, Payload) -> Payload?
    {
        { _, _, p in
            let b = p.bytes
            return b.count >= 2 && b[0] == 0x01 && b[1] == step ? Payload(change(b)) : nil
        }
    }

    static let cases: [(String, UInt8, @Sendable ([UInt8]) -> [UInt8])] = [
        ("a truncated OT batch", 3, { Array($0.dropLast(8)) }),
        ("an OT batch one byte too long", 3, { $0 + [0] }),
        ("an OT batch for a wrong count", 3, { b in var b = b; b[8] ^= 1; return b }),
        ("an OT batch under another step", 3, { b in var b = b; b[1] = 9; return b }),
        ("a truncated base-OT message", 2, { Array($0.dropLast(1)) }),
        ("an invalid base-OT point", 1, { b in var b = b; b[16] = 0x05; return b }),
        ("a header-only message", 3, { Array($0.prefix(5)) }),
    ]

    @Test("a malformed message fails both sides, the receiver naming the sender", arguments: 0..<7)
    func malformed(_ k: Int) async throws {
        let (name, step, change) = Self.cases[k]
        let out = await Self.pair(timeout: .seconds(120), tamper: Self.onStep(step, change)) { ext, me in
            // Two batches: the side whose own message was tampered with has finished the first by
            // the time the peer's abort is on its way, and meets it in the second.
            _ = try await ext.extend(sending: 200, receiving: 200)
            _ = try await ext.extend(sending: 10, receiving: 10)
            return 0
        }
        guard case .failure(let eb as MPCError) = out.bob, case .failure(let ea as MPCError) = out.alice else {
            Issue.record("\(name): both sides must fail with MPCError; got \(out)")
            return
        }
        #expect(eb.code == .malformedMessage, "\(name): \(eb)")
        #expect(eb.peer == Self.alice && eb.message.contains("alice"), "\(name): \(eb)")
        #expect(ea.code == .peerAborted && ea.peer == Self.bob, "\(name): \(ea)")
    }

    @Test("the SIMD chunk transpose equals the 64×64 transpose it replaces, for even and odd widths")
    func transpose() {
        let g = AESPRG(seed: [UInt8](repeating: 5, count: 16))
        for cw in [1, 2, 3, 17, 64] {
            let cols = g.words(128 * cw)
            var want = [UInt64](repeating: 0, count: 128 * cw), got = want
            cols.withUnsafeBufferPointer { c in
                want.withUnsafeMutableBufferPointer { OTTripleSource.transposeBlock(c, count: cw, into: $0) }
                got.withUnsafeMutableBufferPointer { OTExtension.transposeChunk(c, count: cw, into: $0) }
            }
            #expect(got == want, "width \(cw)")
            // And against the definition: row 64v + r, bit j = column j's word v, bit r.
            let v = cw - 1, r = 37, j = 100
            #expect((got[2 * (64 * v + r) + 1] >> UInt64(j - 64)) & 1 == (cols[j * cw + v] >> UInt64(r)) & 1)
        }
    }

    @Test("a session without exactly two parties is refused")
    func twoParties() {
        let mesh = InMemoryMesh(parties: ["a", "b", "c"])
        do {
            _ = try OTExtension(channel: mesh.channel(for: "a").session(SessionID(1)), tag: TacitNet.Tag(150))
            Issue.record("three parties were accepted")
        } catch let e as MPCError {
            #expect(e.code == .unsupported)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
