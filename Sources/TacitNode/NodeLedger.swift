import TacitBytes
public import Foundation
public import TacitJob
public import TacitNet

/// The job transactions, named as in the ledger (issue #6).
public enum JobTransaction: Sendable, Hashable, Codable {
    case jobProposed(JobSpec)
    /// Signed by the approving party; names the dataset and columns it lets the job use.
    case jobApproved(Approval)
    case jobRejected(jobID: String, reason: String)
    /// Signed by an input party: a commitment to exactly its input (the dataset and columns
    /// the job names; their types are inside the commitment). No values, no row count.
    case inputCommitted(jobID: String, dataset: String, columns: [String], commitment: String)
    /// Signed by each party of the job; all must agree on the digests.
    case resultRecorded(jobID: String, outputs: [RecordedOutput])
    case jobFailed(jobID: String, reason: String)

    public var jobID: String {
        switch self {
        case .jobProposed(let s): return s.id
        case .jobApproved(let a): return a.jobID
        case .jobRejected(let j, _), .inputCommitted(let j, _, _, _), .resultRecorded(let j, _), .jobFailed(let j, _): return j
        }
    }

    public var kind: String {
        switch self {
        case .jobProposed: return "JobProposed"
        case .jobApproved: return "JobApproved"
        case .jobRejected: return "JobRejected"
        case .inputCommitted: return "InputCommitted"
        case .resultRecorded: return "ResultRecorded"
        case .jobFailed: return "JobFailed"
        }
    }

    /// One line for listings.
    public var summary: String {
        switch self {
        case .jobProposed(let s): return "protocol \(s.protocolName), parties \(s.partyNames.map(\.name).joined(separator: ","))"
        case .jobApproved(let a): return "dataset \(a.dataset ?? "-") columns [\(a.columns.joined(separator: ","))]"
        case .jobRejected(_, let r): return "reason: \(r)"
        case .inputCommitted(_, let d, let c, let digest): return "dataset \(d) columns [\(c.joined(separator: ","))] commitment \(digest.prefix(16))…"
        case .resultRecorded(_, let o):
            return o.map { "\($0.name) digest \($0.digest.prefix(16))…\($0.publicValue.map { " value \($0)" } ?? "")" }.joined(separator: "; ")
        case .jobFailed(_, let r): return "reason: \(r)"
        }
    }
}

public struct RecordedOutput: Sendable, Hashable, Codable {
    public var name: String
    public var digest: String
    public var publicValue: String?
    public init(name: String, digest: String, publicValue: String?) {
        self.name = name
        self.digest = digest
        self.publicValue = publicValue
    }
}

/// A value to seal on the ledger beside a transaction: encrypted to `readers`, who can read it
/// from any replica; every other member holds only its ciphertext.
public struct SealedPayload: Sendable, Hashable {
    /// The field's name, bound to its ciphertext (Docs/TacitLedger.md).
    public var name: String
    public var readers: [PartyID]
    public var bytes: [UInt8]
    public init(name: String, readers: [PartyID], bytes: [UInt8]) {
        self.name = name
        self.readers = readers
        self.bytes = bytes
    }
}

/// A sealed field as an entry lists it: its name and who can open it, never its contents.
public struct SealedFieldInfo: Sendable, Hashable, Codable {
    public var name: String
    public var readers: [PartyID]
    public init(name: String, readers: [PartyID]) {
        self.name = name
        self.readers = readers
    }
}

/// One transaction as committed on the ledger.
public struct LedgerEntry: Sendable, Hashable, Codable {
    /// The signing party.
    public var author: PartyID
    /// Position in the ledger's total order (1-based).
    public var index: Int
    public var time: Date
    public var transaction: JobTransaction
    /// Hash identifying the entry (hex).
    public var id: String
    /// The fields sealed to named members that the transaction carries (a sealed job output).
    public var sealed: [SealedFieldInfo]

    public init(author: PartyID, index: Int, time: Date, transaction: JobTransaction, id: String, sealed: [SealedFieldInfo] = []) {
        self.author = author
        self.index = index
        self.time = time
        self.transaction = transaction
        self.id = id
        self.sealed = sealed
    }
}

/// The outcome of re-checking a ledger replica.
public struct LedgerVerification: Sendable, Hashable, Codable {
    public var entries: Int
    public var checks: [String]
    public var problems: [String]
    public var ok: Bool { problems.isEmpty }
    public init(entries: Int, checks: [String], problems: [String]) {
        self.entries = entries
        self.checks = checks
        self.problems = problems
    }
}

/// The ledger as the node needs it: submit a transaction signed by this node, read the
/// committed entries in their total order, hear about changes, verify the replica.
///
/// Implemented by `ConsortiumLedger` (the consortium's `TacitLedger`: Tendermint, quorum-
/// signed blocks in SQLite) and `InMemoryLedger` (unit tests of the job lifecycle).
public protocol NodeLedger: Sendable {
    /// Signs `transaction` as this node, with `sealing` attached as fields encrypted to each
    /// payload's readers (outside the job transaction itself, which stays what every party
    /// records), and hands it to the ledger; returns once it is committed in this replica.
    @discardableResult
    func submit(_ transaction: JobTransaction, sealing: [SealedPayload]) async throws -> LedgerEntry
    /// The plaintext of sealed field `field` of committed entry `entryID`, opened as this
    /// node. Throws `notFound` when there is no such field, `notApproved` when it is not sealed
    /// to this node, `keys` when this node has no key to open it with.
    func openSealed(entryID: String, field: String) async throws -> [UInt8]
    /// Every committed entry, in the ledger's order.
    func entries() async -> [LedgerEntry]
    /// Yields whenever entries were added (coalesced); finishes when the ledger closes.
    func changes() -> AsyncStream<Void>
    /// Re-checks signatures, chaining and the job invariants.
    func verify() async -> LedgerVerification
    func close() async
}

extension NodeLedger {
    /// `submit(_:sealing:)` with nothing sealed.
    @discardableResult
    public func submit(_ transaction: JobTransaction) async throws -> LedgerEntry { try await submit(transaction, sealing: []) }
}

/// A ledger shared by parties in one process, for tests of the job lifecycle.
public final class InMemoryLedger: Sendable {
    private struct State {
        var entries: [LedgerEntry] = []
        /// Sealed payloads by entry id, each with its reader list, as the real ledger keeps
        /// them encrypted: given only to a reader.
        var sealed: [String: [SealedPayload]] = [:]
        var subscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Locked(State())

    public init() {}

    /// The ledger as `party` sees it; transactions submitted through it are authored by `party`.
    public func replica(for party: PartyID) -> some NodeLedger { Replica(hub: self, party: party) }

    public var allEntries: [LedgerEntry] { state.withLock { $0.entries } }

    /// Appends a transaction as authored by `author`, with `sealing` attached (tests use it to
    /// play a misbehaving party).
    @discardableResult
    public func append(_ tx: JobTransaction, author: PartyID, sealing: [SealedPayload] = []) -> LedgerEntry {
        let (entry, subs): (LedgerEntry, [AsyncStream<Void>.Continuation]) = state.withLock { s in
            let e = LedgerEntry(author: author, index: s.entries.count + 1, time: Date(), transaction: tx,
                                id: Hex.encode(SHA256Bytes.hash(Array("\(s.entries.count)\(author)\(tx)".utf8))),
                                sealed: sealing.map { SealedFieldInfo(name: $0.name, readers: $0.readers.sorted()) })
            s.entries.append(e)
            if !sealing.isEmpty { s.sealed[e.id] = sealing }
            return (e, Array(s.subscribers.values))
        }
        for c in subs { c.yield() }
        return entry
    }

    /// Sealed field `field` of entry `entryID` as `party` may see it: the plaintext for a reader.
    func open(entryID: String, field: String, as party: PartyID) throws -> [UInt8] {
        guard let p = state.withLock({ $0.sealed[entryID]?.first { $0.name == field } }) else {
            throw NodeError(.notFound, "ledger entry \(entryID.prefix(16)) has no sealed field '\(field)'")
        }
        guard p.readers.contains(party) else {
            throw NodeError(.notApproved, "field '\(field)' is not sealed to \(party)")
        }
        return p.bytes
    }

    fileprivate func subscribe() -> AsyncStream<Void> {
        let (stream, c) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s in
            s.nextID += 1
            s.subscribers[s.nextID] = c
            return s.nextID
        }
        c.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        c.yield()
        return stream
    }

    private struct Replica: NodeLedger {
        let hub: InMemoryLedger
        let party: PartyID
        func submit(_ transaction: JobTransaction, sealing: [SealedPayload]) async throws -> LedgerEntry {
            hub.append(transaction, author: party, sealing: sealing)
        }
        func openSealed(entryID: String, field: String) async throws -> [UInt8] { try hub.open(entryID: entryID, field: field, as: party) }
        func entries() async -> [LedgerEntry] { hub.allEntries }
        func changes() -> AsyncStream<Void> { hub.subscribe() }
        func verify() async -> LedgerVerification {
            let e = hub.allEntries
            return LedgerVerification(entries: e.count, checks: ["job invariants"], problems: JobInvariants.check(e))
        }
        func close() async {}
    }
}
