import Foundation
import Testing
import TacitMPC
import TacitNet
import TacitBytes

/// Chi-square statistic of counts against the uniform distribution.
func chiSquareUniform(_ counts: [Int]) -> Double {
    let total = Double(counts.reduce(0, +))
    let e = total / Double(counts.count)
    return counts.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
}

/// Two-sample chi-square (homogeneity) statistic for two histograms.
func chiSquareTwoSample(_ a: [Int], _ b: [Int]) -> Double {
    let na = Double(a.reduce(0, +)), nb = Double(b.reduce(0, +))
    var s = 0.0
    for k in 0..<a.count where a[k] + b[k] > 0 {
        let t = Double(a[k] + b[k])
        let ea = t * na / (na + nb), eb = t * nb / (na + nb)
        s += (Double(a[k]) - ea) * (Double(a[k]) - ea) / ea + (Double(b[k]) - eb) * (Double(b[k]) - eb) / eb
    }
    return s
}

/// The upper critical value of χ²(dof) for a standard-normal tail quantile `z`
/// (Wilson–Hilferty; within about 1% for dof ≥ 30).
func chiSquareCritical(dof: Int, z: Double) -> Double {
    let k = Double(dof), a = 2 / (9 * k)
    return k * pow(1 - a + z * a.squareRoot(), 3)
}

/// The normal quantile of an upper tail of 10^−6: each statistical check below fails an
/// honest engine once in a million runs, so the dozens of checks a run makes (some on
/// transcripts that depend on unseeded base-OT scalars) do not make the suite flaky, while
/// any leak of a fixed secret pushes χ² into the thousands.
let zOneInAMillion = 4.753

@Suite("What one party sees")
struct ViewTests {
    static let hiding = testRegistry().all.filter { $0.descriptor.security.hidesInputs }.map(\.descriptor.name)

    /// The words of every data message in `messages` after the engine's setup steps (whose
    /// base-OT points are not uniform bytes by design), little-endian, as received, each with
    /// its position in its message (pieces are 2^17 words, so positions modulo a power of two
    /// up to that are positions in the whole message).
    static func transcriptWords(_ messages: [TestChannel.Message], afterStep setup: UInt64) -> [(word: UInt64, position: Int)] {
        var out: [(word: UInt64, position: Int)] = []
        for m in messages where m.tag != MPCContext.abortTag && m.tag.rawValue & ((1 << 40) - 1) > setup {
            // Kind byte: 0x01 data (or a last piece), 0x03 a middle piece; others carry no words.
            guard let kind = m.bytes.first, kind == 0x01 || kind == 0x03 else { continue }
            let body = m.bytes.dropFirst()
            var i = body.startIndex
            while i + 8 <= body.endIndex {
                var w: UInt64 = 0
                for k in 0..<8 { w |= UInt64(body[i + k]) << UInt64(8 * k) }
                out.append((w, (i - body.startIndex) / 8))
                i += 8
            }
        }
        return out
    }

    /// Party 1 records every byte it receives while party 0 inputs a secret (4096 copies of
    /// it) and the parties multiply it by itself, for two different secrets. Each of the 8
    /// byte positions of every received word must be uniform (over the values a word can
    /// take: 256, or fewer in the top byte of a field element), and the two transcripts
    /// indistinguishable, by chi-square. This is party 1's whole view of the computation
    /// (input shares, Beaver or degree-reduction messages, dealer corrections, IKNP matrices
    /// and Gilboa corrections), not the shares it computes itself, so an engine that sent
    /// anything depending on the secret unmasked would fail it. Each received word is also
    /// added, in the protocol's domain, to party 1's own share of the element at the same
    /// position in its message (modulo 4096): that joint view must be uniform too, so a party that sends
    /// its share of the secret unmasked (which completes party 1's share to the secret) fails
    /// as well. Seeded where the engine allows it.
    @Test("every byte a party receives is uniform whatever the secret", arguments: hiding)
    func receivedTranscriptIsUniform(_ name: String) async throws {
        let proto = try testRegistry().named(name)
        let n = max(2, proto.descriptor.partyCounts.lowerBound)
        let count = 4096
        let secrets: [Int64] = [0, 0x0123_4567_89AB]
        let observer = partyNames(n)[1]
        var views: [[UInt64]] = []
        var joint: [[UInt64]] = []
        for (k, secret) in secrets.enumerated() {
            let recorder = Locked<TestChannel?>(nil)
            let r = await simulate(proto, parties: n, timeout: .seconds(120), testingSeed: 1000 + UInt64(k), wrap: { p, base in
                guard p == observer else { return base }
                let c = TestChannel(base)
                recorder.withLock { $0 = c }
                return c
            }) { engine in
                try await squareSecret(engine, secret: secret, count: count)
            }
            let (setupSteps, own) = try r[observer]!.get()
            let channel = try #require(recorder.withLock { $0 })
            let words = Self.transcriptWords(channel.receivedMessages.withLock { $0 }, afterStep: setupSteps)
            // At least the masked openings of the product: one word per element and peer.
            #expect(words.count >= count, "\(name): party 1 received only \(words.count) words")
            views.append(words.map(\.word))
            joint.append(words.map { w, position in
                let o = own[position % own.count]
                switch proto.descriptor.domain {
                case .ring64: return w &+ o
                case .primeField(let p): return UInt64((UInt128(w % p) + UInt128(o % p)) % UInt128(p))
                }
            })
        }
        let topByteValues: Int
        switch proto.descriptor.domain {
        case .ring64: topByteValues = 256
        case .primeField(let p): topByteValues = Int(p >> 56) + 1
        }
        for (what, sets) in [("what party 1 receives", views), ("received plus own share", joint)] {
        for position in 0..<8 {
            let bins = position == 7 ? topByteValues : 256
            let critical = chiSquareCritical(dof: bins - 1, z: zOneInAMillion)
            let hists = sets.map { v in
                var h = [Int](repeating: 0, count: bins)
                for w in v { h[Int((w >> UInt64(8 * position)) & 0xFF) % bins] += 1 }
                return h
            }
            for (k, h) in hists.enumerated() {
                let x2 = chiSquareUniform(h)
                #expect(x2 < critical, "\(name): byte \(position) of \(what) is not uniform for secret \(k) (χ² = \(x2))")
            }
            let x2 = chiSquareTwoSample(hists[0], hists[1])
            #expect(x2 < critical, "\(name): byte \(position) of \(what) distinguishes the two secrets (χ² = \(x2))")
        }
        }
    }

    /// Returns the number of setup steps (before the program's first) and this party's share
    /// words of the secret.
    func squareSecret<E: MPCEngine>(_ e: E, secret: Int64, count: Int) async throws -> (UInt64, [UInt64]) {
        let setup = e.context.stepCount
        let owner = e.context.parties[0]
        let x = try await e.input(e.context.localParty == owner ? [Int64](repeating: secret, count: count) : nil,
                                  from: owner, count: count)
        _ = try await e.multiply(x, x)
        return (setup, e.shareWords(x))
    }

    /// Reveal to one party: no party puts anything for that step on the wire to another.
    /// Recorded at the sending side, so an engine that sent its output shares to everyone
    /// fails this even though the non-recipients never read them.
    @Test("reveal to a named party sends nothing to the others", arguments: hiding)
    func revealOnlyToRecipient(_ name: String) async throws {
        let proto = try testRegistry().named(name)
        let n = max(3, proto.descriptor.partyCounts.lowerBound)
        let names = partyNames(n)
        let recipient = names[1]
        let channels = Locked<[PartyID: TestChannel]>([:])
        let r = await simulate(proto, parties: n, wrap: { p, base in
            let c = TestChannel(base)
            channels.withLock { $0[p] = c }
            return c
        }) { engine in
            try await revealOne(engine)
        }
        var revealTag: UInt64 = 0
        for p in names {
            let (value, tag) = try r[p]!.get()
            revealTag = tag
            #expect((value != nil) == (p == recipient))
            if p == recipient { #expect(value == [7, -8, 9]) }
        }
        #expect(revealTag > 0)
        let all = channels.withLock { $0 }
        for p in names {
            let sent = try #require(all[p]).sent.withLock { $0.filter { $0.tag.rawValue & ((1 << 40) - 1) == revealTag } }
            for m in sent {
                #expect(m.peer == recipient, "\(name): \(p) sent \(m.bytes.count) bytes to non-recipient \(m.peer) in the reveal step")
            }
            // A party sends the recipient at most its one message of share words (replicated
            // sharing needs only one party's: the recipient already holds two components).
            #expect(sent.filter { $0.peer == recipient }.count <= (p == recipient ? 0 : 1), "\(name): \(p)")
            let got = try #require(all[p]).receivedMessages.withLock { $0.filter { $0.tag.rawValue == revealTag } }
            if p != recipient { #expect(got.isEmpty, "\(name): \(p) received \(got.count) messages in the reveal step") }
        }
        // The recipient receives exactly what was sent to it, and something.
        let sentToRecipient = names.reduce(0) { total, p in
            total + (all[p]?.sent.withLock { $0.filter { $0.tag.rawValue & ((1 << 40) - 1) == revealTag && $0.peer == recipient }.count } ?? 0)
        }
        let received = all[recipient]?.receivedMessages.withLock { $0.filter { $0.tag.rawValue == revealTag }.count } ?? 0
        #expect(received >= 1 && received == sentToRecipient, "\(name): recipient got \(received) of \(sentToRecipient)")
    }

    func revealOne<E: MPCEngine>(_ e: E) async throws -> ([Int64]?, UInt64) {
        let owner = e.context.parties[0]
        let x = try await e.input(e.context.localParty == owner ? [7, -8, 9] : nil, from: owner, count: 3)
        let v = try await e.reveal(x, to: [e.context.parties[1]])
        return (v, e.context.stepCount)
    }
}


@Suite("Misbehaving and failing peers")
struct RobustnessTests {
    func mulJob<E: MPCEngine>(_ e: E) async throws -> [Int64] {
        let ps = e.context.parties
        let me = e.context.localParty
        let x = try await e.input(me == ps[0] ? [1, 2, 3, 4] : nil, from: ps[0], count: 4)
        let y = try await e.input(me == ps[1] ? [5, 6, 7, 8] : nil, from: ps[1], count: 4)
        let z = try await e.multiply(x, y)
        return try await e.reveal(e.add(z, x))
    }

    enum Tamper: CaseIterable, Sendable {
        case truncate, extend
        /// A data message marked as an end-of-job confirmation.
        case wrongKind
        /// A word at or above the field modulus (field engines only: every word is a valid
        /// element of Z/2^64).
        case nonCanonical
    }

    static let engines = ["additive-dealer", "additive-ot", "shamir", "replicated"]

    /// Every (engine, tamper) pair that applies to the engine's domain: no case is skipped
    /// at run time, so each listed case really tampers.
    static let cases: [(String, Tamper)] = engines.flatMap { name in
        let field: Bool
        if case .primeField = try! testRegistry().named(name).descriptor.domain { field = true } else { field = false }
        return Tamper.allCases.filter { $0 != .nonCanonical || field }.map { (name, $0) }
    }

    /// Party p2 corrupts every data message it sends to p0 after the first steps (for
    /// `additive-ot` the first corrupted one is its pairwise seed or its IKNP matrix, for
    /// `additive-dealer` its Beaver opening, for `shamir` its input share or degree
    /// reduction). Every party must fail with an MPCError (p0: malformed, naming p2; others:
    /// an abort naming who gave up), and none may return a value. The job timeout is long
    /// (60 s) and the error codes exclude `.timeout`, so passing proves the parties aborted
    /// rather than waited, without a wall-clock assertion that a loaded CI machine could trip.
    @Test("a malformed share message fails the job on every party", arguments: cases)
    func malformedMessage(_ name: String, _ tamper: Tamper) async throws {
        let proto = try testRegistry().named(name)
        let tampered = Locked(0)
        let r = await simulate(proto, parties: 3, timeout: .seconds(60), wrap: { p, base in
            guard p == "p2" else { return base }
            return TestChannel(base) { peer, tag, payload in
                guard peer == "p0", tag.rawValue >= 3, tag != MPCContext.abortTag, payload.count > 9 else { return nil }
                var b = payload.bytes
                switch tamper {
                case .truncate: b.removeLast()
                case .extend: b += [0, 0, 0, 0, 0, 0, 0, 0]
                case .wrongKind: b[0] = 0x02
                case .nonCanonical: b.replaceSubrange(1..<9, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
                }
                tampered.withLock { $0 += 1 }
                return Payload(b)
            }
        }) { engine in try await mulJob(engine) }
        #expect(tampered.withLock { $0 } > 0, "\(name): p2 never sent p0 a message to tamper with")
        for p in partyNames(3) {
            switch r[p]! {
            case .success: Issue.record("\(name): \(p) returned a value despite the malformed message")
            case .failure(let e):
                let err = try #require(e as? MPCError, "\(p) failed with \(e), not an MPCError")
                if p == "p0" {
                    // Only p0 receives tampered messages, so it is the first to fail, on a
                    // format check that names the sender.
                    #expect(err.code == MPCError.Code.malformedMessage && err.peer == "p2", "\(name), \(tamper): \(err)")
                } else {
                    #expect(err.code == MPCError.Code.peerAborted || err.code == MPCError.Code.malformedMessage || err.code == MPCError.Code.inconsistentShares, "\(p): \(err)")
                }
            }
        }
    }

    /// A crashed party: the others fail with a timeout naming it (or the abort of the one
    /// that timed out first), within the job timeout. The timeout is generous so that a
    /// live party slowed by the parallel conformance tests is not mistaken for the crash.
    @Test("a silent party makes the others time out with its name", arguments: engines)
    func crashedPeer(_ name: String) async throws {
        let proto = try testRegistry().named(name)
        let mesh = InMemoryMesh(parties: partyNames(3))
        let start = ContinuousClock.now
        let r = await simulate(proto, parties: 3, timeout: .seconds(45), mesh: mesh) { engine in
            if engine.context.localParty == "p2" {
                mesh.crash("p2")
                throw MPCError(.cancelled, "crashed")
            }
            return try await mulJob(engine)
        }
        // Bounded by the job timeout, not a hang; generous for a loaded machine.
        #expect(ContinuousClock.now - start < .seconds(300))
        var namedCrash = false
        var seen: [String] = []
        for p in ["p0", "p1"] as [PartyID] {
            guard case .failure(let e) = r[p]! else { Issue.record("\(p) returned a value"); continue }
            let err = try #require(e as? MPCError)
            seen.append("\(p): \(err.code) peer=\(err.peer.map { "\($0)" } ?? "-") \(err.message)")
            #expect(err.code == MPCError.Code.timeout || err.code == MPCError.Code.peerAborted, "\(err)")
            if err.code == MPCError.Code.timeout && (err.peer == "p2" || err.message.contains("p2")) { namedCrash = true }
            if err.code == MPCError.Code.peerAborted && err.message.contains("p2") { namedCrash = true }
        }
        #expect(namedCrash, "no honest party named the crashed peer: \(seen)")
    }

    /// Two silent peers in a step that receives words in place: the timeout names both, as a
    /// gathered step already did. Before, it named whichever receive timed out first, so under
    /// load a live but slow peer could be named while the crashed one went unnamed (seen as a
    /// flaky `crashedPeer` on additive-dealer).
    @Test("a timeout in a word step names every silent peer")
    func timeoutNamesEverySilentPeer() async throws {
        let mesh = InMemoryMesh(parties: partyNames(3))
        let channel = mesh.channel(for: "p0").session(SessionID.random())
        let error = await #expect(throws: MPCError.self) {
            try await MPCContext.run(channel: channel, timeout: .seconds(1)) { context in
                try await context.exchangeWithAllInPlace(
                    words: 1, expectedWords: 1, step: "test", fill: { raw in [UInt64(7)].withUnsafeBufferPointer { Words.store($0, into: raw) } },
                    receive: { _, _, _ in })
            }
        }
        #expect(error?.code == MPCError.Code.timeout, "\(String(describing: error))")
        #expect(error?.message.contains("p1, p2") == true, "\(String(describing: error))")
    }

    @Test("registry refuses duplicates and names what it has")
    func registry() throws {
        var r = testRegistry()
        #expect(throws: MPCError.self) { try r.register(TestProto()) }
        #expect(throws: MPCError.self) { _ = try r.named("nope") }
        #expect(r.names.contains("additive-dealer") && r.names.contains("additive-ot") && r.names.contains("shamir"))
    }

    struct TestProto: MPCProtocol {
        var descriptor: ProtocolDescriptor { try! testRegistry().named("shamir").descriptor }
        func makeEngine(_ context: MPCContext) async throws -> any MPCEngine { fatalError() }
    }

    @Test("unsupported party counts are refused with a clear error")
    func partyCount() async throws {
        let r = await simulate(try testRegistry().named("shamir"), parties: 2) { _ in 0 }
        var codes: [MPCError.Code] = []
        for p in partyNames(2) {
            guard case .failure(let e) = r[p]! else { Issue.record("ran with 2 parties"); continue }
            codes.append(try #require(e as? MPCError).code)
        }
        // Each party refuses; one may hear the other's abort first.
        #expect(codes.contains(MPCError.Code.unsupported))
        #expect(codes.allSatisfy { $0 == MPCError.Code.unsupported || $0 == MPCError.Code.peerAborted })
    }
}
