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

/// χ²(255) at p = 0.001.
let chiSquare255Critical = 330.52

@Suite("What one party sees")
struct ViewTests {
    static let hiding = testRegistry().all.filter { $0.descriptor.security.hidesInputs }.map(\.descriptor.name)

    /// Party 1's shares of a secret A and of a secret B (8192 independent sharings each)
    /// are uniform and indistinguishable: chi-square over the low and high byte at p = 0.001.
    /// Seeded, so the outcome is reproducible.
    @Test("a single party's shares are uniform whatever the secret", arguments: hiding)
    func sharesAreUniform(_ name: String) async throws {
        let proto = try testRegistry().named(name)
        let n = max(2, proto.descriptor.partyCounts.lowerBound)
        let count = 8192
        let secrets: [Int64] = [0, 0x0123_4567_89AB]
        var views: [[UInt64]] = []
        for (k, s) in secrets.enumerated() {
            let r = await simulate(proto, parties: n, testingSeed: 1000 + UInt64(k)) { engine in
                try await shares(engine, secret: s, count: count)
            }
            views.append(try r[partyNames(n)[1]]!.get())
        }
        let fieldBits = proto.descriptor.domain == .ring64 ? 64 : 61
        for shift in [0, fieldBits - 8] {
            let hists = views.map { v in
                var h = [Int](repeating: 0, count: 256)
                for w in v { h[Int((w >> UInt64(shift)) & 0xFF)] += 1 }
                return h
            }
            for (k, h) in hists.enumerated() {
                #expect(chiSquareUniform(h) < chiSquare255Critical, "\(name): secret \(k) byte at bit \(shift) not uniform")
            }
            #expect(chiSquareTwoSample(hists[0], hists[1]) < chiSquare255Critical,
                    "\(name): party 1's view distinguishes the two secrets (byte at bit \(shift))")
        }
    }

    func shares<E: MPCEngine>(_ e: E, secret: Int64, count: Int) async throws -> [UInt64] {
        let owner = e.context.parties[0]
        let x = try await e.input(e.context.localParty == owner ? [Int64](repeating: secret, count: count) : nil,
                                  from: owner, count: count)
        return e.shareWords(x)
    }

    /// Reveal to one party: the others receive nothing in that step.
    @Test("reveal to a named party sends nothing to the others", arguments: hiding)
    func revealOnlyToRecipient(_ name: String) async throws {
        let proto = try testRegistry().named(name)
        let n = max(3, proto.descriptor.partyCounts.lowerBound)
        let names = partyNames(n)
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
            #expect((value != nil) == (p == names[1]))
            if p == names[1] { #expect(value == [7, -8, 9]) }
        }
        for p in names {
            let got = channels.withLock { $0[p]! }.received.withLock { $0.filter { $0.1.rawValue == revealTag } }
            if p == names[1] { #expect(got.count == n - 1) } else { #expect(got.isEmpty, "a non-recipient received messages in the reveal step") }
        }
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
        return try await e.reveal(try await e.add(z, x) as E.Share)
    }

    enum Tamper: CaseIterable { case truncate, extend, nonCanonical }

    static let cases: [(String, Int)] = ["additive-dealer", "shamir"].flatMap { n in (0..<3).map { (n, $0) } }

    /// Party p2 corrupts the first data message it sends to p0 after setup. Every party
    /// must fail with an MPCError (p0: malformed, naming p2; others: an abort naming who
    /// gave up), and none may return a value. The job timeout is long (60 s) and the error
    /// codes exclude `.timeout`, so passing proves the parties aborted rather than waited,
    /// without a wall-clock assertion that a loaded CI machine could trip.
    @Test("a malformed share message fails the job on every party", arguments: cases)
    func malformedMessage(_ name: String, _ kind: Int) async throws {
        let proto = try testRegistry().named(name)
        let tamper = Tamper.allCases[kind]
        if tamper == .nonCanonical && proto.descriptor.domain == .ring64 { return }  // every word is valid there
        let r = await simulate(proto, parties: 3, timeout: .seconds(60), wrap: { p, base in
            guard p == "p2" else { return base }
            return TestChannel(base) { peer, tag, payload in
                // Steps 1–3 are setup (seeds); corrupt the first later data message to p0.
                guard peer == "p0", tag.rawValue >= 3, tag != MPCContext.abortTag, payload.count > 9 else { return nil }
                var b = payload.bytes
                switch tamper {
                case .truncate: b.removeLast()
                case .extend: b += [0, 0, 0, 0, 0, 0, 0, 0]
                case .nonCanonical: b.replaceSubrange(1..<9, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
                }
                return Payload(b)
            }
        }) { engine in try await mulJob(engine) }
        for p in partyNames(3) {
            switch r[p]! {
            case .success: Issue.record("\(name): \(p) returned a value despite the malformed message")
            case .failure(let e):
                let err = try #require(e as? MPCError, "\(p) failed with \(e), not an MPCError")
                if p == "p0" {
                    #expect(err.code == MPCError.Code.malformedMessage || err.code == MPCError.Code.inconsistentShares)
                    #expect(err.peer == "p2" || err.code == MPCError.Code.inconsistentShares, "\(err)")
                } else {
                    #expect(err.code == MPCError.Code.peerAborted || err.code == MPCError.Code.malformedMessage || err.code == MPCError.Code.inconsistentShares, "\(p): \(err)")
                }
            }
        }
    }

    /// A crashed party: the others fail with a timeout naming it (or the abort of the one
    /// that timed out first), within the job timeout. The timeout is generous so that a
    /// live party slowed by the parallel conformance tests is not mistaken for the crash.
    @Test("a silent party makes the others time out with its name", arguments: ["additive-dealer", "shamir"])
    func crashedPeer(_ name: String) async throws {
        let proto = try testRegistry().named(name)
        let mesh = InMemoryMesh(parties: partyNames(3))
        let start = ContinuousClock.now
        let r = await simulate(proto, parties: 3, timeout: .seconds(10), mesh: mesh) { engine in
            if engine.context.localParty == "p2" {
                mesh.crash("p2")
                throw MPCError(.cancelled, "crashed")
            }
            return try await mulJob(engine)
        }
        // Bounded by the job timeout, not a hang; generous for a loaded machine.
        #expect(ContinuousClock.now - start < .seconds(90))
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
