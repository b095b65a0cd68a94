import TacitBytes
import Foundation
import X509

/// Height 0: the CA certificate, the founding members and the policies, signed by every
/// founding member. Its hash is the chain id every transaction and vote is bound to.
public struct Genesis: Sendable {
    public static let version: UInt8 = 1
    public let chainName: String
    public let timestamp: UInt64
    public let caCertificateDER: [UInt8]
    public let members: [MemberRecord]
    public let policies: Policies
    public let signatures: [(member: String, signature: [UInt8])]
    /// The bytes that are hashed (after the domain tag): everything but the signatures.
    public let body: [UInt8]
    public let hash: Hash256

    public init(chainName: String, timestamp: UInt64, caCertificateDER: [UInt8], members: [MemberRecord], policies: Policies,
        signatures: [(member: String, signature: [UInt8])] = [])
    {
        var w = ByteWriter()
        w.u8(Genesis.version)
        w.string(chainName)
        w.u64(timestamp)
        w.data(caCertificateDER)
        let sorted = members.sorted { $0.name < $1.name }
        w.u32(UInt32(sorted.count))
        for m in sorted { m.encode(&w) }
        policies.encode(&w)
        self.chainName = chainName
        self.timestamp = timestamp
        self.caCertificateDER = caCertificateDER
        self.members = sorted
        self.policies = policies
        self.body = w.bytes
        self.hash = Hash256.tagged(.genesis, w.bytes)
        self.signatures = signatures.sorted { $0.member < $1.member }
    }

    /// This genesis with `identity`'s signature added (replacing an earlier one of it).
    public func signed(by identity: SigningIdentity) -> Genesis {
        var sigs = signatures.filter { $0.member != identity.name }
        sigs.append((identity.name, identity.key.sign(DomainTag.genesis.bytes + hash.bytes)))
        return Genesis(chainName: chainName, timestamp: timestamp, caCertificateDER: caCertificateDER, members: members, policies: policies, signatures: sigs)
    }

    public var encoded: [UInt8] {
        var w = ByteWriter()
        w.raw(body)
        w.u32(UInt32(signatures.count))
        for s in signatures {
            w.string(s.member)
            w.raw(s.signature)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = LedgerReader(bytes, what: "genesis block")
        let v = try r.u8("version")
        guard v == Genesis.version else { throw LedgerError(.invalidGenesis, "unsupported genesis version \(v)") }
        let name = try r.string("chain name", max: 256)
        let ts = try r.u64("timestamp")
        let ca = try r.data("CA certificate", max: 16 << 10)
        let n = try r.count("members", minSize: 50, max: 1024)
        var members: [MemberRecord] = []
        for _ in 0..<n { members.append(try MemberRecord.decode(&r)) }
        let policies = try Policies.decode(&r)
        let ns = try r.count("signatures", minSize: 68, max: 1024)
        var sigs: [(member: String, signature: [UInt8])] = []
        for _ in 0..<ns { sigs.append((try r.string("signer", max: 64), try r.raw(64, "signature"))) }
        try r.finish()
        self.init(chainName: name, timestamp: ts, caCertificateDER: ca, members: members, policies: policies, signatures: sigs)
        // One encoding per genesis: founders' signatures strictly sorted by name, as `init` orders them.
        guard zip(sigs, sigs.dropFirst()).allSatisfy({ $0.member < $1.member }) else {
            throw LedgerError(.invalidGenesis, "genesis signatures are not sorted by signer or a signer is listed twice; the file was not written by Tacit")
        }
        guard self.members.map(\.name) == members.map(\.name) else {
            throw LedgerError(.invalidGenesis, "genesis members are not sorted by name; the file was not written by Tacit")
        }
    }

    /// Checks the CA, every member certificate and that every founding member signed;
    /// returns the membership at height 0.
    public func verify() throws -> Membership {
        let ca: Certificate
        do { ca = try ConsortiumCA.parse(der: caCertificateDER) } catch let e as LedgerError {
            throw LedgerError(.invalidGenesis, "CA certificate: \(e.reason)", height: 0)
        }
        var m = Membership(ca: ca, policies: policies)
        let time = Date(timeIntervalSince1970: Double(timestamp) / 1000)
        do {
            for rec in members { try m.add(rec, at: time) }
        } catch let e as LedgerError {
            throw LedgerError(.invalidGenesis, e.reason, height: 0)
        }
        guard m.count >= 1 else { throw LedgerError(.invalidGenesis, "genesis lists no members", height: 0) }
        let message = DomainTag.genesis.bytes + hash.bytes
        var signed: Set<String> = []
        for s in signatures {
            guard let key = m.keys[s.member] else {
                throw LedgerError(.invalidGenesis, "genesis signed by \(s.member), who is not a founding member", height: 0)
            }
            guard key.isValid(signature: s.signature, for: message) else {
                throw LedgerError(.invalidGenesis, "genesis signature of \(s.member) does not verify", height: 0)
            }
            signed.insert(s.member)
        }
        let missing = m.names.filter { !signed.contains($0) }
        guard missing.isEmpty else {
            throw LedgerError(
                .invalidGenesis, "genesis lacks the signature of founding member(s) \(missing.joined(separator: ", ")); each must sign it",
                height: 0)
        }
        return m
    }
}

/// What a block's hash covers.
public struct BlockHeader: Sendable, Equatable {
    public static let version: UInt8 = 1
    public let chainID: Hash256
    public let height: UInt64
    public let previousHash: Hash256
    public let txRoot: Hash256
    public let txCount: UInt32
    public let timestamp: UInt64
    public let proposer: String

    public init(chainID: Hash256, height: UInt64, previousHash: Hash256, txRoot: Hash256, txCount: UInt32, timestamp: UInt64, proposer: String) {
        self.chainID = chainID
        self.height = height
        self.previousHash = previousHash
        self.txRoot = txRoot
        self.txCount = txCount
        self.timestamp = timestamp
        self.proposer = proposer
    }

    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.u8(BlockHeader.version)
        w.raw(chainID.bytes)
        w.u64(height)
        w.raw(previousHash.bytes)
        w.raw(txRoot.bytes)
        w.u32(txCount)
        w.u64(timestamp)
        w.string(proposer)
        return w.bytes
    }

    public var hash: Hash256 { Hash256.tagged(.block, encoded) }

    public init(decoding bytes: [UInt8]) throws {
        var r = LedgerReader(bytes, what: "block header")
        try self.init(&r)
        try r.finish()
    }

    init(_ r: inout LedgerReader) throws {
        let v = try r.u8("version")
        guard v == BlockHeader.version else { throw LedgerError(.malformed, "block header: unsupported version \(v)") }
        self.init(
            chainID: Hash256(bytes: try r.raw(32, "chain id")), height: try r.u64("height"),
            previousHash: Hash256(bytes: try r.raw(32, "previous hash")), txRoot: Hash256(bytes: try r.raw(32, "tx root")),
            txCount: try r.u32("tx count"), timestamp: try r.u64("timestamp"), proposer: try r.string("proposer", max: 64))
    }
}

/// A header and its transactions' canonical bytes.
public struct Block: Sendable, Equatable {
    public let header: BlockHeader
    public let transactions: [[UInt8]]
    public let hash: Hash256

    public init(header: BlockHeader, transactions: [[UInt8]]) {
        self.header = header
        self.transactions = transactions
        self.hash = header.hash
    }

    public static func make(chainID: Hash256, height: UInt64, previousHash: Hash256, transactions: [[UInt8]], timestamp: UInt64, proposer: String) -> Block {
        Block(
            header: BlockHeader(
                chainID: chainID, height: height, previousHash: previousHash, txRoot: MerkleTree.root(leaves: transactions),
                txCount: UInt32(transactions.count), timestamp: timestamp, proposer: proposer),
            transactions: transactions)
    }

    /// Structure only: the Merkle root and count match the transactions.
    public func checkIntegrity() throws {
        guard header.txCount == transactions.count else {
            throw LedgerError(.invalidBlock, "header counts \(header.txCount) transactions, the block holds \(transactions.count)", height: header.height)
        }
        let root = MerkleTree.root(leaves: transactions)
        guard root == header.txRoot else {
            throw LedgerError(
                .invalidBlock, "Merkle root of the transactions (\(root.short)) differs from the header's (\(header.txRoot.short)): a transaction was altered, added or removed",
                height: header.height)
        }
    }

    func encode(_ w: inout ByteWriter) {
        w.data(header.encoded)
        w.u32(UInt32(transactions.count))
        for t in transactions { w.data(t) }
    }

    /// The transactions' canonical bytes together (what ``LedgerLimits/maxBlockBytes`` bounds).
    public var transactionBytes: Int { transactions.reduce(0) { $0 + $1.count } }

    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 200 + transactions.reduce(0) { $0 + $1.count + 4 })
        encode(&w)
        return w.bytes
    }

    static func decode(_ r: inout LedgerReader) throws -> Block {
        let header = try BlockHeader(decoding: try r.data("header", max: 4096))
        let n = try r.count("transactions", minSize: 4, max: 1 << 20)
        var txs: [[UInt8]] = []
        txs.reserveCapacity(n)
        var total = 0
        for _ in 0..<n {
            let tx = try r.data("transaction", max: LedgerLimits.maxTransactionBytes)
            total += tx.count
            guard total <= LedgerLimits.maxBlockBytes else {
                throw LedgerError(.malformed, "\(r.what): the transactions exceed \(LedgerLimits.maxBlockBytes) bytes")
            }
            txs.append(tx)
        }
        return Block(header: header, transactions: txs)
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = LedgerReader(bytes, what: "block")
        self = try Block.decode(&r)
        try r.finish()
    }
}

public enum VoteType: UInt8, Sendable {
    case prevote = 1
    case precommit = 2
}

/// A Tendermint vote: for a block hash, or for nothing (`nil`) in a round.
public struct Vote: Sendable, Equatable {
    public let type: VoteType
    public let height: UInt64
    public let round: UInt32
    public let blockHash: Hash256?
    public let voter: String
    public let signature: [UInt8]

    static func signBytes(chainID: Hash256, type: VoteType, height: UInt64, round: UInt32, blockHash: Hash256?) -> [UInt8] {
        var w = ByteWriter(capacity: 100)
        w.raw(DomainTag.vote.bytes)
        w.u8(type.rawValue)
        w.raw(chainID.bytes)
        w.u64(height)
        w.u32(round)
        if let h = blockHash {
            w.u8(1)
            w.raw(h.bytes)
        } else {
            w.u8(0)
            w.raw(Hash256.zero.bytes)
        }
        return w.bytes
    }

    init(type: VoteType, height: UInt64, round: UInt32, blockHash: Hash256?, voter: String, signature: [UInt8]) {
        self.type = type
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.voter = voter
        self.signature = signature
    }

    init(chainID: Hash256, type: VoteType, height: UInt64, round: UInt32, blockHash: Hash256?, signer: SigningIdentity) {
        self.init(
            type: type, height: height, round: round, blockHash: blockHash, voter: signer.name,
            signature: signer.key.sign(Vote.signBytes(chainID: chainID, type: type, height: height, round: round, blockHash: blockHash)))
    }

    func verify(chainID: Hash256, key: VerifyingKey) -> Bool {
        key.isValid(signature: signature, for: Vote.signBytes(chainID: chainID, type: type, height: height, round: round, blockHash: blockHash))
    }

    func encode(_ w: inout ByteWriter) {
        w.u8(type.rawValue)
        w.u64(height)
        w.u32(round)
        w.u8(blockHash == nil ? 0 : 1)
        w.raw((blockHash ?? .zero).bytes)
        w.string(voter)
        w.raw(signature)
    }

    static func decode(_ r: inout LedgerReader) throws -> Vote {
        guard let t = VoteType(rawValue: try r.u8("vote type")) else { throw LedgerError(.malformed, "\(r.what): unknown vote type") }
        let h = try r.u64("height")
        let round = try r.u32("round")
        let has = try r.u8("has block")
        let hash = Hash256(bytes: try r.raw(32, "block hash"))
        guard has <= 1 else { throw LedgerError(.malformed, "\(r.what): bad block flag") }
        // One encoding per vote: a nil vote's hash field is zero, as `encode` writes it.
        guard has == 1 || hash == .zero else { throw LedgerError(.malformed, "\(r.what): a nil vote carries a block hash") }
        return Vote(type: t, height: h, round: round, blockHash: has == 1 ? hash : nil, voter: try r.string("voter", max: 64), signature: try r.raw(64, "signature"))
    }
}

/// The precommits of a quorum of members for one block in one round: the proof a block is
/// committed. Each signature is over the vote sign bytes (type 2, chain, height, round, hash).
public struct CommitCertificate: Sendable, Equatable {
    public let height: UInt64
    public let round: UInt32
    public let blockHash: Hash256
    /// Sorted by member name.
    public let signatures: [Signature]

    public struct Signature: Sendable, Equatable {
        public let member: String
        public let signature: [UInt8]
    }

    public init(height: UInt64, round: UInt32, blockHash: Hash256, signatures: [Signature]) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signatures = signatures.sorted { CommitCertificate.precedes($0.member, $1.member) }
    }

    /// Byte-wise order of the UTF-8 names (what an auditor's `sorted()` on bytes gives).
    static func precedes(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 48 + signatures.count * 80)
        w.u64(height)
        w.u32(round)
        w.raw(blockHash.bytes)
        w.u32(UInt32(signatures.count))
        for s in signatures {
            w.string(s.member)
            w.raw(s.signature)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = LedgerReader(bytes, what: "commit certificate")
        let h = try r.u64("height")
        let round = try r.u32("round")
        let hash = Hash256(bytes: try r.raw(32, "block hash"))
        let n = try r.count("signatures", minSize: 68, max: 1024)
        var sigs: [Signature] = []
        for _ in 0..<n { sigs.append(Signature(member: try r.string("signer", max: 64), signature: try r.raw(64, "signature"))) }
        try r.finish()
        // One canonical encoding: sorting here would accept (and re-encode differently) a
        // certificate the format does not allow.
        for (x, y) in zip(sigs, sigs.dropFirst()) where !CommitCertificate.precedes(x.member, y.member) {
            throw LedgerError(
                .malformed,
                "commit certificate at height \(h): signers \(String(reflecting: x.member)), \(String(reflecting: y.member)) are not in strictly increasing byte-wise order; it was not written by Tacit")
        }
        self.init(height: h, round: round, blockHash: hash, signatures: sigs)
    }

    /// A quorum of distinct members of `membership` signed a precommit for `blockHash`.
    /// `checkSignatures: false` skips only the signature checks, for a certificate whose every
    /// signature the caller has already verified.
    public func verify(
        chainID: Hash256, blockHash expected: Hash256, height expectedHeight: UInt64, membership: Membership, checkSignatures: Bool = true
    ) throws {
        guard height == expectedHeight, blockHash == expected else {
            throw LedgerError(.invalidBlock, "commit certificate is for block \(blockHash.short) at height \(height), not this block", height: expectedHeight)
        }
        let message = Vote.signBytes(chainID: chainID, type: .precommit, height: height, round: round, blockHash: blockHash)
        var signers: Set<String> = []
        for s in signatures {
            guard let key = membership.keys[s.member] else {
                throw LedgerError(.unknownMember, "commit certificate signed by \(s.member), not a member at this height", height: height)
            }
            guard !checkSignatures || key.isValid(signature: s.signature, for: message) else {
                throw LedgerError(.badSignature, "commit signature of \(s.member) does not verify", height: height)
            }
            signers.insert(s.member)
        }
        guard signers.count >= membership.quorum else {
            throw LedgerError(
                .invalidBlock, "commit certificate has \(signers.count) distinct member signatures; a quorum of \(membership.count) members is \(membership.quorum)",
                height: height)
        }
    }
}
