import Foundation
import TacitBytes
import TacitJob
public import Logging
public import TacitLedger
public import TacitNet

/// The node's `NodeLedger` on the consortium's real ledger (`TacitLedger`): a `LedgerNode`
/// replica in the node's data directory (`ledger.sqlite`), running Tendermint consensus with
/// the other members over the same mesh as jobs (its own session, `LedgerNode.session`; jobs
/// use sessions derived from their ids).
///
/// How the node's job transactions map onto the ledger's (same names):
///
/// | node | ledger body |
/// |---|---|
/// | `JobProposed(spec)` | `jobProposed(header, spec: JSON of the spec)`; the header lists every party, its roles, and its input fields as `dataset/column` |
/// | `JobApproved` | `jobApproved(fields)`: exactly the approver's `dataset/column` fields (empty for a party without input) |
/// | `JobRejected` | `jobRejected(reason)` |
/// | `InputCommitted` | `inputCommitted(commitment)`: the 32-byte salted SHA-256 (dataset and columns are those of the spec) |
/// | `ResultRecorded` | `resultRecorded(digest, result)`: `result` is the JSON list of outputs (name, digest, public value if public), `digest` its SHA-256; every party records it, and the ledger refuses one that differs. The sealing party's carries the sealed outputs as sealed fields (`SealedOutput`), outside the body |
/// | `JobFailed` | `jobFailed(reason)`; the ledger keeps the first |
///
/// The ledger itself enforces the lifecycle (approved before any input is committed, every
/// input committed before any result, one agreeing result per party); the node's `JobBook`
/// re-derives the same states from the committed transactions.
public final class ConsortiumLedger: NodeLedger {
    public let node: LedgerNode
    private let reader: LedgerStore
    private let logger: Logger
    private let timeout: Locked<Duration>
    /// This member's X25519 key, to open fields sealed to it; nil when the node has none.
    private let encryptionKey: EncryptionKey?

    private struct Cache {
        var height: UInt64 = 0
        var entries: [LedgerEntry] = []
        var specs: [String: JobSpec] = [:]
    }
    private let cache = Locked(Cache())
    private let submissions = SerialGate()
    private struct Subscribers {
        var byID: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var next: UInt64 = 0
        var closed = false
    }
    private let subscribers = Locked(Subscribers())
    private let pump = Locked<Task<Void, Never>?>(nil)

    /// Opens (or creates) the replica at `databasePath` for `genesis` and starts the member's
    /// consensus over `channel`.
    /// `encryptionKey`: this member's, to open fields sealed to it (`openSealed`).
    public static func start(
        identity: SigningIdentity, genesis: Genesis, databasePath: String, channel: any PartyChannel,
        encryptionKey: EncryptionKey? = nil, timeouts: ConsensusTimeouts = .init(), submitTimeout: Duration = .seconds(60),
        logger: Logger
    ) async throws -> ConsortiumLedger {
        let replica: Replica
        do {
            replica = try Replica(store: try LedgerStore(path: databasePath), genesis: genesis)
        } catch let e as LedgerError {
            throw NodeError(.ledger, "cannot open the ledger replica \(databasePath): \(e.reason)")
        }
        let node: LedgerNode
        do {
            node = try LedgerNode(identity: identity, replica: replica, channel: channel, timeouts: timeouts, logger: logger)
        } catch let e as LedgerError {
            throw NodeError(.keys, e.reason)
        }
        let reader = try LedgerStore(path: databasePath, readOnly: true)
        let ledger = ConsortiumLedger(node: node, reader: reader, encryptionKey: encryptionKey, submitTimeout: submitTimeout, logger: logger)
        let commits = await node.commits()
        await node.start()
        ledger.refresh()
        ledger.pump.withLock {
            $0 = Task { [weak ledger] in
                for await _ in commits {
                    guard let ledger else { return }
                    ledger.refresh()
                }
            }
        }
        return ledger
    }

    init(node: LedgerNode, reader: LedgerStore, encryptionKey: EncryptionKey?, submitTimeout: Duration, logger: Logger) {
        self.node = node
        self.reader = reader
        self.encryptionKey = encryptionKey
        self.timeout = Locked(submitTimeout)
        self.logger = logger
    }

    /// The members on this replica after its last committed block (membership changes
    /// included), sorted by name.
    public func members() async -> [PartyID] { await node.state.membership.names.map { PartyID($0) } }

    /// How long `submit` waits for its transaction to be committed.
    public func setSubmitTimeout(_ d: Duration) { timeout.withLock { $0 = d } }

    // MARK: NodeLedger

    public func submit(_ transaction: JobTransaction, sealing: [SealedPayload]) async throws -> LedgerEntry {
        let body = try Self.body(transaction, specs: cache.withLock { $0.specs })
        let sealed = try await seal(sealing, for: transaction)
        // The ledger accepts an author's nonces only in increasing order, so two jobs'
        // transactions authored concurrently could commit out of order and the later nonce
        // would be refused as stale: author and commit one transaction at a time.
        await submissions.acquire()
        let tx = await node.author(body, sealed: sealed)
        let outcome: Result<Void, any Error>
        if tx.encoded.count > LedgerLimits.maxTransactionBytes {
            // Checked here, not only when a peer decodes it: the ledger would never commit it.
            outcome = .failure(NodeError(
                .ledger,
                "\(transaction.kind) for job \(transaction.jobID) would be \(tx.encoded.count) bytes with its sealed fields; a transaction holds at most \(LedgerLimits.maxTransactionBytes)"))
        } else {
            do {
                _ = try await node.submitAndWait(tx, timeout: timeout.withLock { $0 })
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
        }
        await submissions.release()
        do {
            try outcome.get()
        } catch let e as LedgerError {
            if case .resultRecorded(let job, _) = transaction, e.code == .jobInvariant, e.reason.contains("differs") {
                // Another party recorded a different result first: the ledger keeps one digest
                // per job, so this party's disagreement is recorded as the job's failure.
                let failed = JobTransaction.jobFailed(jobID: job, reason: "\(await node.identity.name) computed a different result than the one recorded; the parties disagree")
                _ = try? await submit(failed)
            }
            throw NodeError(.ledger, "the ledger refused \(transaction.kind) for job \(transaction.jobID): \(e.reason)")
        }
        refresh()
        let id = tx.id.hex
        guard let entry = cache.withLock({ c in c.entries.last { $0.id == id } }) else {
            throw NodeError(.ledger, "\(transaction.kind) \(tx.id.short) was committed but is not in the local replica")
        }
        return entry
    }

    /// `sealing` as ledger fields, each encrypted to its readers' keys in the current membership.
    private func seal(_ sealing: [SealedPayload], for transaction: JobTransaction) async throws -> [SealedField] {
        guard !sealing.isEmpty else { return [] }
        guard sealing.count <= LedgerLimits.maxSealedFields else {
            throw NodeError(.ledger, "\(transaction.kind) for job \(transaction.jobID) would carry \(sealing.count) sealed fields; at most \(LedgerLimits.maxSealedFields) are allowed")
        }
        let membership = await node.state.membership
        var out: [SealedField] = []
        for p in sealing {
            guard p.bytes.count + 28 <= LedgerLimits.maxSealedFieldBytes else {
                throw NodeError(.ledger, "sealed field '\(p.name)' holds \(p.bytes.count) bytes; a sealed field holds at most \(LedgerLimits.maxSealedFieldBytes - 28)")
            }
            do { out.append(try SealedField.seal(name: p.name, value: p.bytes, to: p.readers.map(\.name), in: membership)) } catch let e as LedgerError {
                throw NodeError(.ledger, "cannot seal field '\(p.name)' for job \(transaction.jobID): \(e.reason)")
            }
        }
        return out
    }

    public func openSealed(entryID: String, field: String) async throws -> [UInt8] {
        let me = await node.identity.name
        return try Self.openField(entryID: entryID, field: field, as: me, in: reader, upTo: .max) {
            guard let encryptionKey else {
                throw NodeError(
                    .keys,
                    "this node has no encryption key to open fields sealed to \(me) with; add `encryption: keys/\(me).enc.key` under `keys:` in its node.yaml and restart it")
            }
            return encryptionKey
        }
    }

    /// Sealed field `field` of committed transaction `entryID` (at a height of at most `top`)
    /// in `store`, opened as `member` with the key `key()` gives: the node's `openSealed` and
    /// `tacit ledger open` both read fields through here.
    static func openField(
        entryID: String, field: String, as member: String, in store: LedgerStore, upTo top: UInt64, key: () throws -> EncryptionKey
    ) throws -> [UInt8] {
        guard let id = Hash256(hex: entryID), let tx = try? store.transaction(id: id, maxHeight: top) else {
            throw NodeError(.notFound, "no committed ledger entry \(entryID.prefix(16)) in this replica")
        }
        guard let f = tx.sealed.first(where: { $0.name == field }) else {
            throw NodeError(.notFound, "ledger entry \(entryID.prefix(16)) has no sealed field '\(field)'")
        }
        guard f.recipients.contains(where: { $0.member == member }) else {
            throw NodeError(.notApproved, "field '\(field)' is sealed to \(f.recipients.map(\.member).joined(separator: ", ")), not to \(member)")
        }
        do { return try f.open(as: member, key: try key()) } catch let e as LedgerError {
            throw NodeError(e.code == .notAuthorised ? .notApproved : .ledger, e.reason)
        }
    }

    public func entries() async -> [LedgerEntry] {
        refresh()
        return cache.withLock { $0.entries }
    }

    public func changes() -> AsyncStream<Void> {
        let (stream, c) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = subscribers.withLock { s in
            if s.closed { return nil }
            s.next += 1
            s.byID[s.next] = c
            return s.next
        }
        guard let id else {
            c.finish()
            return stream
        }
        c.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.byID.removeValue(forKey: id) } }
        c.yield()
        return stream
    }

    public func verify() async -> LedgerVerification {
        refresh()
        let (entries, problems) = Self.verifyReplica(reader)
        return LedgerVerification(entries: entries.count, checks: Self.checks, problems: problems)
    }

    public func close() async {
        pump.withLock { $0?.cancel() }
        await node.stop()
        let subs = subscribers.withLock { s in
            s.closed = true
            defer { s.byID = [:] }
            return Array(s.byID.values)
        }
        for c in subs { c.finish() }
    }

    // MARK: reading the replica

    /// Reads blocks committed since the last refresh and tells subscribers when there were any.
    private func refresh() {
        let grew: Bool = cache.withLock { c in
            guard let top = try? reader.lastHeight(), top > c.height else { return false }
            var h = c.height + 1
            while h <= top, let (block, _) = try? reader.block(at: h) {
                for bytes in block.transactions {
                    guard let tx = try? Transaction(decoding: bytes) else { continue }
                    if let e = Self.entry(tx, index: c.entries.count + 1, specs: &c.specs) { c.entries.append(e) }
                }
                c.height = h
                h += 1
            }
            return true
        }
        if grew {
            for s in subscribers.withLock({ Array($0.byID.values) }) { s.yield() }
        }
    }

    static let checks = [
        "hash chain from the genesis, every Merkle root",
        "every transaction signed by its author's certified key; every block committed by a quorum",
        "member certificates issued by the consortium CA; genesis signed by every founding member",
        "job invariants (ledger): approved before any input is committed, every input committed before any result, every party's result digest agreeing",
        "job invariants (node): approvals name exactly the columns each job uses, commitments cover exactly them, sealed outputs are sealed by their sealing party to exactly the members the spec grants",
    ]

    /// Verifies a replica database with `LedgerVerifier` and replays its job transactions
    /// through the node's lifecycle: (entries, problems).
    public static func verifyReplica(_ store: LedgerStore) -> ([LedgerEntry], [String]) {
        var problems: [String] = []
        let report = LedgerVerifier.verify(store: store)
        if let f = report.failure {
            problems.append("block \(f.height.map(String.init) ?? "?"): \(f.reason)")
        }
        let entries = readEntries(store, upTo: report.verifiedHeight)
        problems += JobInvariants.check(entries)
        return (entries, problems)
    }

    /// Reads a replica database without a running node (an auditor's copy): its job entries
    /// and the verification.
    public static func readOffline(databasePath: String) throws -> ([LedgerEntry], LedgerVerification) {
        guard FileManager.default.fileExists(atPath: databasePath) else { throw NodeError(.notFound, "no ledger replica at \(databasePath)") }
        let store: LedgerStore
        do { store = try LedgerStore(path: databasePath, readOnly: true) } catch let e as LedgerError {
            throw NodeError(.ledger, e.reason)
        }
        let (entries, problems) = verifyReplica(store)
        return (entries, LedgerVerification(entries: entries.count, checks: checks, problems: problems))
    }

    static func readEntries(_ store: LedgerStore, upTo top: UInt64) -> [LedgerEntry] {
        var specs: [String: JobSpec] = [:]
        var out: [LedgerEntry] = []
        var h: UInt64 = 1
        while h <= top, let (block, _) = try? store.block(at: h) {
            for bytes in block.transactions {
                guard let tx = try? Transaction(decoding: bytes) else { continue }
                if let e = entry(tx, index: out.count + 1, specs: &specs) { out.append(e) }
            }
            h += 1
        }
        return out
    }

    // MARK: mapping

    static func field(_ dataset: String, _ column: String) -> String { "\(dataset)/\(column)" }

    static func header(_ spec: JobSpec) -> JobHeader {
        let parties = spec.parties.map { p in
            JobHeader.Party(
                name: p.name.name, role: p.roles.map(\.rawValue).joined(separator: ","),
                inputFields: p.input.map { i in i.columns.map { field(i.dataset, $0) } } ?? [])
        }
        // The ledger knows two approval policies; the node's approver list is at least every
        // input party (the spec parser insists), and the node enforces the rest of it.
        let all = Set(spec.partyNames).isSubset(of: Set(spec.approvers))
        return JobHeader(jobID: spec.id, protocolName: spec.engine.map { "\(spec.protocolName)/\($0)" } ?? spec.protocolName, parties: parties, approval: all ? .allParties : .inputParties)
    }

    static func body(_ t: JobTransaction, specs: [String: JobSpec]) throws -> TransactionBody {
        switch t {
        case .jobProposed(let spec):
            return .jobProposed(header(spec), spec: Array(try JSONEncoder.sorted.encode(spec)))
        case .jobApproved(let a):
            return .jobApproved(jobID: a.jobID, fields: a.dataset.map { d in a.columns.map { field(d, $0) } } ?? [])
        case .jobRejected(let j, let reason):
            return .jobRejected(jobID: j, reason: reason)
        case .inputCommitted(let j, _, _, let commitment):
            guard let bytes = Hex.decode(commitment), bytes.count == 32 else {
                throw NodeError(.ledger, "an input commitment must be 32 bytes of hex")
            }
            return .inputCommitted(jobID: j, commitment: Hash256(bytes: bytes))
        case .resultRecorded(let j, let outputs):
            let result = Array(try JSONEncoder.sorted.encode(outputs))
            return .resultRecorded(jobID: j, resultDigest: Hash256(bytes: SHA256Bytes.hash(result)), result: result)
        case .jobFailed(let j, let reason):
            return .jobFailed(jobID: j, reason: reason)
        }
    }

    /// The node's view of a committed ledger transaction; nil for membership and policy
    /// changes, and for job transactions the node cannot read (reported by `verify`).
    static func entry(_ tx: Transaction, index: Int, specs: inout [String: JobSpec]) -> LedgerEntry? {
        let job: JobTransaction
        switch tx.body {
        case .jobProposed(let h, let bytes):
            guard let spec = try? JSONDecoder().decode(JobSpec.self, from: Data(bytes)), spec.id == h.jobID else { return nil }
            specs[spec.id] = spec
            job = .jobProposed(spec)
        case .jobApproved(let id, let fields):
            var dataset: String?
            var columns: [String] = []
            for f in fields {
                let parts = f.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return nil }
                dataset = parts[0]
                columns.append(parts[1])
            }
            job = .jobApproved(Approval(jobID: id, party: PartyID(tx.author), dataset: dataset, columns: columns))
        case .jobRejected(let id, let reason):
            job = .jobRejected(jobID: id, reason: reason)
        case .inputCommitted(let id, let c):
            let sel = specs[id]?.party(PartyID(tx.author))?.input
            job = .inputCommitted(jobID: id, dataset: sel?.dataset ?? "", columns: sel?.columns ?? [], commitment: c.hex)
        case .resultRecorded(let id, _, let result):
            guard let outputs = try? JSONDecoder().decode([RecordedOutput].self, from: Data(result)) else { return nil }
            job = .resultRecorded(jobID: id, outputs: outputs)
        case .jobFailed(let id, let reason):
            job = .jobFailed(jobID: id, reason: reason)
        case .memberAdded, .memberRemoved, .policyChanged, .keyRegistered:
            return nil
        }
        return LedgerEntry(
            author: PartyID(tx.author), index: index, time: Date(timeIntervalSince1970: Double(tx.timestamp) / 1000), transaction: job,
            id: tx.id.hex, sealed: tx.sealed.map { SealedFieldInfo(name: $0.name, readers: $0.recipients.map { PartyID($0.member) }) })
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// A FIFO async lock: waiters are admitted one at a time, in arrival order.
actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
