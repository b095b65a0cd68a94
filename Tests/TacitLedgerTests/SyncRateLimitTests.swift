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

    func blocksSent(_ actions: [ConsensusAction], to peer: String) -> [Hash256] {
        actions.compactMap { a in
            if case .send(let p, .block(let b)) = a, p == peer { return b.hash }
            return nil
        }
    }

    @Test("a burst of requests for the proposed block gets a bounded answer per tick, and the next tick restores it")
    func proposedBlockRequestsAreBounded() {
        let ids = ["m0", "m1", "m2", "m3"].map { SigningIdentity(name: $0, key: .generate()) }
        var keys: [String: VerifyingKey] = [:]
        for id in ids { keys[id.name] = id.key.publicKey }
        let chainID = Hash256.of(Array("proposed".utf8))
        // The server is not the proposer of height 1 round 0, so it holds the block only
        // because the proposal reached it.
        var probe = ConsensusCore(identity: ids[0], chainID: chainID, nextHeight: 1, signState: nil)
        var probeApp = SimApp(chainID: chainID, name: "m0", keys: keys, wantBlocks: 1)
        _ = probe.start(&probeApp)
        let proposerName = probe.proposer(1, 0)
        let proposer = ids.first { $0.name == proposerName }!
        let server = ids.first { $0.name != proposerName }!
        let asker = ids.first { $0.name != proposerName && $0.name != server.name }!.name

        var app = SimApp(chainID: chainID, name: server.name, keys: keys, wantBlocks: 1)
        var core = ConsensusCore(identity: server, chainID: chainID, nextHeight: 1, signState: nil)
        _ = core.start(&app)
        // A large block: the answer is what a 41-byte request costs the server.
        let txs = (0..<64).map { Array(repeating: UInt8($0), count: 4096) }
        let block = Block.make(chainID: chainID, height: 1, previousHash: chainID, transactions: txs, timestamp: 1, proposer: proposerName)
        let proposal = Proposal(chainID: chainID, height: 1, round: 0, polRound: -1, block: block, signer: proposer)
        _ = core.receive(.proposal(proposal), from: proposerName, &app)

        var sent: [Hash256] = []
        for _ in 0..<50 { sent += blocksSent(core.receive(.blockRequest(height: 1, hash: block.hash), from: asker, &app), to: asker) }
        #expect(!sent.isEmpty, "the proposed block was never answered: the test does not reach the path it checks")
        #expect(sent.count <= ConsensusCore.proposedBlocksPerTick, "answered \(sent.count) proposed blocks to 50 requests of 41 bytes")
        #expect(sent.allSatisfy { $0 == block.hash })
        // Another peer has its own allowance.
        let other = ids.first { ![proposerName, server.name, asker].contains($0.name) }!.name
        #expect(blocksSent(core.receive(.blockRequest(height: 1, hash: block.hash), from: other, &app), to: other) == [block.hash])
        // A tick restores the allowance: an honest member that asks after it is answered.
        _ = core.timeout(TimeoutEvent(kind: .tick, height: 0, round: 0), &app)
        var again: [Hash256] = []
        for _ in 0..<50 { again += blocksSent(core.receive(.blockRequest(height: 1, hash: block.hash), from: asker, &app), to: asker) }
        #expect(again.count == ConsensusCore.proposedBlocksPerTick)
    }

    @Test("a stuck round re-sends a large proposal once per ⌈size / 4 MiB⌉ ticks, a small one every tick")
    func largeProposalsAreResentRationed() {
        let ids = ["m0", "m1", "m2", "m3"].map { SigningIdentity(name: $0, key: .generate()) }
        var keys: [String: VerifyingKey] = [:]
        for id in ids { keys[id.name] = id.key.publicKey }
        let chainID = Hash256.of(Array("resend".utf8))
        var probe = ConsensusCore(identity: ids[0], chainID: chainID, nextHeight: 1, signState: nil)
        var probeApp = SimApp(chainID: chainID, name: "m0", keys: keys, wantBlocks: 1)
        _ = probe.start(&probeApp)
        let proposerName = probe.proposer(1, 0)
        let proposer = ids.first { $0.name == proposerName }!
        let member = ids.first { $0.name != proposerName }!
        for (bytes, resent) in [(15 << 20, [5, 9, 13]), (1024, Array(2...13))] {
            var app = SimApp(chainID: chainID, name: member.name, keys: keys, wantBlocks: 1)
            var core = ConsensusCore(identity: member, chainID: chainID, nextHeight: 1, signState: nil)
            _ = core.start(&app)
            let block = Block.make(
                chainID: chainID, height: 1, previousHash: chainID, transactions: [[UInt8](repeating: 1, count: bytes)], timestamp: 1,
                proposer: proposerName)
            _ = core.receive(.proposal(Proposal(chainID: chainID, height: 1, round: 0, polRound: -1, block: block, signer: proposer)), from: proposerName, &app)
            // Nobody else votes: the round is stuck from the second tick on.
            var ticks: [Int] = []
            for t in 1...13 {
                let actions = core.timeout(TimeoutEvent(kind: .tick, height: 0, round: 0), &app)
                if actions.contains(where: { if case .broadcast(.proposal) = $0 { return true } else { return false } }) { ticks.append(t) }
            }
            #expect(ticks == resent, "\(bytes)-byte block re-sent at ticks \(ticks)")
        }
    }
}
