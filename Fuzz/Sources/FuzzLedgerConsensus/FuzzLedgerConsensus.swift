// Consensus messages (TacitLedger/ConsensusTypes.swift): proposals, votes, commits, status,
// sync and block requests, decoded and handed to member a's consensus state machine in the
// order they arrive. Input: fields of [sender byte, 2-byte length, message]. Sender bit 7 set:
// the harness re-signs a decoded proposal or vote with the sender's key (a member that signs
// whatever it likes), so the state machine behind the signature check is fuzzed too.
import FuzzLedgerSupport
import FuzzSupport
@testable import TacitLedger

/// Member a's application: blocks are validated against the state after the genesis.
struct App: ConsensusApplication {
    var chain: [(Block, CommitCertificate)] = []
    var state = TestConsortium.state
    var hasPending: Bool { false }
    var validators: [String: VerifyingKey] { state.membership.keys }
    var lastCommittedHash: Hash256 { state.lastHash }
    mutating func makeBlock(height: UInt64, previousHash: Hash256, proposer: String) -> Block? { nil }
    mutating func isValid(_ block: Block) -> Bool { (try? state.validate(block)) != nil }
    mutating func commit(_ block: Block, _ certificate: CommitCertificate) throws {
        let (s, _) = try state.validate(block)
        state.apply(block, s)
        chain.append((block, certificate))
    }
    mutating func persist(_ state: SignState) throws { _ = SignState.self }
    func committed(at height: UInt64) -> (Block, CommitCertificate)? {
        height >= 1 && height <= chain.count ? chain[Int(height) - 1] : nil
    }
}

func message(_ sender: UInt8, _ m: ConsensusMessage) -> [UInt8] {
    let b = m.encoded
    return [sender, UInt8(b.count >> 8 & 0xff), UInt8(b.count & 0xff)] + b
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    TestConsortium.createIfAsked()
    FuzzSeeds.writeIfAsked {
        let chain = TestConsortium.chainID
        let id = TestConsortium.identities
        let block = TestConsortium.block(Array(TestConsortium.sampleTransactions().map(\.encoded).prefix(4)), proposer: "b")
        // Height 1, round 0: the proposer of (1, 0) is whoever ConsensusCore says; every member's
        // proposal is in a seed, so one of them is the right one.
        let proposals = TestConsortium.names.map { p in
            ConsensusMessage.proposal(Proposal(chainID: chain, height: 1, round: 0, polRound: -1, block: block, signer: id[p]!))
        }
        func vote(_ t: VoteType, _ who: String) -> ConsensusMessage {
            .vote(Vote(chainID: chain, type: t, height: 1, round: 0, blockHash: block.hash, signer: id[who]!))
        }
        let cert = CommitCertificate(height: 1, round: 0, blockHash: block.hash, signatures: TestConsortium.names.map { w in
            let v = Vote(chainID: chain, type: .precommit, height: 1, round: 0, blockHash: block.hash, signer: id[w]!)
            return .init(member: v.voter, signature: v.signature)
        })
        var seeds: [(String, [UInt8])] = []
        for (i, p) in proposals.enumerated() {
            let from = UInt8(i)
            seeds.append(("round-from-\(TestConsortium.names[i])",
                message(from, p) + message(1, vote(.prevote, "b")) + message(2, vote(.prevote, "c"))
                    + message(1, vote(.precommit, "b")) + message(2, vote(.precommit, "c"))))
        }
        seeds.append(("commit", message(1, .commit(block, cert))))
        seeds.append(("status-sync", message(1, .status(committed: 3)) + message(2, .syncRequest(from: 1)) + message(1, .blockRequest(height: 1, hash: block.hash))))
        seeds.append(("block", message(2, .block(block))))
        seeds.append(("nil-votes", message(1, .vote(Vote(chainID: chain, type: .prevote, height: 1, round: 0, blockHash: nil, signer: id["b"]!)))))
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var app = App()
    var core = ConsensusCore(identity: TestConsortium.identities["a"]!, chainID: TestConsortium.chainID, nextHeight: 1, signState: nil)
    _ = core.start(&app)
    var steps = 0
    while input.position < input.bytes.count, steps < 64 {
        steps += 1
        let s = input.byte()
        let bytes = input.field()
        // Senders: the three members and one name that is not a member.
        let sender = ["a", "b", "c", "mallory"][Int(s & 3)]
        guard var m = try? ConsensusMessage(decoding: bytes) else { continue }
        precondition(m.encoded == bytes, "ConsensusMessage: decoded bytes do not re-encode identically")
        if s & 0x80 != 0, let key = TestConsortium.identities[sender] {
            let chain = TestConsortium.chainID
            switch m {
            case .proposal(let p):
                m = .proposal(Proposal(chainID: chain, height: p.height, round: p.round, polRound: p.polRound, block: p.block, signer: key))
            case .vote(let v):
                m = .vote(Vote(chainID: chain, type: v.type, height: v.height, round: v.round, blockHash: v.blockHash, signer: key))
            default: break
            }
        }
        if s & 0x40 != 0 {
            let kinds: [TimeoutEvent.Kind] = [.propose, .prevote, .precommit, .tick]
            _ = core.timeout(TimeoutEvent(kind: kinds[Int(s >> 2 & 3)], height: core.height, round: core.round), &app)
        }
        _ = core.receive(m, from: sender, &app)
    }
    return 0
}
