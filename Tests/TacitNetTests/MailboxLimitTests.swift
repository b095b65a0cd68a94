import Foundation
import Testing
import TacitTestSupport

@testable import TacitNet

/// Unread messages are bounded per sender and expire (issue 11: messages for sessions nobody
/// reads were kept without limit and never released).
@Suite("What a peer can leave unread", .timeLimit(.minutes(8)))
struct MailboxLimitTests {
    static func limits(count: Int = 1000, bytes: Int = 1 << 20, expiry: Duration = .seconds(600)) -> MailboxLimits {
        var l = MailboxLimits()
        l.maxMessagesPerPeer = count
        l.maxBytesPerPeer = bytes
        l.unreadSessionExpiry = expiry
        return l
    }

    @Test("a sender's unread messages are capped by count, even empty ones, and reading makes room")
    func countCap() async throws {
        let box = Mailbox(limits: Self.limits(count: 10))
        for i in 0..<25 { box.deliver(.empty, for: MailboxKey(peer: "m", session: SessionID(UInt64(i)), tag: 1)) }
        #expect(box.queuedCount(from: "m") == 10)
        #expect(box.droppedOverLimit == 15)
        // Another sender has its own allowance.
        box.deliver(Payload([1]), for: MailboxKey(peer: "n", session: SessionID(1), tag: 1))
        #expect(box.queuedCount(from: "n") == 1)
        _ = try await box.receive(MailboxKey(peer: "m", session: SessionID(0), tag: 1), timeout: .seconds(5))
        box.deliver(Payload([2]), for: MailboxKey(peer: "m", session: SessionID(99), tag: 1))
        #expect(box.queuedCount(from: "m") == 10)
        #expect(box.droppedOverLimit == 15)
    }

    @Test("a sender's unread bytes are capped; a waiting receiver still gets any size")
    func byteCap() async throws {
        let box = Mailbox(limits: Self.limits(bytes: 100))
        let key = MailboxKey(peer: "m", session: SessionID(1), tag: 1)
        box.deliver(Payload([UInt8](repeating: 1, count: 60)), for: key)
        box.deliver(Payload([UInt8](repeating: 2, count: 60)), for: key)
        #expect(box.bufferedBytes == 60)
        #expect(box.droppedOverLimit == 1)
        #expect(try await box.receive(key, timeout: .seconds(5)).count == 60)
        #expect(box.bufferedBytes == 0)
        // Handed straight to a waiting receive: nothing is buffered, so no limit applies.
        let waiting = Task { try await box.receive(key, timeout: .seconds(30)) }
        #expect(await eventually { box.waitingCount == 1 })
        box.deliver(Payload([UInt8](repeating: 3, count: 500)), for: key)
        #expect(try await waiting.value.count == 500)
        #expect(box.droppedOverLimit == 1)
    }

    @Test("messages of a session nobody reads expire; a session being read does not")
    func unreadSessionsExpire() async throws {
        let box = Mailbox(limits: Self.limits(expiry: .seconds(60)))
        let unread = MailboxKey(peer: "m", session: SessionID(1), tag: 1)
        let read = MailboxKey(peer: "m", session: SessionID(2), tag: 1)
        for _ in 0..<3 { box.deliver(Payload([1, 2]), for: unread) }
        box.deliver(Payload([3]), for: read)
        box.deliver(Payload([4]), for: read)
        #expect(try await box.receive(read, timeout: .seconds(5)) == Payload([3]))
        // Not yet due.
        box.sweep(now: .now + .seconds(30))
        #expect(box.droppedExpired == 0)
        #expect(box.queuedCount(from: "m") == 4)
        // Due for both, but session 2 is being read (a receive waits on it): only session 1 goes.
        _ = try await box.receive(read, timeout: .seconds(5))
        let waiting = Task { try await box.receive(read, timeout: .seconds(30)) }
        #expect(await eventually { box.waitingCount == 1 })
        box.deliver(Payload([5]), for: MailboxKey(peer: "m", session: SessionID(2), tag: 2))
        box.sweep(now: .now + .seconds(120))
        #expect(box.droppedExpired == 3)
        #expect(box.queuedCount(from: "m") == 1)
        #expect(box.bufferedBytes == 1)
        box.deliver(Payload([6]), for: read)
        #expect(try await waiting.value == Payload([6]))
    }

    @Test("expiry runs by itself, without further traffic")
    func expiryIsTimerDriven() async {
        let box = Mailbox(limits: Self.limits(expiry: .milliseconds(200)))
        box.deliver(Payload([1]), for: MailboxKey(peer: "m", session: SessionID(7), tag: 1))
        #expect(await eventually { box.droppedExpired == 1 })
        #expect(box.bufferedBytes == 0)
        #expect(box.queuedCount(from: "m") == 0)
    }

    @Test("over ZeroMQ, a member's unread flood is capped and counted")
    func meshCountsOverLimitDrops() async throws {
        let (ka, kb) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let ports = try freePorts(2)
        let consortium = try Consortium(members: [
            .init(name: "a", publicKey: ka.publicKey, endpoint: "tcp://127.0.0.1:\(ports[0])"),
            .init(name: "b", publicKey: kb.publicKey, endpoint: "tcp://127.0.0.1:\(ports[1])"),
        ])
        var ca = MeshConfiguration(name: "a", keyPair: ka, consortium: consortium)
        ca.mailboxLimits = Self.limits(count: 5)
        ca.linger = .milliseconds(100)
        var cb = MeshConfiguration(name: "b", keyPair: kb, consortium: consortium)
        cb.linger = .milliseconds(100)
        let a = try ZeroMQMesh(configuration: ca)
        let b = try ZeroMQMesh(configuration: cb)
        defer { a.close(); b.close() }
        for i in 0..<20 { try await b.send(.empty, to: "a", session: SessionID(UInt64(100 + i)), tag: 1) }
        #expect(await eventually { a.stats.overLimitDropped == 15 })
        #expect(a.stats.messagesReceived == 20)
        #expect(try await a.receive(from: "b", session: SessionID(100), tag: 1, timeout: .seconds(5)) == .empty)
    }
}
