public import Foundation
public import TacitJob
public import TacitNet

/// Where a job is, as derived from the ledger alone. Every replica that holds the same
/// entries derives the same states, so a restarted node recovers its jobs by replaying.
public enum JobPhase: String, Sendable, Hashable, Codable {
    /// Waiting for approvals.
    case proposed
    /// Every approver approved; input parties are committing.
    case approved
    /// An approver rejected it. Terminal.
    case rejected
    /// Every input is committed; the protocol may run (or is running).
    case committed
    /// Every party recorded the same result digests. Terminal.
    case completed
    /// A party recorded a failure. Terminal.
    case failed

    public var isTerminal: Bool { self == .rejected || self == .completed || self == .failed }
}

/// A job's ledger trail and derived state.
public struct JobRecord: Sendable, Hashable, Codable {
    public struct Note: Sendable, Hashable, Codable {
        public var party: PartyID
        public var text: String
    }
    public struct Committed: Sendable, Hashable, Codable {
        public var dataset: String
        public var columns: [String]
        public var commitment: String
    }

    public var spec: JobSpec
    public var proposer: PartyID
    public var proposedAt: Date
    public var approvals: [PartyID: Approval] = [:]
    public var rejections: [Note] = []
    public var commitments: [PartyID: Committed] = [:]
    public var results: [PartyID: [RecordedOutput]] = [:]
    public var failures: [Note] = []

    public var awaitingApproval: [PartyID] { spec.approvers.filter { approvals[$0] == nil } }
    public var awaitingCommitment: [PartyID] { spec.inputParties.filter { commitments[$0] == nil } }
    public var awaitingResult: [PartyID] { spec.partyNames.filter { results[$0] == nil } }

    /// Result digests agree across every party that recorded one.
    public var resultsAgree: Bool {
        let distinct = Set(results.values.map { $0.map { "\($0.name)=\($0.digest)=\($0.publicValue ?? "")" }.sorted() })
        return distinct.count <= 1
    }

    public var phase: JobPhase {
        if awaitingResult.isEmpty && resultsAgree { return .completed }
        if !failures.isEmpty || !resultsAgree { return .failed }
        if !rejections.isEmpty { return .rejected }
        if !awaitingApproval.isEmpty { return .proposed }
        if !awaitingCommitment.isEmpty { return .approved }
        return .committed
    }

    /// Why the job failed or was rejected, in one line.
    public var reason: String? {
        switch phase {
        case .failed:
            if !resultsAgree { return "parties recorded different results" }
            return failures.map { "\($0.party): \($0.text)" }.joined(separator: "; ")
        case .rejected: return rejections.map { "\($0.party): \($0.text)" }.joined(separator: "; ")
        default: return nil
        }
    }

    /// The recorded outputs (identical at every party once completed).
    public var recordedOutputs: [RecordedOutput]? { phase == .completed ? results.values.first : nil }
}

/// Replays ledger entries into job records, collecting every violation of the lifecycle
/// (those entries are ignored, and `tacit ledger verify` reports them).
public struct JobBook: Sendable {
    public private(set) var jobs: [String: JobRecord] = [:]
    public private(set) var order: [String] = []
    public private(set) var problems: [String] = []

    public init(entries: [LedgerEntry]) {
        for e in entries { apply(e) }
    }

    public var records: [JobRecord] { order.compactMap { jobs[$0] } }

    mutating func apply(_ e: LedgerEntry) {
        let tx = e.transaction
        let who = e.author
        let at = "entry \(e.index) (\(tx.kind) by \(who))"
        if case .jobProposed(let spec) = tx {
            guard jobs[spec.id] == nil else { problems.append("\(at): job id \(spec.id) was already proposed; ignored"); return }
            guard spec.partyNames.contains(who) else {
                problems.append("\(at): the proposer is not a party of job \(spec.id); ignored"); return
            }
            jobs[spec.id] = JobRecord(spec: spec, proposer: who, proposedAt: e.time)
            order.append(spec.id)
            return
        }
        guard var job = jobs[tx.jobID] else { problems.append("\(at): no such job \(tx.jobID); ignored"); return }
        defer { jobs[tx.jobID] = job }
        let spec = job.spec
        guard spec.partyNames.contains(who) else { problems.append("\(at): author is not a party of the job; ignored"); return }
        if job.phase.isTerminal, !(job.phase == .failed && { if case .jobFailed = tx { return true } else { return false } }()) {
            // Entries signed concurrently with the one that ended the job (an approval crossing
            // a rejection, say) are benign: ignored, not a violation. Late failure notes are kept.
            return
        }
        switch tx {
        case .jobProposed: break
        case .jobApproved(let a):
            guard spec.approvers.contains(who), a.party == who else {
                problems.append("\(at): only an approver can approve, and only for itself; ignored"); return
            }
            guard job.phase == .proposed, job.approvals[who] == nil else { problems.append("\(at): approval out of order; ignored"); return }
            if let input = spec.party(who)?.input {
                guard a.dataset == input.dataset, Set(a.columns) == Set(input.columns) else {
                    problems.append("\(at): the approval names other columns than the job uses; ignored"); return
                }
            }
            job.approvals[who] = a
        case .jobRejected(_, let reason):
            guard spec.approvers.contains(who) else { problems.append("\(at): only an approver can reject; ignored"); return }
            job.rejections.append(.init(party: who, text: reason))
        case .inputCommitted(_, let dataset, let columns, let digest):
            guard let input = spec.party(who)?.input, spec.inputParties.contains(who) else {
                problems.append("\(at): author is not an input party; ignored"); return
            }
            guard job.phase == .approved, job.commitments[who] == nil else {
                problems.append("\(at): input committed before the job was approved (or twice); ignored"); return
            }
            guard dataset == input.dataset, columns == input.columns else {
                problems.append("\(at): commitment covers other data than the job names; ignored"); return
            }
            job.commitments[who] = .init(dataset: dataset, columns: columns, commitment: digest)
        case .resultRecorded(_, let outputs):
            guard job.phase == .committed || job.phase == .failed, job.results[who] == nil else {
                problems.append("\(at): result recorded before every input was committed (or twice); ignored"); return
            }
            job.results[who] = outputs
            // A job's sealed fields are its sealed outputs, each sealed by its sealing party to
            // exactly the members the spec grants: one sealed to anyone else is on the ledger
            // for every auditor to see (the result itself still counts).
            for f in e.sealed {
                let parts = f.name.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 4, parts[0] == "output", let o = spec.output(String(parts[1])), o.sealed, o.sealingParty == who else {
                    problems.append("\(at): sealed field '\(f.name.prefix(80))' is not a sealed output of job \(spec.id) that \(who) seals")
                    continue
                }
                if Set(f.readers) != Set(o.sealedTo) {
                    problems.append(
                        "\(at): sealed field '\(f.name)' is sealed to \(f.readers.map(\.name).sorted().joined(separator: ", ")); the spec grants \(o.sealedTo.map(\.name).sorted().joined(separator: ", "))")
                }
            }
            for o in spec.outputs where o.sealed && o.sealingParty == who && !e.sealed.contains(where: { $0.name.hasPrefix("output/\(o.name)/") }) {
                problems.append("\(at): \(who) recorded its result without the sealed copy of output '\(o.name)' the spec grants to \(o.sealedTo.map(\.name).joined(separator: ", "))")
            }
        case .jobFailed(_, let reason):
            guard job.results[who] == nil else { problems.append("\(at): a party that recorded a result cannot fail the job; ignored"); return }
            job.failures.append(.init(party: who, text: reason))
        }
    }
}

enum JobInvariants {
    static func check(_ entries: [LedgerEntry]) -> [String] { JobBook(entries: entries).problems }
}
