import Foundation
import Testing
import TacitTestSupport

@testable import TacitNet

/// The allow-list follows the consortium while the mesh runs (issue 11: a member removed on
/// the ledger stayed admitted, an added one could never connect).
@Suite("Membership changes reach the transport", .timeLimit(.minutes(8)))
struct MembershipChangeTests {
    struct Party {
        let name: PartyID
        let keys: CurveKeyPair
        let member: Consortium.Member
    }

    static func parties(_ names: [PartyID]) throws -> [Party] {
        let ports = try freePorts(names.count)
        return try zip(names, ports).map { name, port in
            let kp = try CurveKeyPair.generate()
            return Party(
                name: name, keys: kp,
                member: try .init(name: name, publicKey: kp.publicKey, endpoint: "tcp://127.0.0.1:\(port)"))
        }
    }

    static func mesh(_ p: Party, _ members: [Party]) throws -> ZeroMQMesh {
        var c = MeshConfiguration(name: p.name, keyPair: p.keys, consortium: try Consortium(members: members.map(\.member)))
        c.defaultTimeout = .seconds(30)
        c.linger = .milliseconds(100)
        c.reconnectIntervalMax = .milliseconds(200)
        return try ZeroMQMesh(configuration: c)
    }

    @Test("an added key is admitted and a removed one refused, without a restart")
    func addAndRemoveAtRunTime() async throws {
        let ps = try Self.parties(["A", "B", "C"])
        let (pa, pb, pc) = (ps[0], ps[1], ps[2])
        let a = try Self.mesh(pa, [pa, pb])
        let b = try Self.mesh(pb, ps)
        let c = try Self.mesh(pc, ps)
        defer { [a, b, c].forEach { $0.close() } }
        let s = SessionID(1)

        // C is not yet in A's consortium: its handshake is refused, nothing reaches A.
        try await c.send(Payload([1]), to: "A", session: s, tag: 1)
        #expect(await eventually { a.stats.connectionsRefused >= 1 })
        let unknown = await #expect(throws: NetError.self) {
            try await a.receive(from: "C", session: s, tag: 1, timeout: .seconds(1))
        }
        #expect(unknown?.code == .unknownPeer)

        // Admit C: its next redial is accepted and what it sends from then on arrives. What
        // went out on a connection A refused is lost, as on any refused connection, so C
        // sends until one arrives (a handshake may have been in flight during the update).
        try a.updateConsortium(try Consortium(members: ps.map(\.member)))
        #expect(a.parties == ["A", "B", "C"])
        var admitted = false
        for _ in 0..<30 where !admitted {
            try await c.send(Payload([11]), to: "A", session: s, tag: 11)
            admitted = (try? await a.receive(from: "C", session: s, tag: 11, timeout: .seconds(1))) == Payload([11])
        }
        #expect(admitted)
        try await a.send(Payload([2]), to: "C", session: s, tag: 2)
        #expect(try await c.receive(from: "A", session: s, tag: 2, timeout: .seconds(30)) == Payload([2]))

        // B talks to A over an open connection, then is removed.
        try await b.send(Payload([3]), to: "A", session: s, tag: 3)
        #expect(try await a.receive(from: "B", session: s, tag: 3, timeout: .seconds(30)) == Payload([3]))
        let refusedBefore = a.stats.connectionsRefused
        try a.updateConsortium(try Consortium(members: [pa.member, pc.member]))
        #expect(a.parties == ["A", "C"])

        // Sends to B fail clearly; B's open connection is cut and its redial refused.
        let toB = await #expect(throws: NetError.self) {
            try await a.send(Payload([9]), to: "B", session: s, tag: 4)
        }
        #expect(toB?.code == .unknownPeer)
        #expect(toB?.reason.contains("removed") == true)
        #expect(await eventually { a.stats.connectionsCut >= 1 })
        #expect(await eventually { a.stats.connectionsRefused > refusedBefore })
        try await b.send(Payload([4]), to: "A", session: s, tag: 4)
        let nothing = await #expect(throws: NetError.self) {
            try await a.receive(from: "B", session: s, tag: 4, timeout: .milliseconds(500))
        }
        #expect(nothing?.code == .timeout)

        // C is unaffected.
        try await c.send(Payload([5]), to: "A", session: s, tag: 5)
        #expect(try await a.receive(from: "C", session: s, tag: 5, timeout: .seconds(30)) == Payload([5]))
    }

    @Test("a membership without this party, or with another key for it, changes nothing")
    func updateMustKeepThisParty() throws {
        let ps = try Self.parties(["A", "B"])
        let a = try Self.mesh(ps[0], ps)
        defer { a.close() }
        let other = try CurveKeyPair.generate()
        let wrongKey = try Consortium(members: [
            .init(name: "A", publicKey: other.publicKey, endpoint: ps[0].member.endpoint), ps[1].member,
        ])
        let e1 = #expect(throws: NetError.self) { try a.updateConsortium(wrongKey) }
        #expect(e1?.code == .invalidIdentity)
        let e2 = #expect(throws: NetError.self) { try a.updateConsortium(try Consortium(members: [ps[1].member])) }
        #expect(e2?.code == .invalidIdentity)
        #expect(a.parties == ["A", "B"])
        a.close()
        let e3 = #expect(throws: NetError.self) { try a.updateConsortium(try Consortium(members: ps.map(\.member))) }
        #expect(e3?.code == .closed)
    }
}
