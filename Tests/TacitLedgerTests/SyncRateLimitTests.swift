import Foundation
import Testing

@testable import TacitLedger

@Suite("Serving sync requests")
struct SyncRateLimitTests {
    /// A member with `blocks` committed blocks, started.
    func server(blocks: Int) -> (ConsensusCore, SimApp) {
        let ids = ["m0", "m1", "m2", "m3"].map { SigningIdentity(name: $0, key: .generate()) }
        var keys: [String: VerifyingKey] = [:]
        for id in ids { keys[id.name] = id.key.publicKey }
        let chainID = Hash256.of(Array("sync".utf8))
        var app = SimApp(chainID: chainID, name: "m0", keys: keys, wantBlocks: blocks)
        var prev = chainID
        for h in 1...UInt64(blocks) {
            let b = Block.make(chainID: chainID, height: h, previousHash: prev, transactions: [Array("\(h)".utf8)], timestamp: h, proposer: "m0")
            app.chain.append((b, CommitCertificate(height: h, round: 0, blockHash: b.hash, signatures: [])))
            prev = b.hash
        }
        var core = ConsensusCore(identity: ids[0], chainID: chainID, nextHeight: UInt64(blocks) + 1, signState: nil)
        _ = core.start(&app)
        return (core, app)
    }

    func commitsSent(_ actions: [ConsensusAction], to peer: String) -> [UInt64] {
        actions.compactMap { a in
            if case .send(let p, .commit(let b, _)) = a, p == peer { return b.header.height }
            return nil
        }
    }

    @Test("a burst of sync requests from one peer gets a bounded answer per tick; an honest catch-up still gets every block")
    func burstIsBounded() {
        var (core, app) = server(blocks: 100)
        var sent: [UInt64] = []
        for _ in 0..<50 { sent += commitsSent(core.receive(.syncRequest(from: 1), from: "m1", &app), to: "m1") }
        #expect(sent.count <= ConsensusCore.syncBlocksPerTick, "answered \(sent.count) blocks to 50 requests of 9 bytes")
        #expect(sent == Array(1...UInt64(sent.count)))
        // Another peer has its own allowance.
        #expect(commitsSent(core.receive(.syncRequest(from: 1), from: "m2", &app), to: "m2").count == ConsensusCore.syncBlocksPerTick)
        // An honest catch-up asks once per tick from where it is; it gets all 100 blocks.
        var have = UInt64(sent.count)
        var ticks = 0
        while have < 100, ticks < 20 {
            _ = core.timeout(TimeoutEvent(kind: .tick, height: 0, round: 0), &app)
            let got = commitsSent(core.receive(.syncRequest(from: have + 1), from: "m1", &app), to: "m1")
            #expect(got.first == have + 1)
            have += UInt64(got.count)
            ticks += 1
        }
        #expect(have == 100)
    }
}
