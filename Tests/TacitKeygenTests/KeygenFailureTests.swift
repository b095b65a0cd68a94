import Testing
import TacitMPC
import TacitNet
@testable import TacitKeygen

/// A party's channel that misbehaves at one protocol step (tag): `tamper` may replace an
/// outgoing payload (nil: send it unchanged) or throw, as an aborting party's node does; from
/// step `silentFrom` on it sends nothing at all (not even an abort), as a crashed party.
struct MisbehavingChannel: PartyChannel {
    let base: any PartyChannel
    var silentFrom: UInt64? = nil
    let tamper: @Sendable (Payload, TacitNet.Tag) throws -> Payload?

    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { base.parties }
    var defaultTimeout: Duration { base.defaultTimeout }

    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: TacitNet.Tag) async throws {
        if let silentFrom, tag.rawValue >= silentFrom { return }
        if tag == MPCContext.abortTag {
            try await base.send(payload, to: peer, session: session, tag: tag)
            return
        }
        try await base.send(try tamper(payload, tag) ?? payload, to: peer, session: session, tag: tag)
    }

    func receive(from peer: PartyID, session: SessionID, tag: TacitNet.Tag, timeout: Duration?) async throws -> Payload {
        try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }

    func endSession(_ session: SessionID) { base.endSession(session) }
}

@Suite("A founder that fails, aborts or misbehaves fails the ceremony on all, by name")
struct KeygenFailureTests {
    let names = partyNames(3)
    var culprit: PartyID { names[1] }

    /// Every honest party failed, with one of `codes`, naming the culprit (as the peer, or in
    /// the quoted reason of another honest party's abort).
    func expectNamed(_ results: [PartyID: Result<DistributedPaillier.Outcome, any Error>], codes: Set<MPCError.Code>,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(results.count == names.count, sourceLocation: sourceLocation)
        for (party, result) in results where party != culprit {
            guard case .failure(let error) = result else {
                Issue.record("\(party) finished although \(culprit) misbehaved", sourceLocation: sourceLocation)
                continue
            }
            guard let e = error as? MPCError else {
                Issue.record("\(party) failed with \(error), not an MPCError", sourceLocation: sourceLocation)
                continue
            }
            #expect(codes.contains(e.code) || e.code == .peerAborted, "\(party): \(e)", sourceLocation: sourceLocation)
            #expect(e.peer == culprit || e.message.contains(culprit.name), "\(party): \(e)", sourceLocation: sourceLocation)
        }
        if case .success = results[culprit] {
            Issue.record("the misbehaving party finished", sourceLocation: sourceLocation)
        }
    }

    func run(timeout: Duration = .seconds(120), silentFrom: UInt64? = nil,
             _ tamper: @escaping @Sendable (Payload, TacitNet.Tag) throws -> Payload?) async -> [PartyID: Result<DistributedPaillier.Outcome, any Error>] {
        let culprit = self.culprit
        return await ceremony(parties: 3, parameters(bits: 512, threshold: 2), timeout: timeout) { party, channel in
            party == culprit ? MisbehavingChannel(base: channel, silentFrom: silentFrom, tamper: tamper) : channel
        }
    }

    @Test("a message one word short at the sieve step: malformedMessage naming the sender")
    func truncatedMessage() async {
        let results = await run { payload, tag in
            guard tag.rawValue == 2 else { return nil }
            return Payload(payload.bytes.dropLast(8))
        }
        expectNamed(results, codes: [.malformedMessage])
        // At least one honest party caught it itself (not only through another's abort).
        #expect(results.values.contains { r in
            if case .failure(let e as MPCError) = r { return e.code == .malformedMessage && e.peer == culprit }
            return false
        })
    }

    @Test("a share outside the ring (right length, value ≥ m): malformedMessage naming the sender")
    func valueOutOfRange() async {
        let results = await run { payload, tag in
            guard tag.rawValue == 2 else { return nil }
            var bytes = payload.bytes
            for i in 1..<min(bytes.count, 1 + 8 * 32) { bytes[i] = 0xFF }
            return Payload(bytes)
        }
        expectNamed(results, codes: [.malformedMessage])
    }

    @Test("an out-of-range value at the modulus step: malformedMessage naming the sender")
    func modulusStepOutOfRange() async {
        // Tag 4 with 3 parties: coin (1), sieve shares (2), sieve product (3), modulus shares (4).
        let results = await run { payload, tag in
            guard tag.rawValue == 4 else { return nil }
            var bytes = payload.bytes
            for i in 1..<min(bytes.count, 1 + 8 * 64) { bytes[i] = 0xFF }
            return Payload(bytes)
        }
        expectNamed(results, codes: [.malformedMessage])
    }

    @Test("a founder whose node fails mid-ceremony aborts it: peerAborted naming it on every other")
    func abortingParty() async {
        let results = await run { _, tag in
            if tag.rawValue == 3 { throw NetError(.transport, "simulated failure of this founder's node") }
            return nil
        }
        expectNamed(results, codes: [.peerAborted])
        for (party, result) in results where party != culprit {
            if case .failure(let e as MPCError) = result { #expect(e.code == .peerAborted, "\(party): \(e)") }
        }
    }

    @Test("a founder that goes silent (crashes): the others time out naming it")
    func silentParty() async {
        // The culprit sends nothing from step 3 on (nor an abort); it still fails itself
        // when its own wait times out.
        let results = await run(timeout: .seconds(10), silentFrom: 3) { _, _ in nil }
        expectNamed(results, codes: [.timeout])
        for (party, result) in results where party != culprit {
            if case .failure(let e as MPCError) = result {
                #expect(e.code == .timeout || e.code == .peerAborted, "\(party): \(e)")
            }
        }
    }

    @Test("a founder with other parameters is refused by name before any key material is exchanged")
    func mismatchedParameters() async {
        let results = await ceremony(parties: 3, parameters(bits: 512, threshold: 2),
                                     override: [culprit: parameters(bits: 512, threshold: 3)])
        expectNamed(results, codes: [.invalidParameter])
        // A different candidate budget would make the parties stop at different rounds.
        var budget = parameters(bits: 512, threshold: 2)
        budget.maxCandidates = 1000
        let other = await ceremony(parties: 3, parameters(bits: 512, threshold: 2), override: [culprit: budget])
        expectNamed(other, codes: [.invalidParameter])
        for (party, result) in other where party != culprit {
            if case .failure(let e as MPCError) = result { #expect(e.code == .invalidParameter || e.code == .peerAborted, "\(party): \(e)") }
        }
    }

    @Test("parameters that cannot work are refused with invalidParameter or unsupported")
    func badParameters() async {
        for (parties, params, code) in [
            (3, parameters(bits: 512, threshold: 4), MPCError.Code.invalidParameter),
            (3, parameters(bits: 511, threshold: 2), .invalidParameter),
            (3, DistributedPaillier.Parameters(bits: 1024, threshold: 2), .invalidParameter),  // standard policy: ≥ 2048
        ] {
            let results = await ceremony(parties: parties, params)
            for (_, r) in results {
                guard case .failure(let e as MPCError) = r else { Issue.record("accepted \(params)"); continue }
                #expect(e.code == code || e.code == .peerAborted, "\(e)")
            }
        }
        let two = await ceremony(parties: 2, parameters(bits: 512, threshold: 2))
        for (_, r) in two {
            guard case .failure(let e as MPCError) = r else { Issue.record("2 parties accepted"); continue }
            #expect(e.code == .unsupported || e.code == .peerAborted, "\(e)")
        }
    }
}
