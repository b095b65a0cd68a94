import Foundation
import Testing
import TacitTestSupport

@testable import TacitNet

/// Refusals that happen before the ZAP allow-list is asked are counted and logged too
/// (issue 11: a wrong mechanism or a failed CURVE handshake left no trace).
@Suite("Refusals before the allow-list", .timeLimit(.minutes(8)))
struct RefusalTests {
    /// A, and a client B whose view of A is given by `serverKey` and `security`.
    static func pair(serverKey: CurvePublicKey?, security: TransportSecurity) throws -> (ZeroMQMesh, ZeroMQMesh) {
        let (ka, kb) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let ports = try freePorts(2)
        let ea = "tcp://127.0.0.1:\(ports[0])"
        let eb = "tcp://127.0.0.1:\(ports[1])"
        let truth = try Consortium(members: [
            .init(name: "A", publicKey: ka.publicKey, endpoint: ea), .init(name: "B", publicKey: kb.publicKey, endpoint: eb),
        ])
        let bView = try Consortium(members: [
            .init(name: "A", publicKey: serverKey ?? ka.publicKey, endpoint: ea),
            .init(name: "B", publicKey: kb.publicKey, endpoint: eb),
        ])
        var ca = MeshConfiguration(name: "A", keyPair: ka, consortium: truth)
        ca.linger = .milliseconds(100)
        var cb = MeshConfiguration(name: "B", keyPair: kb, consortium: bView)
        cb.linger = .milliseconds(100)
        cb.security = security
        cb.reconnectIntervalMax = .milliseconds(200)
        return (try ZeroMQMesh(configuration: ca), try ZeroMQMesh(configuration: cb))
    }

    @Test("a CURVE client that pins another server key is counted as a failed handshake")
    func wrongServerKey() async throws {
        let (a, b) = try Self.pair(serverKey: try CurveKeyPair.generate().publicKey, security: .curve)
        defer { a.close(); b.close() }
        try await b.send(Payload([1]), to: "A", session: SessionID(1), tag: 1)
        #expect(await eventually { a.stats.handshakesFailed >= 1 })
        #expect(a.stats.connectionsRefused == 0)
        #expect(a.stats.messagesReceived == 0)
    }

    @Test("a client without CURVE is counted as a failed handshake")
    func noCurve() async throws {
        let (a, b) = try Self.pair(serverKey: nil, security: .plainTCPInsecure)
        defer { a.close(); b.close() }
        try await b.send(Payload([1]), to: "A", session: SessionID(1), tag: 1)
        #expect(await eventually { a.stats.handshakesFailed >= 1 })
        #expect(a.stats.messagesReceived == 0)
    }
}
