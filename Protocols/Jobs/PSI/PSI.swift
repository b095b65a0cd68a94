public import TacitJob
public import TacitMPC
import TacitBytes
import TacitNet
import Logging

/// Private set intersection as a job, for blacklist matching between banks: one input party
/// (the `receiver`, the bank checking applicants) learns which of its rows' identifiers each
/// other input party's list also holds, or only how many, or (reveal: count) for each row only
/// how many of the other parties list it, and nothing else; the others learn only set sizes.
/// See README.md beside this file.
///
/// With k other banks and reveal intersection or size, the receiver runs k two-party PSIs,
/// one per bank on a session of its own, two at a time (banks waiting their turn get
/// keepalives): the banks never exchange anything with each other. reveal: count runs
/// ``CountPSI`` among all parties instead.
public struct PSI: JobProtocol {
    public init() {}

    public static let learnsText = """
        The receiver learns, for each other input party, which of its own rows' identifiers \
        that party's list also holds (reveal: intersection) or only how many do (reveal: size), \
        and the number of distinct identifiers in that party's list; with reveal: count it \
        learns instead, for each of its rows, only how many of the other parties list its \
        identifier (not which), and the total number of distinct identifiers in their lists. \
        Each other input party learns only the number of distinct identifiers the receiver \
        submitted; with reveal: count also each other party's number of distinct identifiers, \
        and otherwise nothing about the other lists. Identifiers are compared after the job's \
        normalisation, so two spellings that normalise alike count as one.
        """

    public let descriptor = JobDescriptor(
        name: "psi",
        summary: "private set intersection: which of the receiver's identifiers (or how many) the other parties' lists hold, and nothing else",
        security: "semi-honest, no dealer and no third party: the ot path is KKRT16's batched OPRF on oblivious-transfer extension (IKNP, base OTs over P-256); the ecdh path is Diffie–Hellman PSI over ristretto255 (RFC 9496, hash to group by RFC 9380), two parties at a time; reveal: count chains every party's key over ristretto255 and shuffles, so that the receiver sees how many lists hold each identifier and not whose, provided it does not collude with the last of the other parties in name order; a party that deviates from the protocol can make the answer wrong or learn more (on the ot path probe for more identifiers than it submitted; in count mode, as receiver, one party's answer), so it is for parties trusted to run it as written",
        learns: PSI.learnsText,
        parameters: [
            JobParameter("receiver", "the input party that learns the result (default: the one recipient of the output)"),
            JobParameter("reveal", "intersection (default: which of the receiver's rows match, per party), size (only how many, per party; ecdh path) or count (for each matched row only how many parties list it, not which; ecdh path)"),
            JobParameter("path", "ot (oblivious transfer, default for intersection) or ecdh (elliptic-curve Diffie–Hellman over ristretto255; the default, and the only path, for size and count)"),
            JobParameter("normalise", "how identifiers are made comparable: none or a comma-separated list of trim, nfkc, casefold, separators (default trim,nfkc,casefold)"),
            JobParameter("prepared", "yes: unbalanced mode for a large, rarely changing list (ecdh path): each list's node keeps its list prepared between jobs and updates only what changed, the receiver keeps each list's tags and downloads only changes' new versions; no (default)"),
        ],
        needs: .protocolState,
        partyCounts: 2...16,
        inputs: .identifiers)

    public enum Path: String, Sendable, CaseIterable { case ot, ecdh }

    /// What the receiver learns.
    public enum Reveal: String, Sendable, CaseIterable {
        case intersection, size, count
        /// The two-party runs' mode (nil: count runs among all parties).
        var pairMode: PSIOutputMode? {
            switch self {
            case .intersection: .intersection
            case .size: .size
            case .count: nil
            }
        }
    }

    /// Pairwise runs at once at the receiver: both cores busy and the network overlapping the
    /// arithmetic, while the memory of only two runs is held.
    static let concurrentPairs = 2

    struct Settings {
        var receiver: PartyID
        var reveal: Reveal
        var path: Path
        var normalisation: IdentifierNormalisation
        var prepared: Bool
    }

    static func settings(_ spec: JobSpec) -> (Settings?, [SpecProblem]) {
        var problems: [SpecProblem] = []
        let p = spec.parameters
        let reveal = Reveal(rawValue: p["reveal"] ?? "intersection")
        if reveal == nil { problems.append(SpecProblem(path: "parameters.reveal", "'\(p["reveal"] ?? "")' is not intersection, size or count")) }
        var prepared: Bool?
        switch p["prepared"] ?? "no" {
        case "yes", "true": prepared = true
        case "no", "false": prepared = false
        default: problems.append(SpecProblem(path: "parameters.prepared", "'\(p["prepared"] ?? "")' is not yes or no"))
        }
        var path = Path(rawValue: p["path"] ?? ((reveal == .intersection || reveal == nil) && prepared != true ? "ot" : "ecdh"))
        if path == nil { problems.append(SpecProblem(path: "parameters.path", "'\(p["path"] ?? "")' is not ot or ecdh")) }
        if let reveal, reveal != .intersection, path == .ot {
            problems.append(SpecProblem(path: "parameters.path", "the ot path always shows the receiver which of its identifiers match, so it cannot reveal only the \(reveal == .size ? "size" : "count"); use path: ecdh (or leave path out)"))
            path = nil
        }
        if prepared == true, path == .ot {
            problems.append(SpecProblem(path: "parameters.path", "prepared lists run on the ecdh path only (the ot path's work depends on both sets); use path: ecdh (or leave path out)"))
            path = nil
        }
        if prepared == true, reveal == .count {
            problems.append(SpecProblem(path: "parameters.prepared", "reveal: count keys every list with every bank's key anew in each job, so it cannot use prepared lists; leave prepared out"))
            prepared = nil
        }
        var normalisation: IdentifierNormalisation?
        switch IdentifierNormalisation.parse(p["normalise"] ?? IdentifierNormalisation.standard.description) {
        case .success(let n): normalisation = n
        case .failure(let e): problems.append(SpecProblem(path: "parameters.normalise", e.message))
        }
        let inputs = spec.inputParties
        if inputs.count < 2 {
            problems.append(SpecProblem(path: "parties", "psi needs the receiver and at least one other party with roles: [input]; this spec has \(inputs.count)"))
        }
        for (i, party) in spec.parties.enumerated() where !party.roles.contains(.input) {
            problems.append(SpecProblem(path: "parties[\(i + 1)]", "\(party.name) has no input; every psi party brings a list (a party without one would have nothing to do)"))
        }
        if spec.outputs.count != 1 {
            problems.append(SpecProblem(path: "outputs", "psi has exactly one output (the receiver's result); this spec lists \(spec.outputs.count)"))
        }
        var receiver: PartyID?
        if let r = p["receiver"] {
            if inputs.contains(PartyID(r)) { receiver = PartyID(r) } else {
                problems.append(SpecProblem(path: "parameters.receiver", "'\(r)' is not an input party of this job; name one of \(inputs.map(\.name).joined(separator: ", "))"))
            }
        } else if let only = spec.outputs.first?.recipients, only.count == 1 {
            receiver = only[0]
        } else {
            problems.append(SpecProblem(path: "parameters.receiver", "name the party that learns the result (receiver: BANK), or give the output exactly one recipient"))
        }
        if let receiver, let out = spec.outputs.first, out.recipients != [receiver] || out.isPublic {
            problems.append(SpecProblem(path: "outputs[1]", "the result goes to the receiver \(receiver) only, and is not public: it names the receiver's matching rows"))
        }
        guard problems.isEmpty, let receiver, let reveal, let path, let normalisation, let prepared else { return (nil, problems) }
        return (Settings(receiver: receiver, reveal: reveal, path: path, normalisation: normalisation, prepared: prepared), [])
    }

    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] { Self.settings(spec).1 }

    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let spec = ctx.spec
        guard let s = Self.settings(spec).0 else {
            throw JobError(.invalidSpec, "the job spec does not fit psi; run tacit job check on it")
        }
        let me = ctx.localParty
        guard let input = ctx.input, let columns = spec.party(me)?.input?.columns else {
            throw JobError(.invalidInput, "this party has no approved identifier column for psi")
        }
        await ctx.progress("normalising identifiers", 0)
        let ids = try IdentifierSet(input, columns: columns, normalisation: s.normalisation)
        ctx.logger.info("psi input", metadata: [
            "rows": "\(input.rowCount)", "distinct": "\(ids.set.count)", "duplicateRows": "\(ids.duplicateRows)", "blankRows": "\(ids.blankRows)",
        ])
        let session = Array(spec.id.utf8)
        let others = spec.inputParties.filter { $0 != s.receiver }.sorted()
        guard let mode = s.reveal.pairMode else {
            return try await runCount(ctx, ids: ids, settings: s, banks: others, session: session, input: input, columns: columns)
        }
        if me != s.receiver {
            let link = try PairLink(channel: ctx.session("psi.\(me.name)").pair(with: s.receiver), tag: 1, timeout: ctx.stepTimeout)
            let progress: PSIProgress = { step, f in await ctx.progress(step, f) }
            if s.prepared {
                // The first preparation of a long list outlasts a receive's timeout: the
                // receiver waits for "ready" and gets keepalives meanwhile.
                let set = ids.set
                let work = Task.detached { try Self.preparedList(ctx, set, columns: columns, settings: s) }
                let stored: StoredBlacklist
                do {
                    stored = try await Self.keepingAlive(link) { try await work.value }
                } catch let e as JobError {
                    // The receiver is waiting for "ready": tell it why not (no paths in e).
                    _ = await link.fail(MPCError(.invalidArgument, "its prepared list is not available: \(e.message)"))
                    throw e
                }
                try await link.send(step: Self.readyStep, count: 0, bodyBytes: 0) { _ in }
                try await Self.awaitTurn(link)
                _ = try await ECDHPSI.serve(stored.prepared, mode: mode, link: link, progress: progress)
            } else {
                try await Self.awaitTurn(link)
                _ = try await Self.runPair(ids.set, role: .sender, reveal: mode, path: s.path, link: link, session: session, progress: progress)
            }
            return [:]
        }
        let set = ids.set
        let fractions = Locked([Double](repeating: 0, count: others.count))
        let turns = Turns(Self.concurrentPairs)
        let outcomes = try await withThrowingTaskGroup(of: (Int, PSIOutcome).self) { group in
            for (k, bank) in others.enumerated() {
                group.addTask {
                    let link = try PairLink(channel: ctx.session("psi.\(bank.name)").pair(with: bank), tag: 1, timeout: ctx.stepTimeout)
                    try await turns.take(keepingAlive: link)
                    defer { turns.give() }
                    try await link.send(step: Self.turnStep, count: 0, bodyBytes: 0) { _ in }
                    let progress: PSIProgress = { step, f in
                        let total = fractions.withLock { $0[k] = f; return $0.reduce(0, +) }
                        await ctx.progress("\(bank.name): \(step)", total / Double(others.count))
                    }
                    if s.prepared {
                        _ = try await link.receive(step: Self.readyStep, name: "ready", count: 0, bodyBytes: 0, keepalives: true)
                        return (k, try await Self.query(ctx, set, bank: bank, mode: mode, link: link, settings: s, progress: progress))
                    }
                    return (k, try await Self.runPair(set, role: .receiver, reveal: mode, path: s.path, link: link, session: session, progress: progress))
                }
            }
            var out = [PSIOutcome?](repeating: nil, count: others.count)
            for try await (k, outcome) in group { out[k] = outcome }
            return out
        }
        var listedBy = [[PartyID]](repeating: [], count: ids.set.count)
        var sizes: [(PartyID, Int)] = []
        for (bank, outcome) in zip(others, outcomes) {
            guard let outcome else { throw JobError(.protocolFailure, "the run with \(bank.name) gave no outcome") }
            ctx.logger.info("psi with a party", metadata: [
                "peer": "\(bank.name)", "peerSetSize": "\(outcome.peerSetSize)", "bytesSent": "\(outcome.stats.bytesSent)",
                "bytesReceived": "\(outcome.stats.bytesReceived)", "seconds": "\(outcome.stats.setupSeconds + outcome.stats.onlineSeconds)",
            ])
            switch mode {
            case .intersection:
                guard let matches = outcome.matches, matches.allSatisfy({ (0..<ids.set.count).contains($0) }) else {
                    throw JobError(.protocolFailure, "the \(s.path.rawValue) path gave no valid matches for \(bank.name)")
                }
                for i in matches { listedBy[i].append(bank) }
                sizes.append((bank, matches.count))
            case .size:
                guard let n = outcome.size, (0...ids.set.count).contains(n) else {
                    throw JobError(.protocolFailure, "the \(s.path.rawValue) path gave no valid size for \(bank.name)")
                }
                sizes.append((bank, n))
            }
        }
        await ctx.progress("done", 1)
        let output = spec.outputs[0].name
        switch mode {
        case .size:
            let table = try JobTable(columns: ["party", "matches"], rows: sizes.map { [$0.0.name, String($0.1)] })
            return [output: .table(table)]
        case .intersection:
            let listed = listedBy.map { $0.isEmpty ? nil : $0.map(\.name).joined(separator: ";") }
            return [output: .table(try Self.matchedRows(ids, listed: listed, column: "listedBy", input: input, columns: columns))]
        }
    }

    /// The list this party keeps prepared for `prepared: yes` jobs, brought up to date with
    /// this job's input (only the changes are hashed) and saved before it serves.
    static func preparedList(_ ctx: JobContext, _ set: PSISet, columns: [String], settings s: Settings) throws -> StoredBlacklist {
        let state = try ctx.protocolState()
        let dataset = ctx.spec.party(ctx.localParty)?.input?.dataset ?? ""
        let name = (["prepared list", dataset, s.normalisation.description] + columns).joined(separator: "\u{0}")
        var stored: StoredBlacklist
        var change = (added: set.count, removed: 0)
        if let bytes = try state.load(name), let kept = try? StoredBlacklist(serialized: bytes) {
            stored = kept
            change = try stored.sync(set)
        } else {
            if try state.load(name) != nil {
                ctx.logger.warning("psi: the stored prepared list could not be read; preparing it again (receivers download it anew)")
            }
            stored = try StoredBlacklist(set)
        }
        try state.save(name, stored.serialized())
        ctx.logger.info("psi prepared list", metadata: [
            "entries": "\(stored.prepared.count)", "added": "\(change.added)", "removed": "\(change.removed)",
            "version": "\(stored.prepared.version)",
        ])
        return stored
    }

    /// The receiver's query against `bank`'s prepared list, with the tags it kept from the
    /// last query (downloaded again only when the list changed).
    static func query(
        _ ctx: JobContext, _ set: PSISet, bank: PartyID, mode: PSIOutputMode, link: PairLink, settings s: Settings,
        progress: PSIProgress?
    ) async throws -> PSIOutcome {
        let state = try ctx.protocolState()
        let input = ctx.spec.party(bank)?.input
        let name = (["peer list", bank.name, input?.dataset ?? "", s.normalisation.description] + (input?.columns ?? [])).joined(separator: "\u{0}")
        let cache = try state.load(name).flatMap { try? ECDHPSI.ReceiverCache(serialized: $0) }
        let r = try await ECDHPSI.query(set, mode: mode, link: link, cache: cache, progress: progress)
        try state.save(name, r.cache.serialized())
        ctx.logger.info("psi query of a prepared list", metadata: [
            "peer": "\(bank.name)", "downloaded": "\(r.downloaded)", "entries": "\(r.cache.count)", "version": "\(r.cache.version)",
        ])
        return r.outcome
    }

    /// reveal: count, among all parties on one session.
    func runCount(
        _ ctx: JobContext, ids: IdentifierSet, settings s: Settings, banks: [PartyID], session: [UInt8], input: DatasetInput,
        columns: [String]
    ) async throws -> [String: JobValue] {
        let me = ctx.localParty
        let layout = CountPSI.Layout(receiver: s.receiver, banks: banks)
        var links: [PartyID: PairLink] = [:]
        for peer in ([s.receiver] + banks) where peer != me {
            links[peer] = try PairLink(channel: ctx.session("psi.count").pair(with: peer), tag: 1, timeout: ctx.stepTimeout)
        }
        let progress: PSIProgress = { step, f in await ctx.progress(step, f) }
        guard me == s.receiver else {
            _ = try await CountPSI.bank(ids.set, layout: layout, links: links, session: session, progress: progress)
            return [:]
        }
        let counts = try await CountPSI.receive(ids.set, layout: layout, links: links, session: session, progress: progress)
        guard counts.listings.count == ids.set.count, counts.listings.allSatisfy({ (0...banks.count).contains($0) }) else {
            throw JobError(.protocolFailure, "the count mode gave no valid counts")
        }
        ctx.logger.info("psi count mode", metadata: [
            "banks": "\(banks.count)", "unionSize": "\(counts.unionSize)", "bytesSent": "\(counts.stats.bytesSent)",
            "bytesReceived": "\(counts.stats.bytesReceived)", "seconds": "\(counts.stats.onlineSeconds)",
        ])
        await ctx.progress("done", 1)
        let listed = counts.listings.map { $0 == 0 ? nil : String($0) }
        return [ctx.spec.outputs[0].name: .table(try Self.matchedRows(ids, listed: listed, column: "listings", input: input, columns: columns))]
    }

    /// The receiver's first word to a bank: its pairwise run starts now.
    static let turnStep: UInt8 = 0x50

    /// A prepared list's owner says it is up to date and can answer.
    static let readyStep: UInt8 = 0x51

    /// Runs `work` (on other threads) while telling `link`'s peer, a quarter timeout apart,
    /// that this side is still at it.
    static func keepingAlive<R: Sendable>(_ link: PairLink, _ work: @escaping @Sendable () async throws -> R) async throws -> R {
        let result = Locked<Result<R, any Error>?>(nil)
        let task = Task {
            let r: Result<R, any Error>
            do { r = .success(try await work()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
        }
        let interval = link.keepaliveInterval
        var last = ContinuousClock.now
        while true {
            if let r = result.withLock({ $0 }) { return try r.get() }
            if Task.isCancelled {
                task.cancel()
                throw CancellationError()
            }
            if ContinuousClock.now - last >= interval {
                try await link.sendKeepalive()
                last = .now
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A bank waits for its turn; the receiver's keepalives keep it waiting past the timeout.
    static func awaitTurn(_ link: PairLink) async throws {
        do {
            _ = try await link.receive(step: turnStep, name: "turn", count: 0, bodyBytes: 0, keepalives: true)
        } catch let e as MPCError {
            throw JobError(.protocolFailure, e.message, peer: e.peer?.name)
        }
    }

    /// A counting semaphore for the receiver's pairwise runs; a run waiting for a slot keeps
    /// its bank's link alive.
    final class Turns: Sendable {
        private let free: Locked<Int>
        init(_ n: Int) { free = Locked(n) }
        func take(keepingAlive link: PairLink) async throws {
            let interval = link.keepaliveInterval
            var last = ContinuousClock.now
            while !free.withLock({ n in n > 0 ? { n -= 1; return true }() : false }) {
                try Task.checkCancellation()
                if ContinuousClock.now - last >= interval {
                    try await link.sendKeepalive()
                    last = .now
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        func give() { free.withLock { $0 += 1 } }
    }

    /// The receiver's matched rows, in input order: the row number (1 = the first data row),
    /// the identifier columns as written, and `column`: which parties list it (`;`-separated)
    /// or how many. `listed[e]` nil: element e matched nothing.
    static func matchedRows(_ ids: IdentifierSet, listed: [String?], column: String, input: DatasetInput, columns: [String]) throws -> JobTable {
        let cols = columns.compactMap { input.column($0)?.values }
        var rows: [(Int, [String])] = []
        for (e, text) in listed.enumerated() {
            guard let text else { continue }
            for r in ids.rows(of: e) {
                rows.append((r, [String(r + 1)] + cols.map { $0[r] } + [text]))
            }
        }
        rows.sort { $0.0 < $1.0 }
        return try JobTable(columns: ["row"] + columns + [column], rows: rows.map(\.1))
    }

    /// One two-party PSI between this party and the link's peer, for `tacit psi` and for jobs
    /// that match identifiers as one of their steps. `session` separates its hashes from every
    /// other run's (the job id, or both parties' keys).
    public static func runPair(
        _ set: PSISet, role: PSIRole, reveal: PSIOutputMode, path: Path, link: PairLink, session: [UInt8], progress: PSIProgress? = nil
    ) async throws -> PSIOutcome {
        if reveal == .size, path == .ot {
            throw JobError(.invalidSpec, "the ot path always shows the receiver which of its identifiers match, so it cannot reveal only the size; use the ecdh path")
        }
        switch path {
        case .ot: return try await OTPSI.run(set, role: role, mode: reveal, link: link, session: session, progress: progress)
        case .ecdh: return try await ECDHPSI.run(set, role: role, mode: reveal, link: link, session: session, progress: progress)
        }
    }
}
