import TacitBytes
/// A block proposed for one round, signed by that round's proposer. `polRound` is the round
/// of the proof-of-lock (a quorum of prevotes) that justifies re-proposing a block, or −1.
public struct Proposal: Sendable, Equatable {
    public let height: UInt64
    public let round: UInt32
    public let polRound: Int32
    public let block: Block
    public let proposer: String
    public let signature: [UInt8]

    static func signBytes(chainID: Hash256, height: UInt64, round: UInt32, polRound: Int32, blockHash: Hash256) -> [UInt8] {
        var w = ByteWriter(capacity: 120)
        w.raw(DomainTag.proposal.bytes)
        w.raw(chainID.bytes)
        w.u64(height)
        w.u32(round)
        w.u32(UInt32(bitPattern: polRound))
        w.raw(blockHash.bytes)
        return w.bytes
    }

    init(height: UInt64, round: UInt32, polRound: Int32, block: Block, proposer: String, signature: [UInt8]) {
        self.height = height
        self.round = round
        self.polRound = polRound
        self.block = block
        self.proposer = proposer
        self.signature = signature
    }

    init(chainID: Hash256, height: UInt64, round: UInt32, polRound: Int32, block: Block, signer: SigningIdentity) {
        self.init(
            height: height, round: round, polRound: polRound, block: block, proposer: signer.name,
            signature: signer.key.sign(Proposal.signBytes(chainID: chainID, height: height, round: round, polRound: polRound, blockHash: block.hash)))
    }

    func verify(chainID: Hash256, key: VerifyingKey) -> Bool {
        key.isValid(signature: signature, for: Proposal.signBytes(chainID: chainID, height: height, round: round, polRound: polRound, blockHash: block.hash))
    }
}

/// Everything members say to each other about the chain.
public enum ConsensusMessage: Sendable, Equatable {
    case proposal(Proposal)
    case vote(Vote)
    /// A committed block and its certificate: the answer to a sync or block request.
    case commit(Block, CommitCertificate)
    /// The sender's last committed height (sent periodically, so a member that was down
    /// learns that it is behind).
    case status(committed: UInt64)
    /// Asks for committed blocks from `from` on.
    case syncRequest(from: UInt64)
    /// Asks for the block with this hash at this height (precommitted, but its proposal was
    /// not received).
    case blockRequest(height: UInt64, hash: Hash256)
    case block(Block)

    public var encoded: [UInt8] {
        var w = ByteWriter()
        switch self {
        case .proposal(let p):
            w.u8(1)
            w.u64(p.height)
            w.u32(p.round)
            w.u32(UInt32(bitPattern: p.polRound))
            w.string(p.proposer)
            w.raw(p.signature)
            p.block.encode(&w)
        case .vote(let v):
            w.u8(2)
            v.encode(&w)
        case .commit(let b, let c):
            w.u8(3)
            b.encode(&w)
            w.data(c.encoded)
        case .status(let h):
            w.u8(4)
            w.u64(h)
        case .syncRequest(let h):
            w.u8(5)
            w.u64(h)
        case .blockRequest(let h, let hash):
            w.u8(6)
            w.u64(h)
            w.raw(hash.bytes)
        case .block(let b):
            w.u8(7)
            b.encode(&w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = LedgerReader(bytes, what: "consensus message")
        switch try r.u8("message type") {
        case 1:
            let h = try r.u64("height")
            let round = try r.u32("round")
            let pol = Int32(bitPattern: try r.u32("pol round"))
            let proposer = try r.string("proposer", max: 64)
            let sig = try r.raw(64, "signature")
            self = .proposal(Proposal(height: h, round: round, polRound: pol, block: try Block.decode(&r), proposer: proposer, signature: sig))
        case 2: self = .vote(try Vote.decode(&r))
        case 3:
            let b = try Block.decode(&r)
            self = .commit(b, try CommitCertificate(decoding: try r.data("certificate", max: 1 << 20)))
        case 4: self = .status(committed: try r.u64("height"))
        case 5: self = .syncRequest(from: try r.u64("height"))
        case 6: self = .blockRequest(height: try r.u64("height"), hash: Hash256(bytes: try r.raw(32, "hash")))
        case 7: self = .block(try Block.decode(&r))
        case let t: throw LedgerError(.malformed, "consensus message: unknown type \(t)")
        }
        try r.finish()
    }
}

/// The last thing this member signed, kept durably before the signature leaves the process,
/// with its lock: after a crash it resumes where it was and cannot sign a conflicting vote.
public struct SignState: Sendable, Equatable {
    public enum Step: UInt8, Sendable, Comparable {
        case proposal = 0, prevote = 1, precommit = 2
        public static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }
    }
    public var height: UInt64
    public var round: UInt32
    public var step: Step
    public var blockHash: Hash256?
    public var lockedRound: Int32
    public var lockedBlock: Block?

    /// Whether signing (h, r, step, hash) after this one is allowed: strictly later, or the
    /// very same message again.
    func permits(height h: UInt64, round r: UInt32, step s: Step, hash: Hash256?) -> Bool {
        if (h, r, s.rawValue) == (height, round, step.rawValue) { return hash == blockHash }
        return (h, r, s.rawValue) > (height, round, step.rawValue)
    }

    public var encoded: [UInt8] {
        var w = ByteWriter()
        w.u64(height)
        w.u32(round)
        w.u8(step.rawValue)
        w.u8(blockHash == nil ? 0 : 1)
        w.raw((blockHash ?? .zero).bytes)
        w.u32(UInt32(bitPattern: lockedRound))
        if let b = lockedBlock {
            w.u8(1)
            b.encode(&w)
        } else {
            w.u8(0)
        }
        return w.bytes
    }

    public init(height: UInt64, round: UInt32, step: Step, blockHash: Hash256?, lockedRound: Int32, lockedBlock: Block?) {
        self.height = height
        self.round = round
        self.step = step
        self.blockHash = blockHash
        self.lockedRound = lockedRound
        self.lockedBlock = lockedBlock
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = LedgerReader(bytes, what: "sign state")
        height = try r.u64("height")
        round = try r.u32("round")
        guard let s = Step(rawValue: try r.u8("step")) else { throw LedgerError(.malformed, "sign state: bad step") }
        step = s
        let has = try r.u8("has hash")
        let h = Hash256(bytes: try r.raw(32, "hash"))
        blockHash = has == 1 ? h : nil
        lockedRound = Int32(bitPattern: try r.u32("locked round"))
        lockedBlock = try r.u8("has locked block") == 1 ? try Block.decode(&r) : nil
        try r.finish()
    }
}

/// What the consensus engine needs from the replica it drives. Calls happen on the engine's
/// caller, synchronously; `persist` and `commit` must be durable when they return.
public protocol ConsensusApplication {
    /// A block of pending transactions for `height`, or nil when nothing is pending.
    mutating func makeBlock(height: UInt64, previousHash: Hash256, proposer: String) -> Block?
    var hasPending: Bool { get }
    /// Full validation against the state after height − 1.
    mutating func isValid(_ block: Block) -> Bool
    mutating func commit(_ block: Block, _ certificate: CommitCertificate) throws
    /// As `commit`, called by the consensus engine once it has verified every signature of
    /// `certificate` itself; an application may skip checking them again.
    mutating func commit(_ block: Block, _ certificate: CommitCertificate, signaturesVerified: Bool) throws
    mutating func persist(_ state: SignState) throws
    func committed(at height: UInt64) -> (Block, CommitCertificate)?
    /// The members and keys that vote on the next height.
    var validators: [String: VerifyingKey] { get }
    var lastCommittedHash: Hash256 { get }
}

extension ConsensusApplication {
    public mutating func commit(_ block: Block, _ certificate: CommitCertificate, signaturesVerified: Bool) throws {
        try commit(block, certificate)
    }
}

public struct ConsensusTimeouts: Sendable {
    public var propose: Duration = .milliseconds(400)
    public var prevote: Duration = .milliseconds(200)
    public var precommit: Duration = .milliseconds(200)
    /// Added per round, so that after the network stabilises timeouts outgrow delays.
    public var delta: Duration = .milliseconds(200)
    /// Status broadcast and re-sending of this round's messages while stuck.
    public var tick: Duration = .milliseconds(250)
    public init() {}
}

public struct TimeoutEvent: Sendable, Hashable {
    public enum Kind: UInt8, Sendable { case propose, prevote, precommit, tick }
    public let kind: Kind
    public let height: UInt64
    public let round: UInt32
}

public enum ConsensusAction: Sendable, Equatable {
    case broadcast(ConsensusMessage)
    case send(String, ConsensusMessage)
    case schedule(TimeoutEvent, after: Duration)
    /// Informational: a block was committed at this height.
    case committed(UInt64, Hash256)
    /// A member signed two conflicting messages (evidence, for the log).
    case equivocation(String, String)
}
