import Foundation
import Testing
import TacitTestSupport

@_spi(Testing) @testable import TacitNet

/// Large payloads travel in pieces (issue 11: one message that took longer than the
/// heartbeat timeout to arrive was cut silently), and hostile pieces cannot hurt the receiver.
@Suite("Large messages in pieces", .timeLimit(.minutes(8)))
struct LargeMessagePieceTests {
    static func meshes(_ configure: (inout MeshConfiguration) -> Void = { _ in }) throws -> (ZeroMQMesh, ZeroMQMesh) {
        let (ka, kb) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let ports = try freePorts(2)
        let consortium = try Consortium(members: [
            .init(name: "A", publicKey: ka.publicKey, endpoint: "tcp://127.0.0.1:\(ports[0])"),
            .init(name: "B", publicKey: kb.publicKey, endpoint: "tcp://127.0.0.1:\(ports[1])"),
        ])
        var ca = MeshConfiguration(name: "A", keyPair: ka, consortium: consortium)
        ca.linger = .milliseconds(100)
        ca.maxMessageSize = 1 << 20
        configure(&ca)
        var cb = MeshConfiguration(name: "B", keyPair: kb, consortium: consortium)
        cb.linger = .milliseconds(100)
        cb.pieceSize = 64 << 10
        return (try ZeroMQMesh(configuration: ca), try ZeroMQMesh(configuration: cb))
    }

    static func pattern(_ n: Int, seed: UInt8) -> Payload {
        Payload((0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed })
    }

    @Test("a payload over pieceSize arrives whole and in order with what follows it")
    func roundTrip() async throws {
        let (a, b) = try Self.meshes()
        defer { a.close(); b.close() }
        let big = Self.pattern((1 << 20) - 5, seed: 7)
        try await b.send(big, to: "A", session: SessionID(1), tag: 1)
        try await b.send(Payload([42]), to: "A", session: SessionID(1), tag: 1)
        #expect(try await a.receive(from: "B", session: SessionID(1), tag: 1, timeout: .seconds(30)) == big)
        #expect(try await a.receive(from: "B", session: SessionID(1), tag: 1, timeout: .seconds(30)) == Payload([42]))
        #expect(b.stats.messagesSent == 16 + 1)
        #expect(a.stats.messagesReceived == 2)
        #expect(a.stats.piecesDropped == 0)
    }

    @Test("hostile pieces are dropped and counted; the receiver stays up and still reassembles")
    func hostilePieces() async throws {
        let (a, b) = try Self.meshes { $0.maxAssembliesPerPeer = 2 }
        defer { a.close(); b.close() }
        func piece(_ id: UInt64, total: UInt64, offset: UInt64, length: Int, session: UInt64 = 5) -> [[UInt8]] {
            let h = FrameHeader(
                sender: "B", session: SessionID(session), tag: Tag(1), payloadLength: UInt64(length),
                piece: .init(messageID: id, total: total, offset: offset))
            return [h.encode(), [UInt8](repeating: 0xAB, count: length)]
        }
        let hostile: [[[UInt8]]] = [
            piece(1, total: 100, offset: 10, length: 10),  // no start
            piece(2, total: 2 << 20, offset: 0, length: 10),  // total over maxMessageSize
            piece(3, total: 100, offset: 95, length: 10),  // past the end
            piece(4, total: 100, offset: UInt64.max, length: 10),  // offset overflow
            piece(5, total: 100, offset: 0, length: 50),  // kept
            piece(5, total: 100, offset: 40, length: 10),  // overlap: drops message 5
            piece(5, total: 100, offset: 50, length: 50),  // its start is gone now
            piece(6, total: 100, offset: 0, length: 10),  // kept
            piece(7, total: 100, offset: 0, length: 10),  // kept (2 in progress)
            piece(8, total: 100, offset: 0, length: 10),  // a third: over maxAssembliesPerPeer
            piece(6, total: 100, offset: 10, length: 10, session: 6),  // another session: drops 6
            piece(7, total: 99, offset: 10, length: 10),  // another total: drops 7
        ]
        for frames in hostile { try await b.sendRawFrames(frames, to: "A") }
        #expect(await eventually { a.stats.piecesDropped == 9 })
        // A real large message still gets through, and nothing hostile was delivered.
        let big = Self.pattern(300_000, seed: 3)
        try await b.send(big, to: "A", session: SessionID(5), tag: 1)
        #expect(try await a.receive(from: "B", session: SessionID(5), tag: 1, timeout: .seconds(30)) == big)
        #expect(a.stats.messagesReceived == 1)
        #expect(a.stats.piecesDropped == 9)
    }

    @Test("a message whose next piece never comes expires")
    func incompleteMessageExpires() async throws {
        let (a, b) = try Self.meshes { $0.pieceTimeout = .milliseconds(300) }
        defer { a.close(); b.close() }
        let h = FrameHeader(
            sender: "B", session: SessionID(1), tag: Tag(1), payloadLength: 10,
            piece: .init(messageID: 1, total: 100, offset: 0))
        try await b.sendRawFrames([h.encode(), [UInt8](repeating: 1, count: 10)], to: "A")
        #expect(await eventually { a.stats.assembliesExpired == 1 })
        #expect(a.stats.messagesReceived == 0)
    }
}
