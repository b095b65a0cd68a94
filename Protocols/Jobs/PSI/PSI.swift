public import TacitJob
public import TacitMPC
import TacitNet
import Logging

/// Private set intersection as a job, for blacklist matching between banks: one input party
/// (the `receiver`, the bank checking applicants) learns which of its rows' identifiers each
/// other input party's list also holds, or only how many, and nothing else; the others learn
/// only the receiver's number of distinct identifiers. See README.md beside this file.
///
/// With k other banks the receiver runs k two-party PSIs, one per bank on a session of its
/// own: the banks never exchange anything with each other.
public struct PSI: JobProtocol {
    public init() {}

    public static let learnsText = """
        The receiver learns, for each other input party, which of its own rows' identifiers \
        that party's list also holds (reveal: intersection) or only how many do (reveal: size), \
        and the number of distinct identifiers in that party's list. Each other input party \
        learns only the number of distinct identifiers the receiver submitted, and nothing \
        about the other lists: banks exchange nothing with one another. Identifiers are \
        compared after the job's normalisation, so two spellings that normalise alike count as \
        one.
        """

    public let descriptor = JobDescriptor(
        name: "psi",
        summary: "private set intersection: which of the receiver's identifiers (or how many) the other parties' lists hold, and nothing else",
        security: "semi-honest, two parties at a time, no dealer and no third party: the ot path is KKRT16's batched OPRF on oblivious-transfer extension (IKNP, base OTs over P-256); the ecdh path is Diffie–Hellman PSI over ristretto255 (RFC 9496, hash to group by RFC 9380); a party that deviates from the protocol can make the answer wrong or, on the ot path, probe for more identifiers than it submitted, so it is for parties trusted to run it as written",
        learns: PSI.learnsText,
        parameters: [
            JobParameter("receiver", "the input party that learns the result (default: the one recipient of the output)"),
            JobParameter("reveal", "intersection (default: which of the receiver's rows match, per party) or size (only how many, per party; runs on the ecdh path)"),
            JobParameter("path", "ot (oblivious transfer, default for intersection) or ecdh (elliptic-curve Diffie–Hellman over ristretto255)"),
            JobParameter("normalise", "how identifiers are made comparable: none or a comma-separated list of trim, nfkc, casefold, separators (default trim,nfkc,casefold)"),
        ],
        partyCounts: 2...16,
        inputs: .identifiers)

    public enum Path: String, Sendable, CaseIterable { case ot, ecdh }

    struct Settings {
        var receiver: PartyID
        var reveal: PSIOutputMode
        var path: Path
        var normalisation: IdentifierNormalisation
    }

    static func settings(_ spec: JobSpec) -> (Settings?, [SpecProblem]) {
        var problems: [SpecProblem] = []
        let p = spec.parameters
        let reveal = PSIOutputMode(rawValue: p["reveal"] ?? "intersection")
        if reveal == nil { problems.append(SpecProblem(path: "parameters.reveal", "'\(p["reveal"] ?? "")' is not intersection or size")) }
        var path = Path(rawValue: p["path"] ?? (reveal == .size ? "ecdh" : "ot"))
        if path == nil { problems.append(SpecProblem(path: "parameters.path", "'\(p["path"] ?? "")' is not ot or ecdh")) }
        if reveal == .size, path == .ot {
            problems.append(SpecProblem(path: "parameters.path", "the ot path always shows the receiver which of its identifiers match, so it cannot reveal only the size; use path: ecdh (or leave path out)"))
            path = nil
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
        guard problems.isEmpty, let receiver, let reveal, let path, let normalisation else { return (nil, problems) }
        return (Settings(receiver: receiver, reveal: reveal, path: path, normalisation: normalisation), [])
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
        if me != s.receiver {
            let link = try PairLink(channel: ctx.session("psi.\(me.name)").pair(with: s.receiver), tag: 1, timeout: ctx.stepTimeout)
            _ = try await Self.runPair(ids.set, role: .sender, settings: s, link: link, session: session) { step, f in
                await ctx.progress(step, f)
            }
            return [:]
        }
        let others = spec.inputParties.filter { $0 != me }.sorted()
        var listedBy = [[PartyID]](repeating: [], count: ids.set.count)
        var sizes: [(PartyID, Int)] = []
        for (k, bank) in others.enumerated() {
            let link = try PairLink(channel: ctx.session("psi.\(bank.name)").pair(with: bank), tag: 1, timeout: ctx.stepTimeout)
            let outcome = try await Self.runPair(ids.set, role: .receiver, settings: s, link: link, session: session) { step, f in
                await ctx.progress("\(bank.name): \(step)", (Double(k) + f) / Double(others.count))
            }
            ctx.logger.info("psi with a party", metadata: [
                "peer": "\(bank.name)", "peerSetSize": "\(outcome.peerSetSize)", "bytesSent": "\(outcome.stats.bytesSent)",
                "bytesReceived": "\(outcome.stats.bytesReceived)", "seconds": "\(outcome.stats.setupSeconds + outcome.stats.onlineSeconds)",
            ])
            switch s.reveal {
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
        switch s.reveal {
        case .size:
            let table = try JobTable(columns: ["party", "matches"], rows: sizes.map { [$0.0.name, String($0.1)] })
            return [output: .table(table)]
        case .intersection:
            return [output: .table(try Self.matchedRows(ids, listedBy: listedBy, input: input, columns: columns))]
        }
    }

    /// The receiver's matched rows, in input order: the row number (1 = the first data row),
    /// the identifier columns as written, and which parties list it (`;`-separated).
    static func matchedRows(_ ids: IdentifierSet, listedBy: [[PartyID]], input: DatasetInput, columns: [String]) throws -> JobTable {
        let cols = columns.compactMap { input.column($0)?.values }
        var rows: [(Int, [String])] = []
        for (e, parties) in listedBy.enumerated() where !parties.isEmpty {
            for r in ids.rows(of: e) {
                rows.append((r, [String(r + 1)] + cols.map { $0[r] } + [parties.map(\.name).joined(separator: ";")]))
            }
        }
        rows.sort { $0.0 < $1.0 }
        return try JobTable(columns: ["row"] + columns + ["listedBy"], rows: rows.map(\.1))
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

    static func runPair(
        _ set: PSISet, role: PSIRole, settings s: Settings, link: PairLink, session: [UInt8], progress: PSIProgress? = nil
    ) async throws -> PSIOutcome {
        try await runPair(set, role: role, reveal: s.reveal, path: s.path, link: link, session: session, progress: progress)
    }
}
