import Foundation
import TacitBytes
import TacitNet
import Testing

@testable import TacitLedger

/// An in-memory channel whose parties change, as a `ZeroMQMesh`'s do on `updateConsortium`.
struct ChangingChannel: PartyChannel {
    let base: InMemoryChannel
    let listed: Locked<[PartyID]>

    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { listed.withLock { $0 } }
    var defaultTimeout: Duration { base.defaultTimeout }
    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: TacitNet.Tag) async throws {
        try await base.send(payload, to: peer, session: session, tag: tag)
    }
    func receive(from peer: PartyID, session: SessionID, tag: TacitNet.Tag, timeout: Duration?) async throws -> Payload {
        try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }
    func endSession(_ session: SessionID) { base.endSession(session) }
}

/// A ledger node's peers are the replica's current members the channel knows (issue 11: they
/// were fixed at start, so a member added later was never sent to nor heard).
@Suite("Ledger peers follow the membership", .serialized, .timeLimit(.minutes(8)))
struct PeerLinkTests {
    @Test("an added member is linked once the channel knows it, a removed one is unlinked at its commit, none after stop")
    func peersFollowTheMembership() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-peers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let founders = ["a", "b", "c"]
        let genesis = try LedgerFiles.createTestnet(dir: dir, members: founders.enumerated().map { ($1, "tcp://127.0.0.1:\(21000 + $0)") })
        let recordD = try LedgerFiles.createTestnetMember(dir: dir, name: "d", endpoint: "tcp://127.0.0.1:21003")
        let mesh = InMemoryMesh(parties: ["a", "b", "c", "d"])
        let listed = Locked<[PartyID]>(["a", "b", "c"])
        var t = ConsensusTimeouts()
        t.propose = .milliseconds(300)
        t.tick = .milliseconds(100)
        var ids: [String: SigningIdentity] = [:]
        for n in founders + ["d"] { ids[n] = try LedgerFiles.signingKey(dir: dir, name: n) }
        var nodes: [String: LedgerNode] = [:]
        func startNode(_ n: String) async throws {
            let node = try LedgerNode(
                identity: ids[n]!, replica: try Replica(store: try LedgerStore(path: "\(dir)/\(n).db"), genesis: genesis),
                channel: ChangingChannel(base: mesh.channel(for: PartyID(n)), listed: listed), timeouts: t)
            await node.start()
            nodes[n] = node
        }
        func stopAll() async { for n in nodes.values { await n.stop() } }
        do {
            for n in founders { try await startNode(n) }
            let a = try #require(nodes["a"])
            #expect(await a.linkedPeers == ["b", "c"])

            let add = Transaction(chainID: genesis.hash, author: ids["a"]!, nonce: 1, body: .memberAdded(recordD), endorsers: [ids["b"]!, ids["c"]!])
            _ = try await a.submitAndWait(add, timeout: commitTimeout)
            // d is a member now but the channel does not know it yet: nothing to link.
            #expect(await a.linkedPeers == ["b", "c"])
            listed.withLock { $0 = ["a", "b", "c", "d"] }
            for n in founders { await nodes[n]!.refreshPeers() }
            #expect(await a.linkedPeers == ["b", "c", "d"])

            // d starts from a copy of a's replica; with c down, 3 of 4 commit only with d's votes.
            try LedgerStore(path: "\(dir)/a.db", readOnly: true).backup(to: "\(dir)/d.db")
            try await startNode("d")
            await nodes.removeValue(forKey: "c")?.stop()
            let h = try await a.submitAndWait(await a.author(job("after-d", ["a", "d"])), timeout: commitTimeout)
            let d = try #require(nodes["d"])
            try await waitUntil("d reaches height \(h)") { await d.height >= h }
            #expect(await d.hash(at: h) == a.hash(at: h))

            // A removal unlinks at its commit, although the channel still lists the member.
            let remove = Transaction(
                chainID: genesis.hash, author: ids["a"]!, nonce: 10, body: .memberRemoved(name: "c"), endorsers: [ids["b"]!, ids["c"]!, ids["d"]!])
            _ = try await a.submitAndWait(remove, timeout: commitTimeout)
            #expect(await a.linkedPeers == ["b", "d"])

            await a.stop()
            #expect(await a.linkedPeers == [])
            await a.refreshPeers()
            #expect(await a.linkedPeers == [], "a stopped node links nothing")
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }
}
