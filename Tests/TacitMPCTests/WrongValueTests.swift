import Foundation
import TacitBytes
import Testing
import TacitMPC
import TacitNet

/// Adds `deltas[i]` modulo 2^61 − 1 to word i of a data payload (kind byte, then
/// little-endian words), keeping every word canonical: a share that passes every format
/// check but is not the one the protocol computed.
func shiftFieldWords(_ payload: Payload, by delta: (Int) -> UInt64) -> Payload {
    let p: UInt64 = (1 << 61) - 1
    var b = payload.bytes
    var i = 0
    while 1 + 8 * i + 8 <= b.count {
        var w: UInt64 = 0
        for k in 0..<8 { w |= UInt64(b[1 + 8 * i + k]) << UInt64(8 * k) }
        w = (w + delta(i) % p) % p
        for k in 0..<8 { b[1 + 8 * i + k] = UInt8(truncatingIfNeeded: w >> UInt64(8 * k)) }
        i += 1
    }
    return Payload(b)
}

/// What `shamir` does when a member sends shares that are well formed (right length,
/// canonical) but wrong: the README's threat model, as tests.
@Suite("A member that sends well-formed but wrong Shamir shares")
struct WrongShamirShareTests {
    /// The step p2 is about to run, published by p2's program before it sends (its channel's
    /// tamper hook reads it).
    final class Target: Sendable {
        let step = Locked<UInt64>(0)
    }

    func inputThenReveal<E: MPCEngine>(_ e: E, target: Target, to recipients: [PartyID]?) async throws -> [Int64]? {
        let ps = e.context.parties
        let me = e.context.localParty
        let x = try await e.input(me == ps[0] ? [11, -12, 13] : nil, from: ps[0], count: 3)
        if me == "p2" { target.step.withLock { $0 = e.context.stepCount + 1 } }
        return try await e.reveal(x, to: recipients)
    }

    func multiplyThenReveal<E: MPCEngine>(_ e: E, target: Target) async throws -> [Int64] {
        let ps = e.context.parties
        let me = e.context.localParty
        let x = try await e.input(me == ps[0] ? [5, -6] : nil, from: ps[0], count: 2)
        let y = try await e.input(me == ps[1] ? [7, 8] : nil, from: ps[1], count: 2)
        if me == "p2" { target.step.withLock { $0 = e.context.stepCount + 1 } }
        let z = try await e.multiply(x, y)
        return try await e.reveal(z)
    }

    /// p2 adds 1 to one element of the share it opens to p0: the value is in range, so only
    /// the consistency check (all n shares on one polynomial of degree t) can catch it. p0
    /// must fail with `inconsistentShares` and return nothing; with n = 3 = 2t + 1 there is no
    /// redundancy to tell which sender lied, so the error names no peer but lists the
    /// senders it could be. The other parties fail with p0's abort.
    @Test("an in-range share off the polynomial fails the reveal on the recipient", arguments: [false, true])
    func inconsistentOpening(_ toOneParty: Bool) async throws {
        let proto = try testRegistry().named("shamir")
        let target = Target()
        let r = await simulate(proto, parties: 3, timeout: .seconds(60), wrap: { p, base in
            guard p == "p2" else { return base }
            return TestChannel(base) { peer, tag, payload in
                guard peer == "p0", tag.rawValue == target.step.withLock({ $0 }) else { return nil }
                return shiftFieldWords(payload) { $0 == 1 ? 1 : 0 }
            }
        }) { engine in try await inputThenReveal(engine, target: target, to: toOneParty ? ["p0"] : nil) }
        #expect(target.step.withLock { $0 } > 0)
        guard case .failure(let e) = r["p0"]! else {
            Issue.record("p0 accepted shares that are not on one polynomial")
            return
        }
        let err = try #require(e as? MPCError, "\(e)")
        #expect(err.code == MPCError.Code.inconsistentShares, "\(err)")
        #expect(err.peer == nil, "\(err)")
        #expect(err.message.contains("element 1") && err.message.contains("p1") && err.message.contains("p2"), "\(err)")
        for p in ["p1", "p2"] as [PartyID] {
            guard case .failure(let e) = r[p]! else {
                Issue.record("\(p) returned a value although p0 aborted")
                continue
            }
            let err = try #require(e as? MPCError, "\(e)")
            #expect(err.code == MPCError.Code.peerAborted && err.peer == "p0", "\(p): \(err)")
        }
    }

    /// The limit of that check, as documented: in a multiplication p2 reshares its local
    /// product; if it deals a *consistent* sharing of a different value (here it adds
    /// δ·(3 − x) to the polynomial, so p0 at x = 1 gets +2δ, p1 at x = 2 gets +δ and its own
    /// share is unchanged), every later share is consistent and the product is silently off
    /// by λ₃·3δ = 3δ. Semi-honest engines do not detect this: a malicious member can bias
    /// outputs. If this test starts failing because the job fails, the engine gained a
    /// malicious-security check and its README's threat model should say so.
    @Test("a consistent wrong reshare in a multiplication shifts the product undetected")
    func biasedReshare() async throws {
        let proto = try testRegistry().named("shamir")
        let target = Target()
        let r = await simulate(proto, parties: 3, timeout: .seconds(60), wrap: { p, base in
            guard p == "p2" else { return base }
            return TestChannel(base) { peer, tag, payload in
                guard tag.rawValue == target.step.withLock({ $0 }) else { return nil }
                if peer == "p0" { return shiftFieldWords(payload) { _ in 2 } }
                if peer == "p1" { return shiftFieldWords(payload) { _ in 1 } }
                return nil
            }
        }) { engine in try await multiplyThenReveal(engine, target: target) }
        for p in partyNames(3) {
            #expect(try r[p]!.get() == [38, -45], "\(p)")
        }
    }
}
