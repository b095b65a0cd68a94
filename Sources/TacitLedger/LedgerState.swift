import Foundation
import TacitBytes

/// Where a job stands, as the ledger has recorded it.
public struct JobState: Sendable {
    public let header: JobHeader
    public let proposer: String
    public let proposedAt: UInt64
    public internal(set) var approvals: Set<String> = []
    public internal(set) var rejectedBy: String?
    public internal(set) var commitments: [String: Hash256] = [:]
    public internal(set) var results: [String: Hash256] = [:]
    public internal(set) var failed: Bool = false

    public var approved: Bool { Set(header.approvers).isSubset(of: approvals) }
    public var allInputsCommitted: Bool { Set(header.inputParties).isSubset(of: Set(commitments.keys)) }
    /// Every party recorded the same result.
    public var complete: Bool { Set(header.parties.map(\.name)).isSubset(of: Set(results.keys)) }
    public var status: String {
        if failed { return "failed" }
        if rejectedBy != nil { return "rejected" }
        if complete { return "complete" }
        if !results.isEmpty { return "result-partial" }
        if allInputsCommitted { return "running" }
        if approved { return "approved" }
        return "proposed"
    }
}

/// The state every replica derives from the chain: membership and policies, each author's
/// last nonce, and every job. Built by applying blocks in order; `check` is the one place
/// where transaction validity in context is decided, for the consensus, the mempool and the
/// verifier alike.
public struct LedgerState: Sendable {
    public let genesis: Genesis
    public var chainID: Hash256 { genesis.hash }
    public internal(set) var membership: Membership
    public internal(set) var lastNonce: [String: UInt64] = [:]
    public internal(set) var jobs: [String: JobState] = [:]
    /// The current threshold key per scheme (the latest `KeyRegistered`).
    public internal(set) var keys: [String: RegisteredKey] = [:]
    /// The last applied block.
    public internal(set) var height: UInt64 = 0
    public internal(set) var lastHash: Hash256
    public internal(set) var lastTimestamp: UInt64

    public init(genesis: Genesis) throws {
        self.genesis = genesis
        self.membership = try genesis.verify()
        self.lastHash = genesis.hash
        self.lastTimestamp = genesis.timestamp
    }

    /// Pending changes of one block, over the state at the block's start.
    struct Scratch {
        var jobs: [String: JobState] = [:]
        var nonces: [String: UInt64] = [:]
        var membership: Membership?
        var keys: [String: ThresholdKeyRecord] = [:]
    }

    func job(_ id: String, _ s: Scratch) -> JobState? { s.jobs[id] ?? jobs[id] }

    /// Validates `tx` (whose signatures the caller verified against `membership`) in the state
    /// after the earlier transactions of its block, recorded in `scratch`, and records its effect
    /// there. Writes to the scratch only after every test passed: a rejected transaction leaves
    /// it as it was. `time` (ms since 1970) is the block's timestamp, or the pool's clock for a
    /// transaction not yet in a block: certificates are checked at it, never at the time the
    /// author wrote into the transaction, which the author chooses.
    func check(_ tx: Transaction, _ s: inout Scratch, at time: UInt64) throws {
        guard tx.chainID == chainID else {
            throw LedgerError(.invalidTransaction, "transaction \(tx.id.short) is for another chain (\(tx.chainID.short))")
        }
        // Membership as changed by the earlier transactions of this block: a member removed
        // there neither authors nor endorses after it.
        let m = s.membership ?? membership
        guard let author = m.records[tx.author] else {
            throw LedgerError(.unknownMember, "transaction \(tx.id.short): author \(tx.author) is not a member")
        }
        for e in tx.endorsements where m.records[e.member] == nil {
            throw LedgerError(.unknownMember, "transaction \(tx.id.short): endorser \(e.member) is not a member (removed earlier in this block)")
        }
        if let id = tx.body.jobID, let problem = IdentifierRules.problem(id) {
            // The id is peer-supplied: quoted with escapes and cut, so it cannot forge a log line.
            throw LedgerError(
                .invalidName,
                "\(tx.body.kindName) \(tx.id.short) by \(tx.author): job id \(String(reflecting: String(id.prefix(80)))) \(problem); job ids follow the name rules")
        }
        let last = s.nonces[tx.author] ?? lastNonce[tx.author]
        if let last, tx.nonce <= last {
            throw LedgerError(
                .replay, "transaction \(tx.id.short) by \(tx.author): nonce \(tx.nonce) is not above \(tx.author)'s last nonce \(last); replayed or stale")
        }
        for f in tx.sealed {
            for r in f.recipients where m.records[r.member] == nil {
                throw LedgerError(.unknownMember, "transaction \(tx.id.short): sealed field '\(f.name)' names non-member \(r.member)")
            }
        }
        if !tx.body.isGovernance, !tx.endorsements.isEmpty {
            throw LedgerError(.invalidTransaction, "transaction \(tx.id.short): only membership and policy changes carry endorsements")
        }
        let fail = { (why: String) in LedgerError(.jobInvariant, "\(tx.body.kindName) \(tx.id.short) by \(tx.author): \(why)") }
        switch tx.body {
        case .jobProposed(let h, _):
            if !m.policies.jobProposerRole.isEmpty, !author.roles.contains(m.policies.jobProposerRole) {
                throw LedgerError(.notAuthorised, "\(tx.author) lacks role '\(m.policies.jobProposerRole)' needed to propose jobs")
            }
            guard !h.jobID.isEmpty else { throw fail("empty job id") }
            guard job(h.jobID, s) == nil else { throw fail("job \(h.jobID) already exists") }
            guard !h.parties.isEmpty else { throw fail("job \(h.jobID) names no parties") }
            let names = h.parties.map(\.name)
            guard Set(names).count == names.count else { throw fail("job \(h.jobID) lists a party twice") }
            for p in names where m.records[p] == nil { throw fail("job \(h.jobID) names non-member \(p)") }
            s.jobs[h.jobID] = JobState(header: h, proposer: tx.author, proposedAt: tx.timestamp)
        case .jobApproved(let id, let fields):
            guard var j = job(id, s) else { throw fail("no job \(id) was proposed") }
            guard j.rejectedBy == nil, !j.failed else { throw fail("job \(id) is already \(j.status)") }
            guard let party = j.header.parties.first(where: { $0.name == tx.author }) else { throw fail("\(tx.author) is not a party of job \(id)") }
            guard !j.approvals.contains(tx.author) else { throw fail("\(tx.author) already approved job \(id)") }
            guard fields == party.inputFields else {
                throw fail("approval names fields \(fields), the job uses \(party.inputFields) of \(tx.author)")
            }
            j.approvals.insert(tx.author)
            s.jobs[id] = j
        case .jobRejected(let id, _):
            guard var j = job(id, s) else { throw fail("no job \(id) was proposed") }
            guard j.header.parties.contains(where: { $0.name == tx.author }) else { throw fail("\(tx.author) is not a party of job \(id)") }
            guard j.rejectedBy == nil, !j.failed, j.commitments.isEmpty else { throw fail("job \(id) is already \(j.status)") }
            j.rejectedBy = tx.author
            s.jobs[id] = j
        case .inputCommitted(let id, let c):
            guard var j = job(id, s) else { throw fail("no job \(id) was proposed") }
            guard j.rejectedBy == nil, !j.failed else { throw fail("job \(id) is \(j.status)") }
            guard j.approved else { throw fail("job \(id) is not approved yet; inputs are committed only after approval") }
            guard j.header.inputParties.contains(tx.author) else { throw fail("\(tx.author) is not an input party of job \(id)") }
            guard j.commitments[tx.author] == nil else { throw fail("\(tx.author) already committed its input to job \(id)") }
            j.commitments[tx.author] = c
            s.jobs[id] = j
        case .resultRecorded(let id, let digest, _):
            guard var j = job(id, s) else { throw fail("no job \(id) was proposed") }
            guard j.rejectedBy == nil, !j.failed else { throw fail("job \(id) is \(j.status)") }
            guard j.allInputsCommitted, j.approved else {
                throw fail("job \(id) cannot have run: not every input party has committed its input")
            }
            guard j.header.parties.contains(where: { $0.name == tx.author }) else { throw fail("\(tx.author) is not a party of job \(id)") }
            guard j.results[tx.author] == nil else { throw fail("\(tx.author) already recorded a result for job \(id)") }
            if let other = j.results.first, other.value != digest {
                throw fail("result digest \(digest.short) differs from \(other.key)'s \(other.value.short) for job \(id)")
            }
            j.results[tx.author] = digest
            s.jobs[id] = j
        case .jobFailed(let id, _):
            guard var j = job(id, s) else { throw fail("no job \(id) was proposed") }
            guard j.header.parties.contains(where: { $0.name == tx.author }) else { throw fail("\(tx.author) is not a party of job \(id)") }
            guard !j.failed, !j.complete, j.rejectedBy == nil else { throw fail("job \(id) is already \(j.status)") }
            j.failed = true
            s.jobs[id] = j
        case .memberAdded, .memberRemoved, .policyChanged:
            let signers = 1 + tx.endorsements.count
            var next = s.membership ?? m
            guard signers >= next.changeThreshold else {
                throw LedgerError(
                    .notAuthorised,
                    "\(tx.body.kindName) \(tx.id.short) carries \(signers) member signature(s); the change policy needs \(next.changeThreshold)")
            }
            switch tx.body {
            case .memberAdded(let rec):
                try next.add(rec, at: Date(timeIntervalSince1970: Double(time) / 1000))
            case .memberRemoved(let name): try next.remove(name)
            case .policyChanged(let p): next.policies = p
            default: break
            }
            s.membership = next
        case .keyRegistered(let k):
            // The holders sign because each checked the key against its own share: a key
            // nobody can decrypt with, or one a member never agreed to, is not registered.
            let keyFail = { (why: String) in LedgerError(.notAuthorised, "KeyRegistered \(tx.id.short) by \(tx.author): \(why)") }
            guard !k.scheme.isEmpty, IdentifierRules.problem(k.scheme) == nil else { throw keyFail("scheme '\(k.scheme.prefix(64))' breaks the name rules") }
            guard !k.publicKey.isEmpty else { throw keyFail("no public key") }
            guard !k.holders.isEmpty else { throw keyFail("no holders") }
            guard Set(k.holders).count == k.holders.count else { throw keyFail("a holder is listed twice") }
            for h in k.holders where m.records[h] == nil { throw keyFail("holder \(h) is not a member") }
            let signers = [tx.author] + tx.endorsements.map(\.member)
            guard Set(signers) == Set(k.holders) else {
                throw keyFail("signed by \(signers.sorted().joined(separator: ", ")); every holder and only holders sign (\(k.holders.joined(separator: ", ")))")
            }
            s.keys[k.scheme] = k
        }
        s.nonces[tx.author] = tx.nonce
    }

    mutating func merge(_ s: Scratch) {
        for (k, v) in s.jobs { jobs[k] = v }
        for (k, v) in s.nonces { lastNonce[k] = v }
        if let m = s.membership { membership = m }
    }

    mutating func mergeKeys(_ s: Scratch, at height: UInt64) {
        for (scheme, k) in s.keys { keys[scheme] = RegisteredKey(record: k, height: height) }
    }

    /// Checks a whole block against this state: link, Merkle root, every transaction
    /// (signatures unless `verified` says they were checked) in order. Returns the changes.
    func validate(_ block: Block, verified: (Hash256) -> Bool = { _ in false }) throws -> (Scratch, [Transaction]) {
        let h = block.header
        guard h.chainID == chainID else { throw LedgerError(.invalidBlock, "block is for another chain", height: h.height) }
        guard h.height == height + 1 else {
            throw LedgerError(.invalidBlock, "block claims height \(h.height), the next height is \(height + 1)", height: h.height)
        }
        guard h.previousHash == lastHash else {
            throw LedgerError(
                .invalidBlock, "previous-block hash \(h.previousHash.short) does not match block \(height)'s hash \(lastHash.short): the chain is broken",
                height: h.height)
        }
        guard h.timestamp >= lastTimestamp else {
            throw LedgerError(.invalidBlock, "timestamp goes backwards", height: h.height)
        }
        guard membership.records[h.proposer] != nil else {
            throw LedgerError(.unknownMember, "proposer \(h.proposer) is not a member", height: h.height)
        }
        guard h.txCount >= 1, h.txCount <= membership.policies.maxBlockTransactions else {
            throw LedgerError(.invalidBlock, "block holds \(h.txCount) transactions; allowed 1...\(membership.policies.maxBlockTransactions)", height: h.height)
        }
        // `Block.decode` bounds a block a peer sends; one read from a file (the verifier reads
        // files anyone may have made) is bounded here. A proposer never cuts one above it.
        guard block.transactionBytes <= LedgerLimits.maxBlockBytes else {
            throw LedgerError(.invalidBlock, "the block's transactions hold \(block.transactionBytes) bytes; at most \(LedgerLimits.maxBlockBytes) are allowed", height: h.height)
        }
        try block.checkIntegrity()
        var s = Scratch()
        var txs: [Transaction] = []
        txs.reserveCapacity(block.transactions.count)
        for (i, bytes) in block.transactions.enumerated() {
            do {
                let tx = try Transaction(decoding: bytes)
                if !verified(tx.id) { try tx.verifySignatures(membership) }
                try check(tx, &s, at: h.timestamp)
                txs.append(tx)
            } catch let e as LedgerError {
                throw LedgerError(e.code, "transaction #\(i): \(e.reason)", height: h.height)
            }
        }
        return (s, txs)
    }

    /// Applies a block already validated by `validate`.
    mutating func apply(_ block: Block, _ s: Scratch) {
        merge(s)
        mergeKeys(s, at: block.header.height)
        height = block.header.height
        lastHash = block.hash
        lastTimestamp = block.header.timestamp
    }
}
