import Foundation
import TacitBytes
public import Logging
import TacitMath
public import TacitJob
public import TacitNet
import TacitMPC
public import TacitLedger

/// What `tacit job status` shows.
public struct JobStatus: Sendable, Hashable, Codable {
    public var id: String
    public var phase: JobPhase
    public var protocolName: String
    public var proposer: PartyID
    public var summary: [String]
    public var awaitingApproval: [PartyID]
    public var awaitingCommitment: [PartyID]
    public var awaitingResult: [PartyID]
    /// This node's roles, and what of its data the job would use.
    public var localRoles: [String]
    public var localUse: String?
    public var approvals: [String]
    public var commitments: [String: String]
    public var reason: String?
    public var progressStep: String?
    public var progress: Double?
    public var outputs: [RecordedOutput]?
}

/// A recipient's stored result.
public struct StoredResult: Sendable, Hashable, Codable {
    public var jobID: String
    public var outputs: [OutputResult]
}

/// Drives jobs from the ledger: rejects proposals for data this node does not offer, commits
/// inputs once its own operator and every other approver approved, runs the protocol once
/// every input is committed, and records the result or the failure. Every decision is taken
/// from the ledger alone, so replaying the ledger after a restart reaches the same states.
public actor JobManager {
    let me: PartyID
    let ledger: any NodeLedger
    let channel: any PartyChannel
    let registry: JobProtocolRegistry
    private(set) var secrets: JobResources
    let reader: DatasetReader
    /// The ledger's membership now: specs are checked against it when they are acted on, so a
    /// member added since this node started can be named by a job at once.
    let currentMembers: @Sendable () async -> [PartyID]
    /// The consortium's Paillier key on the ledger; nil for a ledger that keeps no keys
    /// (`InMemoryLedger`), where the share is trusted as given.
    let registeredPaillierKey: (@Sendable () async -> RegisteredKey?)?
    let dataDirectory: String
    let stepTimeout: Duration
    let logger: Logger
    /// Test hook (TACIT_TEST_PROGRESS_DELAY_MS): each progress step waits this long, so a
    /// test can stop a party in the middle of a run.
    let progressDelay: Duration?

    private var running: [String: Task<Void, Never>] = [:]
    private var progress: [String: (String, Double)] = [:]
    /// Transactions this process already sent per job and kind, so a reconcile racing the
    /// ledger's own update does not send one twice.
    private var sent: Set<String> = []
    private var loop: Task<Void, Never>?
    private var stopping = false
    /// Jobs whose spec failed validation, so each is logged once.
    private var ignored: Set<String> = []
    /// Each committed input from its commitment to the end of its job, so that the run does not
    /// decode the opening file back (seconds for a million rows). After a restart the file is
    /// read instead, and checked against the commitment.
    private var committedInputs: [String: CommitmentOpening] = [:]

    /// `members` is read from the ledger (e.g. `ConsortiumLedger.members`) each time a spec is
    /// checked.
    public init(party: PartyID, ledger: any NodeLedger, channel: any PartyChannel, registry: JobProtocolRegistry,
                secrets: JobResources, datasets: [DatasetDeclaration], members: @escaping @Sendable () async -> [PartyID],
                paillierKey: (@Sendable () async -> RegisteredKey?)? = nil,
                dataDirectory: String, stepTimeout: Duration, logger: Logger, progressDelay: Duration? = nil) {
        me = party
        self.ledger = ledger
        self.channel = channel
        self.registry = registry
        var secrets = secrets
        if secrets.state == nil { secrets.state = ProtocolStateFiles(directory: dataDirectory + "/protocol-state") }
        self.secrets = secrets
        reader = DatasetReader(owner: party, datasets: datasets)
        self.currentMembers = members
        self.registeredPaillierKey = paillierKey
        self.dataDirectory = dataDirectory
        self.stepTimeout = stepTimeout
        self.logger = logger
        self.progressDelay = progressDelay
        for sub in ["openings", "results", "running"] {
            try? FileManager.default.createDirectory(atPath: dataDirectory + "/" + sub, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
    }

    /// A fixed membership, for a ledger that has no membership of its own (`InMemoryLedger`).
    public init(party: PartyID, ledger: any NodeLedger, channel: any PartyChannel, registry: JobProtocolRegistry,
                secrets: JobResources, datasets: [DatasetDeclaration], members: [PartyID], dataDirectory: String,
                stepTimeout: Duration, logger: Logger, progressDelay: Duration? = nil) {
        self.init(
            party: party, ledger: ledger, channel: channel, registry: registry, secrets: secrets, datasets: datasets,
            members: { members }, dataDirectory: dataDirectory, stepTimeout: stepTimeout, logger: logger, progressDelay: progressDelay)
    }

    /// A share made by `tacit paillier keygen` while the node runs, used from the next run on.
    func install(paillier material: PaillierKeyMaterial) {
        secrets.paillier = material
    }

    public func start() {
        let changes = ledger.changes()
        loop = Task { [weak self] in
            for await _ in changes {
                guard let self else { return }
                await self.reconcile()
            }
        }
    }

    /// Fails in-flight runs cleanly (a `JobFailed` with the reason) and stops.
    public func shutdown() async {
        stopping = true
        loop?.cancel()
        for (id, task) in running {
            task.cancel()
            await record(id, .jobFailed(jobID: id, reason: "\(me) was shut down during the run"))
            try? FileManager.default.removeItem(atPath: marker(id))
        }
        for task in running.values { await task.value }
        running = [:]
    }

    // MARK: reconciling with the ledger

    func reconcile() async {
        if stopping { return }
        let book = JobBook(entries: await ledger.entries())
        let members = await currentMembers()
        let paillierKey = await registeredPaillierKey?()
        for job in book.records where job.spec.partyNames.contains(me) {
            // A spec on the ledger was written by another member: it meets the same rules as
            // one read from YAML before this node acts on it, or it is ignored (logged once).
            var problems = job.spec.problems(in: registry, members: members).map(\.description)
            if registeredPaillierKey != nil, !job.phase.isTerminal {
                problems += PaillierKeyRegistration.jobProblems(job.spec, registry: registry, registered: paillierKey)
            }
            guard problems.isEmpty else {
                if ignored.insert(job.spec.id).inserted {
                    logger.warning("ignoring a job proposed on the ledger: its spec is invalid: \(problems.joined(separator: "; "))",
                                   metadata: ["proposer": "\(job.proposer)"])
                }
                continue
            }
            await step(job)
        }
    }

    private func step(_ job: JobRecord) async {
        let spec = job.spec
        let id = spec.id
        let mySelection = spec.party(me)?.input
        switch job.phase {
        case .proposed:
            // The owner's node turns down proposals for data it does not offer, at once.
            if let sel = mySelection, let problem = reader.offerProblem(sel), !job.rejections.contains(where: { $0.party == me }) {
                logger.notice("rejecting job: \(problem)", metadata: ["job": "\(id)"])
                await record(id, .jobRejected(jobID: id, reason: problem))
            }
        case .approved:
            guard let sel = mySelection, job.commitments[me] == nil else { return }
            do {
                // The approval comes from the ledger, signed by this node itself; nothing else
                // opens the reader.
                let started = ContinuousClock.now
                let input = try reader.read(sel, jobID: id, approval: job.approvals[me])
                let read = ContinuousClock.now
                let salt = CommitmentOpening.freshSalt()
                let opening = CommitmentOpening(input: input, salt: salt)
                try writePrivate(opening.encodedJSON(), to: openingPath(id))
                committedInputs[id] = opening
                logger.info("input read in \(Self.seconds(read - started)) s, committed and stored in \(Self.seconds(ContinuousClock.now - read)) s", metadata: ["job": "\(id)"])
                await record(id, .inputCommitted(jobID: id, dataset: sel.dataset, columns: input.columns.map(\.declaration.name),
                                                 commitment: opening.commitment))
            } catch {
                logger.error("cannot commit input: \(error)", metadata: ["job": "\(id)"])
                await record(id, .jobFailed(jobID: id, reason: "\(me) could not read its input: \(message(error))"))
            }
        case .committed:
            guard job.results[me] == nil, !job.failures.contains(where: { $0.party == me }), running[id] == nil,
                  !sent.contains("\(id)/run") else { return }
            if FileManager.default.fileExists(atPath: marker(id)) {
                // A previous process of this node was in the middle of this run.
                try? FileManager.default.removeItem(atPath: marker(id))
                await record(id, .jobFailed(jobID: id, reason: "\(me) restarted during the run; the run cannot resume"))
                return
            }
            sent.insert("\(id)/run")
            startRun(job)
        case .failed, .rejected, .completed:
            committedInputs[id] = nil
            if let t = running[id] {
                logger.notice("job ended on the ledger (\(job.phase.rawValue)); stopping the local run", metadata: ["job": "\(id)"])
                t.cancel()
            }
        }
    }

    private func startRun(_ job: JobRecord) {
        let spec = job.spec
        let id = spec.id
        _ = FileManager.default.createFile(atPath: marker(id), contents: nil, attributes: [.posixPermissions: 0o600])
        progress[id] = ("starting", 0)
        running[id] = Task { [self] in
            let outcome: Result<JobRunResult, any Error>
            do {
                outcome = .success(try await runProtocol(job))
            } catch {
                outcome = .failure(error)
            }
            await finish(spec, outcome)
        }
    }

    private func runProtocol(_ job: JobRecord) async throws -> JobRunResult {
        let spec = job.spec
        guard let proto = registry.lookup(spec.protocolName) else {
            throw NodeError(.protocolFailure, "this node does not have protocol \(spec.protocolName)")
        }
        var input: DatasetInput?
        if spec.party(me)?.input != nil {
            // Refuse unless this node's own approval is on the ledger, then use exactly the
            // committed input.
            guard let approval = job.approvals[me], approval.party == me else {
                throw NodeError(.notApproved, "\(me) has not approved this job; refusing to take part with its data")
            }
            let opening: CommitmentOpening
            if let kept = committedInputs[spec.id], let committed = job.commitments[me], kept.commitment == committed.commitment.lowercased() {
                opening = kept  // the very value this node committed to, never out of this process
            } else {
                guard let data = FileManager.default.contents(atPath: openingPath(spec.id)) else {
                    throw NodeError(.notFound, "the opening of \(me)'s committed input is missing from its data directory")
                }
                let reading = ContinuousClock.now
                let stored = try JSONDecoder().decode(CommitmentOpening.self, from: data)
                guard let committed = job.commitments[me], stored.verify(against: committed.commitment) else {
                    throw NodeError(.notApproved, "the stored input does not match \(me)'s commitment; refusing")
                }
                logger.info("committed input re-read and checked in \(Self.seconds(ContinuousClock.now - reading)) s", metadata: ["job": "\(spec.id)"])
                opening = stored
            }
            guard job.commitments[me] != nil,
                  Set(opening.input.columns.map(\.declaration.name)).isSubset(of: Set(approval.columns)) else {
                throw NodeError(.notApproved, "the stored input does not match \(me)'s commitment or approval; refusing")
            }
            input = opening.input
        }
        let id = spec.id
        let delay = progressDelay
        // A share that is not the ledger's key (another consortium's, or an older key's) is
        // never used: the job fails here with why, at this party, before any message.
        if let registeredPaillierKey, proto.descriptor.needs.contains(.paillierKeyShare), let m = secrets.paillier {
            let holders = m.indexOf.sorted { $0.value < $1.value }.map(\.key.name)
            if let problem = PaillierKeyRegistration.problem(share: m.share, holders: holders, me: me.name, registered: await registeredPaillierKey()) {
                throw NodeError(.keys, problem)
            }
        }
        logger.info("running \(spec.protocolName)\(spec.engine.map { " on \($0)" } ?? "")", metadata: ["job": "\(id)"])
        let started = ContinuousClock.now
        do {
            let result = try await JobRunner.run(
                proto, spec: spec, localParty: me, channel: channel.session(spec.session), input: input, resources: secrets,
                engines: registry.engines, stepTimeout: stepTimeout, logger: logger,
                progress: { [weak self] step, fraction in
                    await self?.setProgress(id, step, fraction)
                    if let delay { try? await Task.sleep(for: delay) }
                })
            // Benchmarks split a job's time into this run and the ledger's part from it.
            logger.info("protocol run took \(Self.seconds(ContinuousClock.now - started)) s", metadata: ["job": "\(id)"])
            return result
        } catch {
            let e = JobError.from(error)
            // A problem in this party's own data: the local log names its file too (never the
            // ledger, which gets the message only).
            if let detail = e.localDetail, let name = input?.dataset, let file = reader.datasets.first(where: { $0.name == name })?.file {
                throw JobError(e.code, e.message, peer: e.peer, localDetail: "\(detail) of \(file)")
            }
            throw e
        }
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.3f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    private func setProgress(_ id: String, _ step: String, _ fraction: Double) {
        progress[id] = (step, fraction)
        logger.info("progress \(Int(fraction * 100))%: \(step)", metadata: ["job": "\(id)"])
    }

    private func finish(_ spec: JobSpec, _ outcome: Result<JobRunResult, any Error>) async {
        let id = spec.id
        channel.session(JobSpec.session(forJob: id)).end()
        running[id] = nil
        committedInputs[id] = nil
        progress[id] = nil
        defer { try? FileManager.default.removeItem(atPath: marker(id)) }
        if stopping { return }  // shutdown() records the failure
        switch outcome {
        case .success(let result):
            if result.outputs.contains(where: { $0.value != nil }) {
                let stored = StoredResult(jobID: id, outputs: result.outputs)
                let storing = ContinuousClock.now
                defer { logger.info("result stored in \(Self.seconds(ContinuousClock.now - storing)) s", metadata: ["job": "\(id)"]) }
                do { try writePrivate(stored.encodedJSON(), to: resultPath(id)) } catch {
                    logger.error("cannot store the result: \(error)", metadata: ["job": "\(id)"])
                }
            }
            // The sealing party of a sealed output (its first recipient by name, which drew the
            // salt) puts the value on the ledger encrypted to the recipients and readers, beside
            // its own ResultRecorded; every party's ResultRecorded itself stays the same.
            var sealing: [SealedPayload] = []
            for o in spec.outputs where o.sealed && o.sealingParty == me {
                guard let r = result.output(o.name) else { continue }
                do { sealing += try SealedOutput.fields(jobID: id, output: o, result: r) } catch {
                    logger.error("cannot seal output '\(o.name)': \(message(error))", metadata: ["job": "\(id)"])
                    await record(id, .jobFailed(jobID: id, reason: "\(me) could not seal output '\(o.name)' on the ledger: \(message(error))"))
                    return
                }
            }
            logger.info("run finished; recording the result digest\(sealing.isEmpty ? "" : " and the sealed outputs")", metadata: ["job": "\(id)"])
            let refused = await record(id, .resultRecorded(
                jobID: id, outputs: result.outputs.map { RecordedOutput(name: $0.name, digest: $0.digest, publicValue: $0.publicValue) }),
                sealing: sealing)
            if let refused, !sealing.isEmpty {
                // Without the sealed copy the grant in the spec cannot be honoured: the job fails
                // rather than completing without it.
                await record(id, .jobFailed(jobID: id, reason: "\(me) could not record its result with the sealed outputs: \(refused)"))
            }
        case .failure(let error):
            let book = JobBook(entries: await ledger.entries())
            if let job = book.jobs[id], job.phase.isTerminal {
                logger.notice("run stopped: the job already ended (\(job.phase.rawValue))", metadata: ["job": "\(id)"])
                return
            }
            logger.error("run failed: \(error)", metadata: ["job": "\(id)"])
            await record(id, .jobFailed(jobID: id, reason: message(error)))
        }
    }

    /// Submits `tx` once per job and kind; why, when the ledger refused it.
    @discardableResult
    private func record(_ id: String, _ tx: JobTransaction, sealing: [SealedPayload] = []) async -> String? {
        let key = "\(id)/\(tx.kind)"
        guard !sent.contains(key) else { return nil }
        sent.insert(key)
        do { try await ledger.submit(tx, sealing: sealing) } catch {
            sent.remove(key)
            logger.error("cannot submit \(tx.kind): \(error)", metadata: ["job": "\(id)"])
            return message(error)
        }
        return nil
    }

    // MARK: operator actions

    public func submit(specText: String, file: String?) async throws -> String {
        let ctx = SpecContext(members: await currentMembers(), registry: registry, offered: [me: reader.datasets])
        var spec = try JobSpec.parse(specText, file: file, context: ctx)
        guard spec.partyNames.contains(me) else {
            throw NodeError(.invalidSpec, "this node (\(me)) is not a party of the job; submit it from one of its parties' nodes")
        }
        if let registeredPaillierKey,
            let problem = PaillierKeyRegistration.jobProblems(spec, registry: registry, registered: await registeredPaillierKey()).first
        {
            throw NodeError(.invalidSpec, problem, file: file)
        }
        let book = JobBook(entries: await ledger.entries())
        if spec.id.isEmpty {
            repeat { spec.id = "job-" + Hex.encode(SecureRandom.bytes(4)) } while book.jobs[spec.id] != nil
        } else if book.jobs[spec.id] != nil {
            throw NodeError(.invalidSpec, "job id '\(spec.id)' is already on the ledger; choose another id or remove `id:` to get a fresh one", file: file)
        }
        try await ledger.submit(.jobProposed(spec))
        return spec.id
    }

    public func approve(_ id: String, columns: [String]?) async throws {
        let job = try await record(id)
        guard job.spec.approvers.contains(me) else {
            throw NodeError(.invalidState, "\(me) is not an approver of job \(id) (approvers: \(job.spec.approvers.map(\.name).joined(separator: ", ")))")
        }
        guard job.phase == .proposed else { throw NodeError(.invalidState, "job \(id) is \(job.phase.rawValue); only a proposed job can be approved") }
        guard job.approvals[me] == nil else { throw NodeError(.invalidState, "\(me) already approved job \(id)") }
        var approval = Approval(jobID: id, party: me, dataset: nil, columns: [])
        if let sel = job.spec.party(me)?.input {
            if let problem = reader.offerProblem(sel) { throw NodeError(.notApproved, problem) }
            if let columns, Set(columns) != Set(sel.columns) {
                let extra = sel.columns.filter { !columns.contains($0) }
                throw NodeError(
                    .notApproved,
                    "job \(id) uses columns [\(sel.columns.joined(separator: ", "))] of dataset '\(sel.dataset)'; you approved [\(columns.joined(separator: ", "))]"
                        + (extra.isEmpty ? "" : ", so it would read \(extra.joined(separator: ", ")), which you did not approve")
                        + ". Approve exactly the columns it uses, or reject it: tacit job reject \(id) --reason ...")
            }
            approval = Approval(jobID: id, party: me, dataset: sel.dataset, columns: sel.columns)
        } else if let columns, !columns.isEmpty {
            throw NodeError(.invalidState, "\(me) contributes no data to job \(id); approve without --columns")
        }
        try await ledger.submit(.jobApproved(approval))
    }

    public func reject(_ id: String, reason: String) async throws {
        let job = try await record(id)
        guard job.spec.approvers.contains(me) else { throw NodeError(.invalidState, "\(me) is not an approver of job \(id)") }
        guard job.phase == .proposed || job.phase == .approved else {
            throw NodeError(.invalidState, "job \(id) is \(job.phase.rawValue); it can no longer be rejected")
        }
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !r.isEmpty else { throw NodeError(.invalidState, "give a reason: tacit job reject \(id) --reason \"...\"") }
        try await ledger.submit(.jobRejected(jobID: id, reason: r))
    }

    public func status(_ id: String) async throws -> JobStatus { statusOf(try await record(id)) }

    public func list() async -> [JobStatus] { JobBook(entries: await ledger.entries()).records.map(statusOf) }

    /// The value of a job's outputs, at a recipient (from its data directory) or at a member an
    /// output is sealed to (from the sealed copy on this node's replica, checked against the
    /// digest every party recorded). Outputs this node may not read have no value.
    public func result(_ id: String) async throws -> StoredResult {
        let job = try await record(id)
        let spec = job.spec
        let readable = spec.outputs.filter { $0.sealedTo.contains(me) }
        guard spec.isRecipient(me) || !readable.isEmpty else {
            if let sealed = spec.outputs.first(where: \.sealed) {
                throw SealedOutput.notAmongReaders(sealed, jobID: id, label: "this node (\(me))")
            }
            throw NodeError(.notApproved, "\(me) is not a recipient of job \(id)'s outputs (recipients: \(spec.outputs.flatMap(\.recipients).map(\.name).joined(separator: ", "))); only the digest is on the ledger")
        }
        guard job.phase == .completed, let recorded = job.recordedOutputs else {
            throw NodeError(.invalidState, "job \(id) is \(job.phase.rawValue)\(job.reason.map { ": \($0)" } ?? ""); no result yet")
        }
        var stored: StoredResult
        if let data = FileManager.default.contents(atPath: resultPath(id)) {
            stored = try JSONDecoder().decode(StoredResult.self, from: data)
        } else if !readable.isEmpty {
            stored = StoredResult(
                jobID: id, outputs: recorded.map { OutputResult(name: $0.name, value: nil, digest: $0.digest, publicValue: $0.publicValue, salt: nil) })
        } else {
            throw NodeError(.notFound, "the result of job \(id) is not in this node's data directory, and none of its outputs is sealed on the ledger")
        }
        let sealedToMe = Set(readable.map(\.name))
        for (k, o) in stored.outputs.enumerated() where o.value == nil && sealedToMe.contains(o.name) {
            let ledger = self.ledger
            let opened = try await SealedOutput.read(
                jobID: id, output: o.name, as: me, entries: await ledger.entries(),
                openField: { try await ledger.openSealed(entryID: $0, field: $1) })
            stored.outputs[k].value = opened.value
            stored.outputs[k].salt = Hex.encode(opened.salt)
        }
        return stored
    }

    /// This node's opening of its commitment for `id`, to hand to an auditor.
    public func opening(_ id: String) async throws -> CommitmentOpening {
        _ = try await record(id)
        guard let data = FileManager.default.contents(atPath: openingPath(id)) else {
            throw NodeError(.notFound, "\(me) committed no input to job \(id)")
        }
        return try JSONDecoder().decode(CommitmentOpening.self, from: data)
    }

    public var runningJobs: [String] { Array(running.keys) }

    private func record(_ id: String) async throws -> JobRecord {
        guard let job = JobBook(entries: await ledger.entries()).jobs[id] else {
            throw NodeError(.notFound, "no job '\(id)' on the ledger; `tacit job list` shows the jobs")
        }
        return job
    }

    private func statusOf(_ job: JobRecord) -> JobStatus {
        let spec = job.spec
        var roles = spec.party(me)?.roles.map(\.rawValue) ?? []
        if spec.isRecipient(me) { roles.append("recipient") }
        if spec.approvers.contains(me) { roles.append("approver") }
        let use = spec.party(me)?.input.map { "dataset '\($0.dataset)', columns [\($0.columns.joined(separator: ", "))]" }
        return JobStatus(
            id: spec.id, phase: job.phase, protocolName: spec.protocolName, proposer: job.proposer, summary: spec.summary(in: registry),
            awaitingApproval: job.awaitingApproval, awaitingCommitment: job.awaitingCommitment,
            awaitingResult: job.phase == .committed ? job.awaitingResult : [],
            localRoles: roles, localUse: use,
            approvals: job.approvals.keys.sorted().map(\.name),
            commitments: Dictionary(uniqueKeysWithValues: job.commitments.map { ($0.key.name, $0.value.commitment) }),
            reason: job.reason, progressStep: progress[spec.id]?.0, progress: progress[spec.id]?.1,
            outputs: job.recordedOutputs)
    }

    // MARK: files

    // File names come from a hash of the job id, never from the id itself: ids are written by
    // other members, and one such as `../keys` must not name a path.
    static func fileName(_ id: String) -> String { Hex.encode(SHA256Bytes.hash(Array("tacit.job-file.v1:\(id)".utf8))) }
    private func openingPath(_ id: String) -> String { "\(dataDirectory)/openings/\(Self.fileName(id)).json" }
    private func resultPath(_ id: String) -> String { "\(dataDirectory)/results/\(Self.fileName(id)).json" }
    private func marker(_ id: String) -> String { "\(dataDirectory)/running/\(Self.fileName(id))" }

    private func writePrivate(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw NodeError(.control, "cannot write \(path): \(String(cString: strerror(errno)))") }
        let n = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard n == data.count, rename(tmp, path) == 0 else { throw NodeError(.control, "cannot write \(path)") }
    }

    private func message(_ error: any Error) -> String {
        switch error {
        case let e as NodeError: return e.message
        case let e as NetError: return e.reason
        case let e as JobError: return e.message
        case let e as MPCError: return e.message
        default: return "\(error)"
        }
    }
}
