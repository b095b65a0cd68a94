import Foundation
import Logging
import Testing
import TacitLedger
import TacitNet
import TacitTestSupport

@testable import TacitNode

/// The transport allow-list is the ledger's current membership (issue 11: it was built from
/// the genesis, so a member removed on the ledger stayed admitted).
@Suite("The allow-list follows the ledger", .serialized, .timeLimit(.minutes(8)))
struct MembershipAllowListTests {
    static let names = ["A", "B", "C"]

    @Test("a committed MemberRemoved reaches the mesh at once and a restart starts without the member")
    func removalReachesTheMesh() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-allow-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = try freePorts(Self.names.count)
        let genesis = try LedgerFiles.createTestnet(
            dir: dir, members: Self.names.enumerated().map { ($1, "tcp://127.0.0.1:\(ports[$0])") })
        let logger = Logger(label: "test")
        let start = try LedgerFiles.consortium(try genesis.verify())
        var t = ConsensusTimeouts()
        t.propose = .milliseconds(300)
        t.tick = .milliseconds(100)
        var meshes: [String: ZeroMQMesh] = [:]
        var ledgers: [String: ConsortiumLedger] = [:]
        var followers: [Task<Void, Never>] = []
        for n in Self.names {
            var c = MeshConfiguration(
                name: PartyID(n), keyPair: CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(dir)/\(n).key")),
                consortium: start)
            c.linger = .milliseconds(100)
            c.reconnectIntervalMax = .milliseconds(300)
            let mesh = try ZeroMQMesh(configuration: c, logger: logger)
            meshes[n] = mesh
            let ledger = try await ConsortiumLedger.start(
                identity: try LedgerFiles.signingKey(dir: dir, name: n), genesis: genesis, databasePath: "\(dir)/\(n).sqlite",
                channel: mesh, timeouts: t, submitTimeout: .seconds(30), logger: logger)
            ledgers[n] = ledger
            followers.append(PartyNode.followMembership(ledger: ledger, mesh: mesh, logger: logger))
        }
        func stop() async {
            for f in followers { f.cancel() }
            for l in ledgers.values { await l.close() }
            for m in meshes.values { m.close() }
        }
        guard let a = meshes["A"], let ledgerA = ledgers["A"] else { throw TestFailure("A did not start") }
        #expect(a.parties == ["A", "B", "C"])

        // Every member endorses (the default change threshold is all of them).
        let ids = try Self.names.map { try LedgerFiles.signingKey(dir: dir, name: $0) }
        let removal = Transaction(
            chainID: genesis.hash, author: ids[0], nonce: 1, body: .memberRemoved(name: "C"), endorsers: [ids[1], ids[2]])
        do {
            _ = try await ledgerA.node.submitAndWait(removal, timeout: commitTimeout)
        } catch {
            await stop()
            throw error
        }

        let followed = await eventually { a.parties == ["A", "B"] }
        #expect(followed)
        let e = await #expect(throws: NetError.self) {
            try await a.send(Payload([1]), to: "C", session: SessionID(1), tag: 1)
        }
        #expect(e?.code == .unknownPeer)
        await stop()

        // After a restart the mesh is built from the replayed ledger, not the genesis.
        let replayed = try #require(PartyNode.replayedMembership(genesis: genesis, databasePath: "\(dir)/A.sqlite", logger: logger))
        let consortium = try #require(PartyNode.transportConsortium(replayed, logger: logger))
        #expect(consortium.names == ["A", "B"])
    }

    @Test("a ledger record the transport cannot use is left out, not fatal")
    func unusableRecordsAreLeftOut() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-allow-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let genesis = try LedgerFiles.createTestnet(dir: dir, members: [("A", "tcp://127.0.0.1:1"), ("B", "not-an-endpoint")])
        let c = try #require(PartyNode.transportConsortium(try genesis.verify(), logger: Logger(label: "test")))
        #expect(c.names == ["A"])
    }

    func eventually(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
