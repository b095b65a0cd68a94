import Foundation
import Testing
import TacitTestSupport

@testable import TacitNet

/// `trySend`: the ledger node's synchronous path to ZeroMQ. It must keep the order of the
/// messages `send` queued before it, and say "no" rather than queue or suspend.
@Suite(.timeLimit(.minutes(4)))
struct TrySendTests {
    @Test func interleavedWithSendKeepsOrder() async throws {
        let f = try Fixture.make(.zeroMQ)
        defer { f.close() }
        let (a, b) = (f.channels[0], f.channels[1])
        let s = SessionID(9)
        var direct = 0
        for i in 0..<600 {
            let p = Payload([UInt8(i & 0xff), UInt8(i >> 8)])
            if i % 3 != 0, a.trySend(p, to: b.localParty, session: s, tag: 1) {
                direct += 1
            } else {
                try await a.send(p, to: b.localParty, session: s, tag: 1)
            }
        }
        for i in 0..<600 {
            #expect(try await b.receive(from: a.localParty, session: s, tag: 1).bytes == [UInt8(i & 0xff), UInt8(i >> 8)])
        }
        // Nothing is queued towards a connected peer with room, so the fast path is taken.
        #expect(direct > 0)
    }

    @Test func refusesWhatOnlySendCanDo() async throws {
        let f = try Fixture.make(.zeroMQ)
        let a = f.channels[0]
        guard let mesh = a as? ZeroMQMesh else {
            Issue.record("expected a ZeroMQ mesh")
            return
        }
        let big = Payload([UInt8](repeating: 7, count: mesh.configuration.pieceSize + 1))
        #expect(!a.trySend(big, to: "P1", session: SessionID(1), tag: 1))
        #expect(!a.trySend(Payload([1]), to: "nobody", session: SessionID(1), tag: 1))
        f.close()
        #expect(!a.trySend(Payload([1]), to: "P1", session: SessionID(1), tag: 1))
        // The in-memory mesh has no synchronous path: the default says no.
        let mem = try Fixture.make(.inMemory)
        #expect(!mem.channels[0].trySend(Payload([1]), to: "P1", session: SessionID(1), tag: 1))
    }

    /// Towards a peer that never comes up: trySend fills ZeroMQ's pipe to its high-water mark,
    /// then says no without suspending; once `send` has queued behind the full pipe, trySend
    /// keeps saying no, so it cannot overtake what is queued.
    @Test func fullPipeOrQueuedMessagesMeanNo() async throws {
        let mesh = try meshTowardsAbsentPeer(timeout: .seconds(5))
        defer { mesh.close() }
        var taken = 0
        while taken < 1000, mesh.trySend(Payload([1]), to: "b", session: SessionID(1), tag: 1) { taken += 1 }
        #expect(taken >= 1 && taken < 100)
        // The pipe is full: this one waits in the lane's queue.
        try await mesh.send(Payload([2]), to: "b", session: SessionID(1), tag: 1)
        #expect(!mesh.trySend(Payload([3]), to: "b", session: SessionID(1), tag: 1))
    }
}
