import Foundation
import Testing
import TacitTestSupport

@_spi(Testing) @testable import TacitNet

/// An established connection that ends without this party closing it is counted
/// (`connectionsLost`) and logged naming the peer (issue 11: "log every drop"; a heartbeat
/// cut, a dead peer or a failed link used to be redialled silently). Closing one's own mesh
/// counts and warns about nothing.
@Suite("Lost connections", .serialized, .timeLimit(.minutes(8)))
struct ConnectionLossTests {
    /// Polls the peer's STATS line until `key` reaches `atLeast` or `timeout` passes.
    static func waitForStat(_ p: PeerProcess, _ key: String, atLeast: Int, timeout: Duration = .seconds(30)) async throws
        -> Int
    {
        let deadline = ContinuousClock.now + timeout
        var value = try await p.stats()[key] ?? 0
        while value < atLeast && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            value = try await p.stats()[key] ?? 0
        }
        return value
    }

    /// A and B have each sent to the other, so each has a lane connected to the other and
    /// holds the other's lane on its bound socket, identified by a received message.
    static func connect(_ a: PeerProcess, _ b: PeerProcess) async throws {
        #expect(try await a.ask("send B 1 1 10 1") == "OK send")
        #expect(try await b.ask("recv A 1 1 30000") == "OK recv 10 \(expectedChecksum(size: 10, seed: 1))")
        #expect(try await b.ask("send A 1 1 10 2") == "OK send")
        #expect(try await a.ask("recv B 1 1 30000") == "OK recv 10 \(expectedChecksum(size: 10, seed: 2))")
    }

    @Test("a killed peer's two connections are counted and logged by the survivor, naming it")
    func killedPeerIsCountedBySurvivor() async throws {
        let t = try TestConsortium(["A", "B"])
        defer { t.cleanup() }
        let a = try await t.start("A")
        let b = try await t.start("B")
        defer { a.kill(); b.kill() }
        try await Self.connect(a, b)
        #expect(try await a.stats()["lost"] == 0)
        b.kill()
        // A's lane to B and B's lane into A's bound socket.
        let lost = try await Self.waitForStat(a, "lost", atLeast: 2)
        #expect(lost == 2)
        #expect(a.stderr.contains("lost the connection to a peer"))
        #expect(a.stderr.contains("lost an inbound connection"))
        #expect(a.stderr.contains("peer=B"))
        #expect(a.stderr.contains("pieceSize"))
        // A is still up, and its lane redials B once B is back.
        #expect(try await a.ask("stats").hasPrefix("STATS"))
    }

    @Test("a peer that closes its mesh is counted by the survivor; the one closing warns about nothing")
    func cleanCloseIsCountedOnlyByThePeer() async throws {
        let t = try TestConsortium(["A", "B"])
        defer { t.cleanup() }
        let a = try await t.start("A")
        let b = try await t.start("B")
        defer { a.kill(); b.kill() }
        try await Self.connect(a, b)
        #expect(try await b.ask("quit") == "BYE")
        let lost = try await Self.waitForStat(a, "lost", atLeast: 2)
        #expect(lost == 2)
        #expect(try await a.ask("quit") == "BYE")
        // Waits for the exit and the end of its output.
        b.kill()
        a.kill()
        #expect(!b.stderr.contains("lost the connection"), "B closed its own mesh:\n\(b.stderr)")
        #expect(!b.stderr.contains("lost an inbound connection"), "B closed its own mesh:\n\(b.stderr)")
        // Nor did A warn when it closed after B was gone (its lane to B was not connected).
        #expect(a.stderr.components(separatedBy: "lost the connection to a peer").count == 2)
    }

    /// A and B in this process over loopback, each having sent to the other.
    static func pair(maxMessageSizeOfA: Int? = nil) async throws -> (ZeroMQMesh, ZeroMQMesh) {
        let (ka, kb) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let ports = try freePorts(2)
        let consortium = try Consortium(members: [
            .init(name: "A", publicKey: ka.publicKey, endpoint: "tcp://127.0.0.1:\(ports[0])"),
            .init(name: "B", publicKey: kb.publicKey, endpoint: "tcp://127.0.0.1:\(ports[1])"),
        ])
        var ca = MeshConfiguration(name: "A", keyPair: ka, consortium: consortium)
        ca.linger = .milliseconds(100)
        if let maxMessageSizeOfA { ca.maxMessageSize = maxMessageSizeOfA }
        var cb = MeshConfiguration(name: "B", keyPair: kb, consortium: consortium)
        cb.linger = .milliseconds(100)
        let a = try ZeroMQMesh(configuration: ca)
        let b: ZeroMQMesh
        do { b = try ZeroMQMesh(configuration: cb) } catch {
            a.close()
            throw error
        }
        do {
            try await a.send(Payload([1]), to: "B", session: SessionID(1), tag: 1)
            _ = try await b.receive(from: "A", session: SessionID(1), tag: 1, timeout: .seconds(30))
            try await b.send(Payload([2]), to: "A", session: SessionID(1), tag: 1)
            _ = try await a.receive(from: "B", session: SessionID(1), tag: 1, timeout: .seconds(30))
        } catch {
            a.close()
            b.close()
            throw error
        }
        return (a, b)
    }

    @Test("in process: closing one mesh counts two lost connections on the other and none on itself")
    func inProcessClose() async throws {
        let (a, b) = try await Self.pair()
        defer { a.close(); b.close() }
        #expect(a.stats.connectionsLost == 0)
        b.close()
        #expect(await eventually { a.stats.connectionsLost >= 2 }, "lost: \(a.stats.connectionsLost)")
        #expect(a.stats.connectionsLost == 2)
        #expect(b.stats.connectionsLost == 0)
        #expect(a.stats.description.contains("lost=2"))
    }

    @Test("a frame libzmq itself rejects as oversized ends the connection, counted as lost at both ends")
    func frameOverLibzmqLimitIsCountedAsLost() async throws {
        let (a, b) = try await Self.pair(maxMessageSizeOfA: 1024)
        defer { a.close(); b.close() }
        let header = FrameHeader(sender: "B", session: SessionID(1), tag: 2, payloadLength: UInt64(1024 + 2 * IOLoop.wireSlack))
        try await b.sendRawFrames(
            [header.encode(), [UInt8](repeating: 7, count: 1024 + 2 * IOLoop.wireSlack)], to: "A")
        #expect(await eventually { a.stats.connectionsLost >= 1 && b.stats.connectionsLost >= 1 },
            "lost: A \(a.stats.connectionsLost), B \(b.stats.connectionsLost)")
        #expect(a.stats.connectionsLost == 1)
        #expect(a.stats.oversizedDropped == 0)
        // B redials; the link works again.
        try await b.send(Payload([3]), to: "A", session: SessionID(1), tag: 3)
        #expect(try await a.receive(from: "B", session: SessionID(1), tag: 3, timeout: .seconds(30)) == Payload([3]))
    }
}
