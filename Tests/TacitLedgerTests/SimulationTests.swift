import Foundation
import Testing
import TacitTestSupport

@testable import TacitLedger

/// A replica without storage for the simulated network: blocks of opaque transactions.
struct SimApp: ConsensusApplication {
    let chainID: Hash256
    let name: String
    let keys: [String: VerifyingKey]
    var chain: [(Block, CommitCertificate)] = []
    var signState: SignState?
    var counter = 0
    var wantBlocks: Int

    var hasPending: Bool { chain.count < wantBlocks }
    var validators: [String: VerifyingKey] { keys }
    var lastCommittedHash: Hash256 { chain.last?.0.hash ?? chainID }

    mutating func makeBlock(height: UInt64, previousHash: Hash256, proposer: String) -> Block? {
        guard hasPending else { return nil }
        counter += 1
        return Block.make(chainID: chainID, height: height, previousHash: previousHash, transactions: [Array("\(name)-\(height)-\(counter)".utf8)], timestamp: height, proposer: proposer)
    }
    mutating func isValid(_ block: Block) -> Bool {
        block.header.height == UInt64(chain.count + 1) && block.header.previousHash == lastCommittedHash && (try? block.checkIntegrity()) != nil
    }
    mutating func commit(_ block: Block, _ certificate: CommitCertificate) throws { chain.append((block, certificate)) }
    mutating func persist(_ state: SignState) throws { signState = state }
    func committed(at height: UInt64) -> (Block, CommitCertificate)? {
        height >= 1 && height <= chain.count ? chain[Int(height) - 1] : nil
    }
}

/// A seeded discrete-event network: loss, duplication, random delays (hence reordering),
/// crashed members, and one byzantine member that equivocates on everything it signs.
struct Simulation {
    enum Event { case deliver(to: Int, from: Int, ConsensusMessage), timer(Int, TimeoutEvent) }
    var rng: SeededGenerator
    var now: UInt64 = 0
    var queue: [(UInt64, UInt64, Event)] = []  // (time, sequence, event)
    var seq: UInt64 = 0
    var cores: [ConsensusCore] = []
    var apps: [SimApp] = []
    var ids: [SigningIdentity] = []
    var names: [String] = []
    var loss = 0.2
    var maxDelay: UInt64 = 60
    var down: Set<Int> = []
    let byzantine: Int?
    let chainID = Hash256.of(Array("sim".utf8))

    init(n: Int, seed: UInt64, byzantine: Int?, blocks: Int) {
        rng = SeededGenerator(seed: seed)
        self.byzantine = byzantine
        names = (0..<n).map { "m\($0)" }
        ids = names.map { SigningIdentity(name: $0, key: .generate()) }
        var keys: [String: VerifyingKey] = [:]
        for id in ids { keys[id.name] = id.key.publicKey }
        var t = ConsensusTimeouts()
        t.propose = .milliseconds(200)
        t.prevote = .milliseconds(100)
        t.precommit = .milliseconds(100)
        t.delta = .milliseconds(100)
        t.tick = .milliseconds(150)
        for i in 0..<n {
            apps.append(SimApp(chainID: chainID, name: names[i], keys: keys, wantBlocks: blocks))
            cores.append(ConsensusCore(identity: ids[i], chainID: chainID, nextHeight: 1, signState: nil, timeouts: t))
        }
        for i in 0..<n { let a = cores[i].start(&apps[i]); dispatch(i, a) }
    }

    mutating func push(_ at: UInt64, _ e: Event) {
        seq += 1
        queue.append((at, seq, e))
    }

    mutating func send(_ from: Int, _ to: Int, _ m: ConsensusMessage) {
        guard to != from else { return }
        if Double.random(in: 0..<1, using: &rng) < loss { return }
        push(now + UInt64.random(in: 1...maxDelay, using: &rng), .deliver(to: to, from: from, m))
        if Double.random(in: 0..<1, using: &rng) < 0.05 {  // duplicate
            push(now + UInt64.random(in: 1...maxDelay, using: &rng), .deliver(to: to, from: from, m))
        }
    }

    /// What the byzantine member sends instead of `m` to the second half of the members.
    func conflicting(_ from: Int, _ m: ConsensusMessage) -> ConsensusMessage? {
        let me = ids[from]
        switch m {
        case .proposal(let p):
            let b = Block.make(
                chainID: chainID, height: p.height, previousHash: p.block.header.previousHash,
                transactions: [Array("evil-\(p.height)-\(p.round)".utf8)], timestamp: p.height, proposer: me.name)
            return .proposal(Proposal(chainID: chainID, height: p.height, round: p.round, polRound: -1, block: b, signer: me))
        case .vote(let v):
            let other: Hash256? = v.blockHash == nil ? Hash256.of(Array("evil".utf8)) : nil
            return .vote(Vote(chainID: chainID, type: v.type, height: v.height, round: v.round, blockHash: other, signer: me))
        default: return nil
        }
    }

    mutating func dispatch(_ i: Int, _ actions: [ConsensusAction]) {
        for a in actions {
            switch a {
            case .broadcast(let m):
                for j in cores.indices where j != i {
                    if i == byzantine, j >= cores.count / 2, let evil = conflicting(i, m) {
                        send(i, j, evil)
                    } else {
                        send(i, j, m)
                    }
                }
            case .send(let to, let m):
                if let j = names.firstIndex(of: to) { send(i, j, m) }
            case .schedule(let t, let after):
                push(now + UInt64(after / .milliseconds(1)), .timer(i, t))
            case .committed, .equivocation:
                break
            }
        }
    }

    /// Runs until `until` (virtual milliseconds).
    mutating func run(until: UInt64) {
        while true {
            guard let idx = queue.indices.min(by: { (queue[$0].0, queue[$0].1) < (queue[$1].0, queue[$1].1) }) else { return }
            let (t, _, e) = queue[idx]
            if t > until { now = until; return }
            queue.swapAt(idx, queue.count - 1)
            queue.removeLast()
            now = t
            switch e {
            case .deliver(let to, let from, let m):
                if down.contains(to) { continue }
                let a = cores[to].receive(m, from: names[from], &apps[to])
                dispatch(to, a)
            case .timer(let i, let ev):
                if down.contains(i) {
                    if ev.kind == .tick { push(now + 150, e) }  // keeps ticking when it comes back
                    continue
                }
                let a = cores[i].timeout(ev, &apps[i])
                dispatch(i, a)
            }
        }
    }

    var honest: [Int] { cores.indices.filter { $0 != byzantine } }

    /// No two honest members committed different blocks at one height.
    func checkSafety() {
        let maxLen = honest.map { apps[$0].chain.count }.max() ?? 0
        for h in 0..<maxLen {
            let hashes = Set(honest.compactMap { i in apps[i].chain.count > h ? apps[i].chain[h].0.hash : nil })
            #expect(hashes.count == 1, "members committed different blocks at height \(h + 1)")
        }
    }
}

@Suite("Consensus on a simulated network")
struct SimulationTests {
    @Test("safety and liveness with loss, reordering, duplication and an equivocating member", arguments: 0..<12)
    func equivocator(seed: UInt64) {
        var sim = Simulation(n: 4, seed: 1000 + seed, byzantine: Int(seed % 4), blocks: 6)
        sim.loss = 0.15
        sim.run(until: 20_000)
        sim.loss = 0
        sim.run(until: 60_000)
        sim.checkSafety()
        for i in sim.honest {
            #expect(sim.apps[i].chain.count >= 6, "seed \(seed): member \(i) reached only height \(sim.apps[i].chain.count)")
        }
        // Every commit certificate in every honest chain holds a quorum of valid precommits.
        for i in sim.honest {
            for (b, c) in sim.apps[i].chain {
                let msg = Vote.signBytes(chainID: sim.chainID, type: .precommit, height: c.height, round: c.round, blockHash: b.hash)
                let valid = c.signatures.filter { s in sim.apps[i].keys[s.member]?.isValid(signature: s.signature, for: msg) == true }
                #expect(Set(valid.map(\.member)).count >= 3)
            }
        }
    }

    @Test("no progress without a quorum; progress resumes when a quorum is up", arguments: 0..<4)
    func quorumLoss(seed: UInt64) {
        var sim = Simulation(n: 4, seed: 2000 + seed, byzantine: nil, blocks: 8)
        sim.loss = 0.05
        sim.run(until: 3_000)
        let before = sim.apps.map(\.chain.count)
        sim.down = [0, 1]
        sim.run(until: 4_000)
        let during = sim.apps.map(\.chain.count)
        sim.run(until: 15_000)
        // Two of four members cannot commit anything (quorum is 3).
        #expect(sim.apps[2].chain.count <= during[2] + 1 && sim.apps[3].chain.count <= during[3] + 1)
        sim.down = []
        sim.run(until: 90_000)
        sim.checkSafety()
        for i in 0..<4 { #expect(sim.apps[i].chain.count == 8, "seed \(seed): member \(i) at \(sim.apps[i].chain.count) (before \(before))") }
    }

    @Test("a member restarted from its sign state never signs a conflicting vote")
    func signStateGuard() throws {
        let s = SignState(height: 5, round: 2, step: .prevote, blockHash: Hash256.of([1]), lockedRound: -1, lockedBlock: nil)
        #expect(!s.permits(height: 5, round: 2, step: .prevote, hash: Hash256.of([2])))
        #expect(!s.permits(height: 5, round: 1, step: .precommit, hash: nil))
        #expect(!s.permits(height: 4, round: 9, step: .precommit, hash: nil))
        #expect(s.permits(height: 5, round: 2, step: .prevote, hash: Hash256.of([1])))
        #expect(s.permits(height: 5, round: 2, step: .precommit, hash: nil))
        #expect(s.permits(height: 6, round: 0, step: .proposal, hash: Hash256.of([3])))
        #expect(try SignState(decoding: s.encoded) == s)
    }

    @Test func quorumSizes() {
        #expect([1, 2, 3, 4, 5, 6, 7, 10].map(Quorum.size) == [1, 2, 2, 3, 4, 4, 5, 7])
        for n in 1...30 {
            let f = Quorum.faults(n), q = Quorum.size(n)
            #expect(2 * q - n >= f + 1)  // two quorums share an honest member
            #expect(n - f >= q)  // the honest members alone form a quorum
        }
    }
}
