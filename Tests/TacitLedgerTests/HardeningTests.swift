import Foundation
import TacitBytes
import TacitNet
import Testing
import TacitTestSupport

@testable import TacitLedger

/// Blocks certified offline by every member of a `TestLedger` (the tests hold all the keys),
/// so a chain, a truncated replica or a fork can be written without running the consensus.
extension TestLedger {
    func certificate(for block: Block, round: UInt32 = 0, signers: [String]? = nil) -> CommitCertificate {
        let sigs = (signers ?? names).map { n in
            let v = Vote(chainID: genesis.hash, type: .precommit, height: block.header.height, round: round, blockHash: block.hash, signer: ids[n]!)
            return CommitCertificate.Signature(member: n, signature: v.signature)
        }
        return CommitCertificate(height: block.header.height, round: round, blockHash: block.hash, signatures: sigs)
    }

    /// The next block of `replica` holding `txs`, committed through the replica's own checks.
    @discardableResult
    func commit(_ txs: [Transaction], to replica: Replica, timestamp: UInt64? = nil) throws -> Block {
        let s = replica.state
        let block = Block.make(
            chainID: genesis.hash, height: s.height + 1, previousHash: s.lastHash, transactions: txs.map(\.encoded),
            timestamp: timestamp ?? max(Transaction.now(), s.lastTimestamp), proposer: names[0])
        try replica.commit(block, certificate(for: block))
        return block
    }

    func block(_ txs: [Transaction], height: UInt64 = 1, previous: Hash256? = nil, timestamp: UInt64 = Transaction.now()) -> Block {
        Block.make(
            chainID: genesis.hash, height: height, previousHash: previous ?? genesis.hash, transactions: txs.map(\.encoded), timestamp: timestamp,
            proposer: names[0])
    }
}

/// The code of the `LedgerError` `body` throws; nil (and a recorded issue) if it throws
/// nothing or something else.
func ledgerErrorCode(_ what: String, _ body: () throws -> Void) -> LedgerError.Code? {
    do {
        try body()
        Issue.record("\(what) was accepted")
    } catch let e as LedgerError {
        return e.code
    } catch {
        Issue.record("\(what): unexpected error \(error)")
    }
    return nil
}

@Suite("What a misbehaving member cannot write to the ledger")
struct LedgerValidationHardeningTests {
    @Test("a raw signed JobProposed whose job id is '../keys' is refused, in the pool and in a block")
    func pathLikeJobID() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        for bad in ["../keys", "../data/claims.csv", ".hidden", "-x", "a b", String(repeating: "j", count: 65)] {
            let tx = l.tx("a", 1, job(bad, ["a", "b"]))
            #expect(ledgerErrorCode("job id '\(bad)' in the pool") { try replica.admit(tx, signaturesVerified: false) } == .invalidName)
            #expect(ledgerErrorCode("job id '\(bad)' in a block") { _ = try replica.state.validate(l.block([tx])) } == .invalidName)
        }
        // Every job transaction, not only the proposal.
        let approve = l.tx("a", 2, .jobApproved(jobID: "../keys", fields: ["x"]))
        #expect(ledgerErrorCode("an approval of '../keys'") { try replica.admit(approve, signaturesVerified: false) } == .invalidName)
        let failed = l.tx("a", 3, .jobFailed(jobID: "../keys", reason: "x"))
        #expect(ledgerErrorCode("a failure of '../keys'") { try replica.admit(failed, signaturesVerified: false) } == .invalidName)
        // The name rules' own example of a good id still passes.
        try replica.admit(l.tx("a", 4, job("claims-2026.q1_v2", ["a"])), signaturesVerified: false)
    }

    @Test("a member removed earlier in a block cannot author (or endorse) later in that block")
    func removedMemberInSameBlock() throws {
        let l = try TestLedger(["a", "b", "c", "d"])
        defer { l.cleanup() }
        let state = try LedgerState(genesis: l.genesis)
        let remove = Transaction(chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 1, body: .memberRemoved(name: "d"), endorsers: [l.ids["b"]!, l.ids["c"]!, l.ids["d"]!])
        let byD = l.tx("d", 1, job("after-removal", ["a"]))
        #expect(ledgerErrorCode("d authoring after its removal") { _ = try state.validate(l.block([remove, byD])) } == .unknownMember)
        // The pool applies the same rule.
        let replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        try replica.admit(remove, signaturesVerified: false)
        #expect(ledgerErrorCode("d authoring after its removal, pooled") { try replica.admit(byD, signaturesVerified: false) } == .unknownMember)
        // An endorsement by a member removed earlier in the block counts for nothing.
        let policy = Transaction(
            chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 2, body: .policyChanged(Policies(changeThreshold: 2)), endorsers: [l.ids["d"]!])
        #expect(ledgerErrorCode("d endorsing after its removal") { _ = try state.validate(l.block([remove, policy])) } == .unknownMember)
    }

    @Test("a certificate is checked at the block's time, not at the time its author wrote into the transaction")
    func certificateAtBlockTime() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let state = try LedgerState(genesis: l.genesis)
        let caKey = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(l.dir)/ca.key"))
        let ca = try LedgerKeyFiles.readCertificate(path: "\(l.dir)/ca.crt")
        // Valid for ten days, three years ago: expired now.
        let past = Date().addingTimeInterval(-3 * 365 * 86400)
        let dKey = SigningKey.generate()
        let cert = try ConsortiumCA.issue(name: "d", memberKey: dKey.publicKey, caKey: caKey, caCertificate: ca, validDays: 10, now: past)
        let record = MemberRecord(
            name: "d", certificateDER: try ConsortiumCA.der(cert), curveKey: "", endpoint: "tcp://127.0.0.1:1", roles: ["member"],
            encryptionKey: EncryptionKey.generate().publicKey)
        // The author backdates the transaction into the certificate's validity.
        let backdated = UInt64(past.addingTimeInterval(86400).timeIntervalSince1970 * 1000)
        let add = Transaction(
            chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 1, timestamp: backdated, body: .memberAdded(record), endorsers: [l.ids["b"]!, l.ids["c"]!])
        #expect(ledgerErrorCode("an expired certificate in a backdated MemberAdded") { _ = try state.validate(l.block([add])) } == .invalidCertificate)
        let replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        #expect(ledgerErrorCode("an expired certificate, pooled") { try replica.admit(add, signaturesVerified: false) } == .invalidCertificate)
    }

    @Test("a commit certificate whose signers are not sorted byte-wise, or repeat, does not decode")
    func unsortedCertificate() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let block = l.block([l.tx("a", 1, job("s", ["a"]))])
        let good = l.certificate(for: block)
        #expect(try CommitCertificate(decoding: good.encoded) == good)
        func encode(_ order: [Int]) -> [UInt8] {
            var w = ByteWriter()
            w.u64(good.height)
            w.u32(good.round)
            w.raw(good.blockHash.bytes)
            w.u32(UInt32(order.count))
            for i in order {
                w.string(good.signatures[i].member)
                w.raw(good.signatures[i].signature)
            }
            return w.bytes
        }
        #expect(ledgerErrorCode("signers b, a, c") { _ = try CommitCertificate(decoding: encode([1, 0, 2])) } == .malformed)
        #expect(ledgerErrorCode("signers a, a, b") { _ = try CommitCertificate(decoding: encode([0, 0, 1])) } == .malformed)
    }

    @Test("a block of a valid quorum but an invalid transaction is neither accepted as a proposal nor applied from sync")
    func badProposedAndSyncedBlock() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        var replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        // c's transaction signed with b's key: the block is well formed, its certificate valid.
        let forged = Transaction(chainID: l.genesis.hash, author: SigningIdentity(name: "c", key: l.ids["b"]!.key), nonce: 1, body: job("f", ["c"]))
        let bad = l.block([forged])
        #expect(!replica.isValid(bad))
        var core = ConsensusCore(identity: l.ids["a"]!, chainID: l.genesis.hash, nextHeight: 1, signState: nil)
        _ = core.start(&replica)
        // Synced with a quorum's certificate: not applied.
        let synced = core.receive(.commit(bad, l.certificate(for: bad)), from: "b", &replica)
        #expect(!synced.contains { if case .committed = $0 { true } else { false } })
        #expect(try replica.store.lastHeight() == 0)
        #expect(core.height == 1)
        // Proposed by the round's proposer (b at height 1, round 0): a prevotes nil.
        let proposer = core.proposer(1, 0)
        let p = Proposal(chainID: l.genesis.hash, height: 1, round: 0, polRound: -1, block: bad, signer: l.ids[proposer]!)
        let answer = core.receive(.proposal(p), from: proposer, &replica)
        let prevotes = answer.compactMap { a -> Vote? in
            if case .broadcast(.vote(let v)) = a, v.type == .prevote { return v }
            return nil
        }
        #expect(prevotes.count == 1)
        #expect(prevotes.first.map { $0.blockHash == nil } == true, "prevoted for an invalid block")
    }

    @Test("a member's two conflicting prevotes in one round are kept and reported as an equivocation naming it")
    func equivocationRecorded() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        var replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        var core = ConsensusCore(identity: l.ids["a"]!, chainID: l.genesis.hash, nextHeight: 1, signState: nil)
        _ = core.start(&replica)
        let v1 = Vote(chainID: l.genesis.hash, type: .prevote, height: 1, round: 0, blockHash: Hash256.of([1]), signer: l.ids["c"]!)
        let v2 = Vote(chainID: l.genesis.hash, type: .prevote, height: 1, round: 0, blockHash: Hash256.of([2]), signer: l.ids["c"]!)
        let first = core.receive(.vote(v1), from: "c", &replica)
        #expect(!first.contains { if case .equivocation = $0 { true } else { false } })
        let second = core.receive(.vote(v2), from: "c", &replica)
        let reports = second.compactMap { a -> String? in if case .equivocation(let who, _) = a { return who } else { return nil } }
        #expect(reports == ["c"])
        #expect(core.prevotes[0]?["c"]?.count == 2)
        // A third vote, or a vote forged under c's name, is neither kept nor reported.
        let forged = Vote(type: .prevote, height: 1, round: 0, blockHash: Hash256.of([3]), voter: "c", signature: v1.signature)
        #expect(!core.receive(.vote(forged), from: "b", &replica).contains { if case .equivocation = $0 { true } else { false } })
        #expect(core.prevotes[0]?["c"]?.count == 2)
    }

    @Test("a genesis whose founders' certificates come from another CA does not verify")
    func genesisUnderAnotherCA() throws {
        let l = try TestLedger()
        let other = try TestLedger()
        defer { l.cleanup(); other.cleanup() }
        // l's members and signatures, other's CA.
        var forged = Genesis(
            chainName: l.genesis.chainName, timestamp: l.genesis.timestamp, caCertificateDER: other.genesis.caCertificateDER, members: l.genesis.members,
            policies: l.genesis.policies)
        for n in l.names { forged = forged.signed(by: l.ids[n]!) }
        #expect(ledgerErrorCode("a genesis under another CA") { _ = try forged.verify() } == .invalidGenesis)
    }

    @Test("a sealed field opened with a wrong key, or as a member it is not sealed to, gives its error code")
    func sealedFieldWrongKey() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let m = try LedgerState(genesis: l.genesis).membership
        let field = try SealedField.seal(name: "result", value: Array("42".utf8), to: ["b"], in: m)
        let aEnc = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(l.dir)/a.enc.key"))
        let bEnc = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(l.dir)/b.enc.key"))
        #expect(try field.open(as: "b", key: bEnc) == Array("42".utf8))
        #expect(ledgerErrorCode("b's field opened with a's key") { _ = try field.open(as: "b", key: aEnc) } == .badSignature)
        #expect(ledgerErrorCode("b's field opened as a") { _ = try field.open(as: "a", key: aEnc) } == .notAuthorised)
    }
}

@Suite("Fixed vectors computed from Docs/TacitLedger.md")
struct LedgerVectorTests {
    // Computed independently with Python's hashlib from the byte layouts in
    // Docs/TacitLedger.md ("Canonical encoding"), not from this code:
    //     # From Docs/TacitLedger.md "Canonical encoding" only.
    //     import hashlib, struct
    //     sha = lambda b: hashlib.sha256(b).digest()
    //     u8 = lambda v: bytes([v]); u32 = lambda v: struct.pack(">I", v); u64 = lambda v: struct.pack(">Q", v)
    //     s = lambda t: u32(len(t.encode())) + t.encode()
    //     data = lambda b: u32(len(b)) + b
    //     lst = lambda items: u32(len(items)) + b"".join(items)
    //     chain = bytes(range(32))
    //     body = s("j1") + s("sum") + lst([s("alice") + s("input") + lst([s("x")])]) + u8(0) + data(b"spec")
    //     payload = u8(1) + chain + s("alice") + u64(1) + u64(1700000000000) + u8(1) + data(body) + lst([])
    //     full = payload + b"\x11" * 64 + lst([])
    //     print("txBytes", full.hex()); print("txID", sha(full).hex())
    //     leaf = sha(b"\0" + full); root = sha(b"\1" + leaf + leaf)
    //     print("root2", root.hex())
    //     header = u8(1) + chain + u64(7) + b"\xab" * 32 + root + u32(2) + u64(1700000000500) + s("bob")
    //     print("block", sha(b"TACIT-LEDGER-BLOCK-V1\0" + header).hex())
    static let chainID = Hash256(bytes: (0..<32).map { UInt8($0) })

    /// A JobProposed by "alice", nonce 1, timestamp 1700000000000, job "j1", protocol "sum",
    /// one party ("alice", role "input", fields ["x"]), approval 0, spec "spec", no sealed
    /// field, signature 64 × 0x11, no endorsement.
    static func transaction() -> Transaction {
        let body = TransactionBody.jobProposed(
            JobHeader(jobID: "j1", protocolName: "sum", parties: [.init(name: "alice", role: "input", inputFields: ["x"])]), spec: Array("spec".utf8))
        let payload = Transaction.payload(chainID: chainID, author: "alice", nonce: 1, timestamp: 1_700_000_000_000, body: body, sealed: [])
        return Transaction(
            chainID: chainID, author: "alice", nonce: 1, timestamp: 1_700_000_000_000, body: body, sealed: [],
            signature: [UInt8](repeating: 0x11, count: 64), endorsements: [], payload: payload)
    }

    @Test("transaction id, Merkle root and block hash match the values computed from the documented layout")
    func vectors() throws {
        let tx = Self.transaction()
        #expect(tx.encoded.hex == LedgerVectorTests.txBytes)
        #expect(tx.id.hex == LedgerVectorTests.txID)
        #expect(try Transaction(decoding: tx.encoded) == tx)
        let root = MerkleTree.root(leaves: [tx.encoded, tx.encoded])
        #expect(root.hex == LedgerVectorTests.merkleRoot2)
        let header = BlockHeader(chainID: Self.chainID, height: 7, previousHash: Hash256(bytes: [UInt8](repeating: 0xab, count: 32)), txRoot: root, txCount: 2, timestamp: 1_700_000_000_500, proposer: "bob")
        #expect(header.hash.hex == LedgerVectorTests.blockHash)
    }

    static let txBytes = "01000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00000005616c69636500000000000000010000018bcfe568000100000035000000026a310000000373756d0000000100000005616c69636500000005696e707574000000010000000178000000000473706563000000001111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111100000000"
    static let txID = "af7f1ec60b97fe8d2bb46f4172b6efa9f8c6a7f0e3e1364750a3c3ded51f3d4b"
    static let merkleRoot2 = "8f568466e58947bdc86d4af34a641d2ac19dc3f9265d2a167a8b8792b9d6c077"
    static let blockHash = "9980026c943a1f87f1a7eb77769dedad1240e1b6be6ef3bec89c2ad5010db46f"
}
