import Dispatch
import Foundation

/// One member's replica: the store, the state derived from it, and the pool of pending
/// transactions. It is the `ConsensusApplication` the consensus engine drives.
public final class Replica: ConsensusApplication {
    public let store: LedgerStore
    public private(set) var state: LedgerState
    /// Pending transactions in arrival order, each valid after the ones before it.
    private(set) var pool: [Transaction] = []
    private var inPool: Set<Hash256> = []
    /// The state after every pooled transaction, over `state`.
    private var poolScratch = LedgerState.Scratch()
    /// Transactions whose signatures were verified against the current membership.
    private var verified: Set<Hash256> = []
    private var validated: [Hash256: (LedgerState.Scratch, [Transaction])] = [:]
    /// Committed since last drained: (tx id, height).
    var recentlyCommitted: [(Hash256, UInt64)] = []
    /// Dropped from the pool after a commit made them invalid.
    var recentlyRejected: [(Hash256, LedgerError)] = []
    public var maxBlockTransactions: Int

    public init(store: LedgerStore, genesis: Genesis? = nil) throws {
        self.store = store
        if let g = genesis { try store.initialise(genesis: g) }
        guard let g = try store.genesis() else {
            throw LedgerError(.invalidGenesis, "\(store.path) holds no genesis; initialise it with the consortium's genesis file")
        }
        var s = try LedgerState(genesis: g)
        // Our own database: re-derive the state (every block was verified before it was stored).
        let top = try store.lastHeight()
        var h: UInt64 = 1
        while h <= top, let (b, _) = try store.block(at: h) {
            let (scratch, _) = try s.validate(b, verified: { _ in true })
            s.apply(b, scratch)
            h += 1
        }
        self.state = s
        self.maxBlockTransactions = Int(s.membership.policies.maxBlockTransactions)
    }

    public var pendingCount: Int { pool.count }

    /// Admits a transaction whose signatures the caller verified: it must be valid after the
    /// chain and every pending transaction.
    func admit(_ tx: Transaction, signaturesVerified: Bool) throws {
        guard !inPool.contains(tx.id) else {
            throw LedgerError(.replay, "transaction \(tx.id.short) is already pending")
        }
        guard tx.encoded.count <= LedgerLimits.maxTransactionBytes else {
            throw LedgerError(
                .invalidTransaction,
                "transaction \(tx.id.short) holds \(tx.encoded.count) bytes; at most \(LedgerLimits.maxTransactionBytes) are allowed")
        }
        if !signaturesVerified { try tx.verifySignatures(state.membership) }
        // `check` writes to the scratch only after every test passed, so a rejected
        // transaction leaves it untouched (and no copy of it is made per admission).
        try state.check(tx, &poolScratch, at: max(Transaction.now(), state.lastTimestamp))
        pool.append(tx)
        inPool.insert(tx.id)
        verified.insert(tx.id)
    }

    /// Already pending, or committed (its nonce is not above its author's last committed one):
    /// `admit` would refuse it, so its signatures need not be checked first. Gossip brings
    /// most transactions after the proposal that carried them.
    func isKnown(_ tx: Transaction) -> Bool {
        if inPool.contains(tx.id) { return true }
        if let last = state.lastNonce[tx.author], tx.nonce <= last { return true }
        return false
    }

    /// Its signatures were verified against the current membership.
    func isVerified(_ id: Hash256) -> Bool { verified.contains(id) }

    /// Verifies the signatures of many transactions on every core.
    static func verifyAll(_ txs: [Transaction], _ membership: Membership) -> [LedgerError?] {
        let results = UnsafeResults(count: txs.count)
        let chunks = max(1, min(txs.count / 64, ProcessInfo.processInfo.activeProcessorCount * 2))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            while i < txs.count {
                do { try txs[i].verifySignatures(membership) } catch let e as LedgerError { results.set(i, e) } catch {}
                i += chunks
            }
        }
        return results.values
    }

    // MARK: ConsensusApplication

    public var hasPending: Bool { !pool.isEmpty }
    public var validators: [String: VerifyingKey] { state.membership.keys }
    public var lastCommittedHash: Hash256 { state.lastHash }

    public func makeBlock(height: UInt64, previousHash: Hash256, proposer: String) -> Block? {
        guard !pool.isEmpty, height == state.height + 1 else { return nil }
        // As many pending transactions as the policy's count and the block byte bound allow;
        // admission keeps each below the bound, so the first always fits.
        var txs: [[UInt8]] = []
        var bytes = 0
        for tx in pool.prefix(maxBlockTransactions) {
            if !txs.isEmpty, bytes + tx.encoded.count > LedgerLimits.maxBlockBytes { break }
            txs.append(tx.encoded)
            bytes += tx.encoded.count
        }
        let now = Transaction.now()
        return Block.make(
            chainID: state.chainID, height: height, previousHash: previousHash, transactions: Array(txs),
            timestamp: max(now, state.lastTimestamp), proposer: proposer)
    }

    /// How far ahead of this member's clock a block's timestamp may be when this member
    /// validates it. Certificates are checked at block time and timestamps never go back, so
    /// an honest quorum must not certify a proposer's far-future clock. (The verifier cannot
    /// apply this rule later; a member whose clock runs more than this slow stops validating
    /// fresh blocks: keep clocks synchronised.)
    public static let maxClockAheadMs: UInt64 = 5 * 60 * 1000

    public func isValid(_ block: Block) -> Bool {
        if validated[block.hash] != nil { return true }
        guard block.header.timestamp <= Transaction.now() &+ Replica.maxClockAheadMs else { return false }
        // Verify unseen transactions' signatures in parallel first.
        var unseen: [Transaction] = []
        for bytes in block.transactions {
            if let tx = try? Transaction(decoding: bytes), !verified.contains(tx.id) { unseen.append(tx) }
        }
        if !unseen.isEmpty {
            let errs = Replica.verifyAll(unseen, state.membership)
            if errs.contains(where: { $0 != nil }) { return false }
            for t in unseen { verified.insert(t.id) }
        }
        do {
            validated[block.hash] = try state.validate(block, verified: { self.verified.contains($0) })
            return true
        } catch {
            return false
        }
    }

    public func commit(_ block: Block, _ certificate: CommitCertificate) throws {
        try commit(block, certificate, signaturesVerified: false)
    }

    public func commit(_ block: Block, _ certificate: CommitCertificate, signaturesVerified: Bool) throws {
        guard isValid(block), let (scratch, txs) = validated[block.hash] else {
            throw LedgerError(.invalidBlock, "refusing to commit an invalid block", height: block.header.height)
        }
        // The quorum, the signers' membership and the block are checked either way.
        try certificate.verify(
            chainID: state.chainID, blockHash: block.hash, height: block.header.height, membership: state.membership,
            checkSignatures: !signaturesVerified)
        try store.append(block, certificate: certificate, transactions: txs)
        let membershipBefore = state.membership.names
        state.apply(block, scratch)
        validated = [:]
        let ids = txs.map(\.id)
        for id in ids { recentlyCommitted.append((id, block.header.height)) }
        // Drop what was committed; re-check the rest unless the block was exactly our prefix.
        let isPrefix = pool.count >= ids.count && zip(pool, ids).allSatisfy { $0.id == $1 }
        if isPrefix {
            pool.removeFirst(ids.count)
            for id in ids { inPool.remove(id) }
        } else {
            let committed = Set(ids)
            let rest = pool.filter { !committed.contains($0.id) }
            pool = []
            inPool = []
            poolScratch = .init()
            for tx in rest {
                do { try admit(tx, signaturesVerified: true) } catch let e as LedgerError { recentlyRejected.append((tx.id, e)) } catch {}
            }
        }
        if isPrefix, pool.isEmpty { poolScratch = .init() }
        if state.membership.names != membershipBefore { verified = [] }
        for id in ids { verified.remove(id) }
        maxBlockTransactions = Int(state.membership.policies.maxBlockTransactions)
    }

    public func persist(_ s: SignState) throws { try store.setSignState(s) }

    public func committed(at height: UInt64) -> (Block, CommitCertificate)? {
        guard height >= 1, height <= state.height else { return nil }
        return try? store.block(at: height)
    }
}

/// Per-index results written from concurrentPerform's threads (each index by one thread).
private final class UnsafeResults: @unchecked Sendable {
    // @unchecked: each slot is written by exactly one iteration, read after all finish.
    private let buffer: UnsafeMutablePointer<LedgerError?>
    let count: Int
    init(count: Int) {
        self.count = count
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: nil, count: max(count, 1))
    }
    deinit {
        buffer.deinitialize(count: max(count, 1))
        buffer.deallocate()
    }
    func set(_ i: Int, _ e: LedgerError) { buffer[i] = e }
    var values: [LedgerError?] { (0..<count).map { buffer[$0] } }
}
