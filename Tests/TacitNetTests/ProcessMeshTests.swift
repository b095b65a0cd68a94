import Foundation
import Testing
import TacitTestSupport

@testable import TacitNet

/// Parties as separate OS processes on loopback, CURVE on. Serialized: each test starts
/// several processes and the CI machine has two cores.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ProcessMeshTests {
    @Test func threePartiesExchangeInEveryDirection() async throws {
        let t = try TestConsortium(["A", "B", "C"])
        defer { t.cleanup() }
        let peers = try await [t.start("A"), t.start("B"), t.start("C")]
        defer { peers.forEach { $0.kill() } }
        let names = ["A", "B", "C"]
        // Sizes cover empty, copied and zero-copy payloads; two messages on one tag check order.
        let sizes = [0, 1, 64, 100_000]
        func seed(_ from: Int, _ to: Int, _ k: Int) -> UInt64 { UInt64(from * 100 + to * 10 + k) }
        for (i, p) in peers.enumerated() {
            for (j, other) in names.enumerated() where j != i {
                for (k, size) in sizes.enumerated() {
                    #expect(try await p.ask("send \(other) 9 \(k) \(size) \(seed(i, j, k))") == "OK send")
                }
                #expect(try await p.ask("send \(other) 9 99 10 \(seed(i, j, 7))") == "OK send")
                #expect(try await p.ask("send \(other) 9 99 20 \(seed(i, j, 8))") == "OK send")
            }
        }
        for (j, p) in peers.enumerated() {
            for (i, other) in names.enumerated() where i != j {
                // Receive in reverse tag order: tags are independent queues.
                for (k, size) in sizes.enumerated().reversed() {
                    let want = "OK recv \(size) \(expectedChecksum(size: size, seed: seed(i, j, k)))"
                    #expect(try await p.ask("recv \(other) 9 \(k) 30000") == want)
                }
                #expect(try await p.ask("recv \(other) 9 99 30000") == "OK recv 10 \(expectedChecksum(size: 10, seed: seed(i, j, 7)))")
                #expect(try await p.ask("recv \(other) 9 99 30000") == "OK recv 20 \(expectedChecksum(size: 20, seed: seed(i, j, 8)))")
            }
            let s = try await p.stats()
            #expect(s["received"] == 12)
            #expect(s["malformed"] == 0)
            #expect(s["refused"] == 0)
        }
    }

    @Test func nonMemberKeyIsRefusedAndLogged() async throws {
        // X has a key pair but is not in the consortium A and B share.
        let t = try TestConsortium(["A", "B"], extraKeys: ["X"])
        defer { t.cleanup() }
        let a = try await t.start("A")
        defer { a.kill() }
        // X believes in a consortium of its own that lists A's real key and endpoint.
        let xKey = try KeyFiles.readSecretKey(path: t.key("X")).publicKey
        guard let aMember = t.consortium.member(named: "A") else { Issue.record("no A"); return }
        let xPort = try freePorts(1)[0]
        let forged = try Consortium(members: [
            aMember, .init(name: "X", publicKey: xKey, endpoint: "tcp://127.0.0.1:\(xPort)"),
        ])
        let forgedPath = t.dir.appendingPathComponent("forged.yaml").path
        try forged.yaml().write(toFile: forgedPath, atomically: true, encoding: .utf8)
        let x = try await t.start("X", consortiumPath: forgedPath)
        defer { x.kill() }
        #expect(try await x.ask("send A 1 1 32 1") == "OK send")

        var refused = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while refused == 0 && ContinuousClock.now < deadline {
            refused = try await a.stats()["refused"] ?? 0
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(refused >= 1)
        #expect(a.stderr.contains("refused connection: CURVE key is not a consortium member"))
        #expect(a.stderr.contains(xKey.z85))
        // Nothing from X reached A under any name. A's `recv X` would fail on its own table
        // whatever the wire did, so the check is on what A counted: a member's message sent
        // after X's must be the only one A ever received, on the same session and tag.
        #expect(try await a.ask("recv B 1 1 300").hasPrefix("ERR timeout"))
        let b = try await t.start("B")
        defer { b.kill() }
        #expect(try await b.ask("send A 1 1 32 2") == "OK send")
        #expect(try await a.ask("recv B 1 1 30000") == "OK recv 32 \(expectedChecksum(size: 32, seed: 2))")
        let after = try await a.stats()
        #expect(after["received"] == 1)
        #expect(after["malformed"] == 0)
        #expect(after["impersonation"] == 0)
    }

    @Test func killedPeerMakesWaitingReceiverTimeOut() async throws {
        let t = try TestConsortium(["A", "B"])
        defer { t.cleanup() }
        let a = try await t.start("A")
        let b = try await t.start("B")
        defer { a.kill(); b.kill() }
        #expect(try await b.ask("send A 3 1 1000 1") == "OK send")
        #expect(try await a.ask("recv B 3 1 30000") == "OK recv 1000 \(expectedChecksum(size: 1000, seed: 1))")
        // A waits for B's next message; B dies before sending it.
        a.send("recv B 3 2 3000")
        b.kill()
        let start = ContinuousClock.now
        let reply = try await a.nextLine(timeout: .seconds(60))
        #expect(reply.hasPrefix("ERR timeout"))
        #expect(ContinuousClock.now - start < .seconds(30))
        // A is still up and serving.
        #expect(try await a.ask("stats").hasPrefix("STATS"))
    }

    @Test func malformedAndOversizedFramesAreDroppedAndCounted() async throws {
        let t = try TestConsortium(["A", "B", "C"])
        defer { t.cleanup() }
        let a = try await t.start("A", extra: ["--max-size", "1024"])
        let b = try await t.start("B")
        defer { a.kill(); b.kill() }
        func header(_ sender: String, length: Int) -> [UInt8] {
            FrameHeader(sender: PartyID(sender), session: SessionID(5), tag: Tag(1), payloadLength: UInt64(length))
                .encode()
        }
        var bad = header("B", length: 3)
        bad[0] = 0x58  // magic
        var version = header("B", length: 3)
        version[4] = 9
        let malformed: [[[UInt8]]] = [
            [[1, 2, 3]],  // one frame
            [header("B", length: 3), [1, 2, 3], [4]],  // three frames
            [bad, [1, 2, 3]],
            [version, [1, 2, 3]],
            [Array(header("B", length: 3).prefix(20)), [1, 2, 3]],  // truncated header
            [header("B", length: 4), [1, 2, 3]],  // length mismatch
        ]
        for frames in malformed {
            #expect(try await b.ask("raw A \(frames.map(hex).joined(separator: ","))") == "OK raw")
        }
        // Over A's 1024-byte limit but within libzmq's slack: reaches validation, is counted.
        let big = [UInt8](repeating: 7, count: 2000)
        #expect(try await b.ask("raw A \(hex(header("B", length: 2000))),\(hex(big))") == "OK raw")
        // B claims to be C, another member: dropped, since B's key authenticated B.
        #expect(try await b.ask("raw A \(hex(header("C", length: 3))),010203") == "OK raw")
        // Then a good message: A is still up and the connection still works.
        #expect(try await b.ask("send A 5 1 100 3") == "OK send")
        #expect(try await a.ask("recv B 5 1 30000") == "OK recv 100 \(expectedChecksum(size: 100, seed: 3))")
        #expect(try await a.ask("recv C 5 1 200").hasPrefix("ERR timeout"))
        let s = try await a.stats()
        #expect(s["malformed"] == malformed.count)
        #expect(s["oversized"] == 1)
        #expect(s["impersonation"] == 1)
        #expect(s["received"] == 1)
        #expect(a.stderr.contains("dropped incoming message"))
        // A send over the limit is refused locally with a clear error.
        #expect(try await a.ask("send B 5 1 2000 1").hasPrefix("ERR messageTooLarge"))
    }

    @Test func restartedPeerReconnects() async throws {
        let t = try TestConsortium(["A", "B"])
        defer { t.cleanup() }
        let a = try await t.start("A")
        var b = try await t.start("B")
        defer { a.kill(); b.kill() }
        #expect(try await a.ask("send B 4 1 500 1") == "OK send")
        #expect(try await b.ask("recv A 4 1 30000") == "OK recv 500 \(expectedChecksum(size: 500, seed: 1))")
        b.kill()
        b = try await t.start("B")
        // Both directions work again without restarting A.
        #expect(try await a.ask("send B 4 2 500 2") == "OK send")
        #expect(try await b.ask("recv A 4 2 30000") == "OK recv 500 \(expectedChecksum(size: 500, seed: 2))")
        #expect(try await b.ask("send A 4 3 700 3") == "OK send")
        #expect(try await a.ask("recv B 4 3 30000") == "OK recv 700 \(expectedChecksum(size: 700, seed: 3))")
    }

    @Test func badIdentityOrConsortiumFailsAtStartWithClearError() async throws {
        let t = try TestConsortium(["A", "B"], extraKeys: ["X"])
        defer { t.cleanup() }
        // A's name with X's key.
        let p = try PeerProcess(name: "A", arguments: ["node", "--name", "A", "--key", t.key("X"), "--consortium", t.path])
        defer { p.kill() }
        await #expect(throws: PeerError.self) { try await p.nextLine(timeout: .seconds(60)) }
        #expect(p.stderr.contains("does not belong to the public key the consortium lists"))
    }
}
