import Foundation
import Testing
import TacitTestSupport

@testable import TacitNet

/// The channel semantics every implementation must have. Run against the in-memory mesh and
/// against two ZeroMQ meshes in this process, so the two cannot drift apart.
enum MeshKind: String, CaseIterable, CustomTestStringConvertible {
    case inMemory, zeroMQ
    var testDescription: String { rawValue }
}

/// Two or three connected channels, and how to tear them down.
struct Fixture {
    let channels: [any PartyChannel]
    let close: @Sendable () -> Void
    let crash: @Sendable (Int) -> Void
    /// Messages party i dropped because their session had ended.
    let lateDropped: @Sendable (Int) -> Int

    static func make(_ kind: MeshKind, parties: Int = 2, maxMessageSize: Int = MeshLimits.defaultMaxMessageSize)
        throws -> Fixture
    {
        let names = (0..<parties).map { PartyID("P\($0)") }
        switch kind {
        case .inMemory:
            let mesh = InMemoryMesh(parties: names, maxMessageSize: maxMessageSize, defaultTimeout: .seconds(30))
            return Fixture(
                channels: names.map { mesh.channel(for: $0) }, close: {}, crash: { mesh.crash(names[$0]) },
                lateDropped: { mesh.lateDropped(at: names[$0]) })
        case .zeroMQ:
            let pairs = try names.map { _ in try CurveKeyPair.generate() }
            let ports = try freePorts(parties)
            let consortium = try Consortium(
                members: zip(names, zip(pairs, ports)).map { name, kp in
                    try .init(name: name, publicKey: kp.0.publicKey, endpoint: "tcp://127.0.0.1:\(kp.1)")
                })
            let meshes = try zip(names, pairs).map { name, kp in
                var c = MeshConfiguration(name: name, keyPair: kp, consortium: consortium)
                c.maxMessageSize = maxMessageSize
                c.defaultTimeout = .seconds(30)
                c.linger = .milliseconds(100)
                return try ZeroMQMesh(configuration: c)
            }
            return Fixture(
                channels: meshes, close: { meshes.forEach { $0.close() } }, crash: { meshes[$0].close() },
                lateDropped: { meshes[$0].stats.lateDropped })
        }
    }
}

@Suite(.timeLimit(.minutes(8)))
struct ChannelTests {
    @Test(arguments: MeshKind.allCases)
    func orderedPerSenderSessionAndTag(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind, parties: 3)
        defer { f.close() }
        let (a, b, c) = (f.channels[0], f.channels[1], f.channels[2])
        let s = SessionID(1)
        for i in 0..<200 {
            try await a.send(Payload([UInt8(i & 0xff), 0]), to: b.localParty, session: s, tag: 1)
            try await c.send(Payload([UInt8(i & 0xff), 1]), to: b.localParty, session: s, tag: 1)
        }
        try await a.send(Payload([42]), to: b.localParty, session: SessionID(2), tag: 1)
        // Another session's message does not satisfy this session's receive, and vice versa.
        #expect(try await b.receive(from: a.localParty, session: SessionID(2), tag: 1) == Payload([42]))
        for i in 0..<200 {
            #expect(try await b.receive(from: a.localParty, session: s, tag: 1).bytes == [UInt8(i & 0xff), 0])
        }
        for i in 0..<200 {
            #expect(try await b.receive(from: c.localParty, session: s, tag: 1).bytes == [UInt8(i & 0xff), 1])
        }
    }

    @Test(arguments: MeshKind.allCases)
    func broadcastAndGather(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind, parties: 3)
        defer { f.close() }
        let s = SessionID.random()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for ch in f.channels {
                group.addTask {
                    let sc = ch.session(s)
                    try await sc.broadcast(Payload(Array(ch.localParty.name.utf8)), tag: 7)
                    let got = try await sc.gather(tag: 7)
                    #expect(Set(got.keys) == Set(sc.peers))
                    for (p, payload) in got { #expect(payload.bytes == Array(p.name.utf8)) }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test(arguments: MeshKind.allCases)
    func receiveTimesOut(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind)
        defer { f.close() }
        let start = ContinuousClock.now
        let e = await #expect(throws: NetError.self) {
            try await f.channels[0].receive(from: "P1", session: SessionID(1), tag: 1, timeout: .milliseconds(200))
        }
        #expect(e?.code == .timeout)
        #expect(ContinuousClock.now - start >= .milliseconds(190))
    }

    @Test(arguments: MeshKind.allCases)
    func receiveIsCancellable(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind)
        defer { f.close() }
        let ch = f.channels[0]
        let task = Task { try await ch.receive(from: "P1", session: SessionID(1), tag: 1, timeout: nil) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let result = await task.result
        #expect(throws: NetError(.cancelled, "receive from P1 was cancelled")) { try result.get() }
        // A cancelled receive does not consume the next message.
        try await f.channels[1].send(Payload([9]), to: "P0", session: SessionID(1), tag: 1)
        #expect(try await ch.receive(from: "P1", session: SessionID(1), tag: 1) == Payload([9]))
    }

    @Test(arguments: MeshKind.allCases)
    func manyConcurrentReceiversAreEachResumedOnce(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind)
        defer { f.close() }
        let (a, b) = (f.channels[0], f.channels[1])
        // Half time out, half get a message, some are cancelled: every one ends exactly once.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for tag in 0..<60 {
                group.addTask {
                    do {
                        _ = try await b.receive(
                            from: "P0", session: SessionID(3), tag: Tag(UInt64(tag)), timeout: .milliseconds(tag % 2 == 0 ? 20_000 : 100))
                        return 1
                    } catch let e as NetError where e.code == .timeout { return 0 }
                }
            }
            for tag in stride(from: 0, to: 60, by: 2) {
                try await a.send(Payload([UInt8(tag)]), to: "P1", session: SessionID(3), tag: Tag(UInt64(tag)))
            }
            var delivered = 0
            for try await r in group { delivered += r }
            #expect(delivered == 30)
        }
    }

    @Test(arguments: MeshKind.allCases)
    func badCallsFailClearly(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind, maxMessageSize: 1000)
        defer { f.close() }
        let a = f.channels[0]
        let e1 = await #expect(throws: NetError.self) {
            try await a.send(Payload([1]), to: "nobody", session: SessionID(1), tag: 1)
        }
        #expect(e1?.code == .unknownPeer)
        let e2 = await #expect(throws: NetError.self) {
            try await a.send(Payload([1]), to: a.localParty, session: SessionID(1), tag: 1)
        }
        #expect(e2?.code == .unknownPeer)
        let e3 = await #expect(throws: NetError.self) {
            try await a.receive(from: "nobody", session: SessionID(1), tag: 1, timeout: .seconds(1))
        }
        #expect(e3?.code == .unknownPeer)
        let e4 = await #expect(throws: NetError.self) {
            try await a.send(Payload([UInt8](repeating: 0, count: 1001)), to: "P1", session: SessionID(1), tag: 1)
        }
        #expect(e4?.code == .messageTooLarge)
        #expect(e4?.reason.contains("maxMessageSize") == true)
    }

    @Test(arguments: MeshKind.allCases)
    func closingOrCrashingFailsWaitingReceivers(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind)
        defer { f.close() }
        let a = f.channels[0]
        let waiting = Task { try await a.receive(from: "P1", session: SessionID(1), tag: 1, timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        f.crash(0)
        let r = await waiting.result
        #expect(throws: NetError.self) { try r.get() }
        if case .failure(let e as NetError) = r { #expect(e.code == .closed) }
    }

    @Test(arguments: MeshKind.allCases)
    func endedSessionDropsLateMessages(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind)
        defer { f.close() }
        let (a, b) = (f.channels[0], f.channels[1])
        // Queued before the end: freed by it.
        try await a.send(Payload([1]), to: "P1", session: SessionID(8), tag: 1)
        try await a.send(Payload([2]), to: "P1", session: SessionID(9), tag: 1)
        #expect(try await b.receive(from: "P0", session: SessionID(9), tag: 1) == Payload([2]))
        b.endSession(SessionID(8))
        #expect(f.lateDropped(1) == 0)
        // Sent after the end: dropped on arrival and counted. One pipe per sender keeps order
        // across sessions, so once session 9's next message is here, the late one was handled.
        try await a.send(Payload([3]), to: "P1", session: SessionID(8), tag: 1)
        try await a.send(Payload([4]), to: "P1", session: SessionID(9), tag: 1)
        #expect(try await b.receive(from: "P0", session: SessionID(9), tag: 1) == Payload([4]))
        #expect(f.lateDropped(1) == 1)
        let e = await #expect(throws: NetError.self) {
            try await b.receive(from: "P0", session: SessionID(8), tag: 1, timeout: .milliseconds(100))
        }
        #expect(e?.code == .timeout)
    }

    /// 100 MB and more crosses the mesh intact (zero-copy path on both sides for ZeroMQ).
    @Test(arguments: MeshKind.allCases)
    func largePayload(_ kind: MeshKind) async throws {
        let f = try Fixture.make(kind)
        defer { f.close() }
        let size = 100 * 1024 * 1024 + 17
        let big = Payload(unsafeUninitializedCount: size) { buf in
            for i in stride(from: 0, to: size, by: 4096) { buf[i] = UInt8(truncatingIfNeeded: i / 4096) }
            for i in 0..<size where i % 4096 != 0 { buf[i] = 0xA5 }
        }
        try await f.channels[0].send(big, to: "P1", session: SessionID(1), tag: 1)
        let got = try await f.channels[1].receive(from: "P0", session: SessionID(1), tag: 1, timeout: .seconds(120))
        #expect(got.count == size)
        #expect(got == big)
    }
}

struct BackPressureTests {
    /// Towards a peer that never comes up, sends queue up to ZeroMQ's high-water mark plus
    /// `sendQueueLimit`, then suspend, then fail with a timeout: never unbounded memory, never
    /// a hang.
    @Test func sendToAbsentPeerSuspendsThenTimesOut() async throws {
        let mesh = try meshTowardsAbsentPeer(timeout: .milliseconds(300))
        defer { mesh.close() }
        var sent = 0
        let error = await #expect(throws: NetError.self) {
            for _ in 0..<10_000 {
                try await mesh.send(Payload([1, 2, 3]), to: "b", session: SessionID(1), tag: 1)
                sent += 1
            }
        }
        #expect(error?.code == .timeout)
        #expect(sent >= 4 && sent < 100)
        // The queued ones expire too, and are counted.
        try await Task.sleep(for: .milliseconds(600))
        #expect(mesh.stats.sendTimeouts >= 1)
        // Closing fails later sends clearly.
        mesh.close()
        let closed = await #expect(throws: NetError.self) {
            try await mesh.send(Payload([1]), to: "b", session: SessionID(1), tag: 1)
        }
        #expect(closed?.code == .closed)
    }
}

struct IOExecutorTests {
    /// Tasks pinned to the I/O thread exchange messages, and can close the mesh from there
    /// without deadlocking on themselves.
    @Test func pinnedTasksExchangeAndClose() async throws {
        let f = try Fixture.make(.zeroMQ)
        defer { f.close() }
        guard let a = f.channels[0] as? ZeroMQMesh, let b = f.channels[1] as? ZeroMQMesh else {
            Issue.record("expected ZeroMQ meshes")
            return
        }
        let echo = Task(executorPreference: b.ioExecutor) {
            for _ in 0..<200 {
                let p = try await b.receive(from: "P0", session: SessionID(1), tag: 1)
                try await b.send(p, to: "P0", session: SessionID(1), tag: 2)
            }
        }
        try await withTaskExecutorPreference(a.ioExecutor) {
            for i in 0..<200 {
                try await a.send(Payload([UInt8(i & 0xff)]), to: "P1", session: SessionID(1), tag: 1)
                #expect(try await a.receive(from: "P1", session: SessionID(1), tag: 2).bytes == [UInt8(i & 0xff)])
            }
        }
        try await echo.value
        await Task(executorPreference: a.ioExecutor) { a.close() }.value
        let e = await #expect(throws: NetError.self) {
            try await a.send(Payload([1]), to: "P1", session: SessionID(1), tag: 1)
        }
        #expect(e?.code == .closed)
    }
}
