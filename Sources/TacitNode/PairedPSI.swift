import Foundation
import TacitBytes
import TacitJob
import TacitMPC
import TacitNet
public import TacitPSI

/// `tacit psi`: private set intersection between two processes that have not met, for trying
/// the psi job's protocol in two terminals (or timing it: `make bench-psi`). The listener
/// holds the list (a blacklist, say) and chooses the path, what is revealed and the
/// normalisation; the connector learns which of its rows (or only how many) are on the list.
/// The listener learns only how many distinct identifiers the connector sent.
public enum PairedPSI {
    public struct Request: Sendable {
        public var listen: String?
        public var connect: String?
        public var peerKey: String?
        public var advertise: String?
        /// The CSV file of this side's identifiers, and the column(s) that form one.
        public var file: String
        public var columns: [String]
        /// Listener only: what is revealed, by which path, after which normalisation.
        public var reveal = "intersection"
        public var path: String?
        public var normalise = IdentifierNormalisation.standard.description
        /// Connector only: where the matched rows are written (CSV); nil prints a count only.
        public var out: String?
        public var timeout: Duration = .seconds(600)
        public init(file: String, columns: [String]) {
            self.file = file
            self.columns = columns
        }
    }

    struct Settings: Codable, Equatable {
        var reveal: String
        var path: String
        var normalise: String
    }

    /// What one side printed at the end, for scripts (the benchmark reads it).
    public struct Summary: Sendable {
        public var distinct: Int
        public var peerDistinct: Int
        /// Matches (connector only): rows and distinct identifiers, or the size alone.
        public var matchedRows: Int?
        public var matchedDistinct: Int?
        public var stats: PSIStats
        public var seconds: Double

        /// One line of figures, with this process's peak resident memory so far.
        public func statsLine() -> String {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let f = { (x: Double) in String(format: "%.3f", x) }
            return "stats: seconds=\(f(seconds)) setup_seconds=\(f(stats.setupSeconds)) online_seconds=\(f(stats.onlineSeconds)) "
                + "bytes_sent=\(stats.bytesSent) bytes_received=\(stats.bytesReceived) messages_sent=\(stats.messagesSent) "
                + "distinct=\(distinct) peer_distinct=\(peerDistinct) matched=\(matchedDistinct.map(String.init) ?? "-") "
                + "peak_rss_mib=\(String(format: "%.1f", Double(usage.ru_maxrss) / 1024))"
        }
    }

    public static func run(
        _ r: Request, say: @escaping @Sendable (String) -> Void, progress: PSIProgress? = nil
    ) async throws -> Summary {
        guard (r.listen == nil) != (r.connect == nil) else {
            throw NodeError(.invalidConfig, "give exactly one of --listen HOST:PORT and --connect HOST:PORT")
        }
        let input = try Simulation.readCSV(r.file, party: "local", columns: r.columns, identifiers: true)
        if let listen = r.listen {
            guard let reveal = PSIOutputMode(rawValue: r.reveal) else {
                throw NodeError(.invalidConfig, "--reveal '\(r.reveal)' is not intersection or size")
            }
            let pathText = r.path ?? (reveal == .size ? "ecdh" : "ot")
            guard let path = PSI.Path(rawValue: pathText) else { throw NodeError(.invalidConfig, "--path '\(pathText)' is not ot or ecdh") }
            if reveal == .size && path == .ot {
                throw NodeError(.invalidConfig, "--reveal size needs --path ecdh: the ot path always shows the receiver which of its identifiers match")
            }
            let normalisation: IdentifierNormalisation
            switch IdentifierNormalisation.parse(r.normalise) {
            case .success(let n): normalisation = n
            case .failure(let e): throw NodeError(.invalidConfig, "--normalise: \(e.message)")
            }
            // Read before anyone connects: a bad file should not cost the other side a wait.
            let ids = try identifiers(input, r.columns, normalisation)
            say("\(ids.set.count) distinct identifiers from \(input.rowCount) rows (\(ids.duplicateRows) duplicate, \(ids.blankRows) blank), normalised \(normalisation)")
            let settings = Settings(reveal: reveal.rawValue, path: path.rawValue, normalise: normalisation.description)
            let paired = try await Pairing.listen(
                listen, settings: String(decoding: try JSONEncoder().encode(settings), as: UTF8.self), timeout: r.timeout, say: say
            ) { at, key in
                "tacit psi --connect \(at) --peer-key \(key) --file FILE --column NAME [--out matches.csv]"
            }
            defer { paired.mesh.close() }
            let (outcome, seconds) = try await runOne(ids.set, role: .sender, reveal: reveal, path: path, paired: paired, peer: Pairing.connector, timeout: r.timeout, progress: progress)
            say("the connector sent \(outcome.peerSetSize) distinct identifiers; it learned \(reveal == .size ? "how many of them" : "which of them") are on this list (\(path.rawValue) path, \(String(format: "%.2f", seconds)) s)")
            await linger()
            return Summary(distinct: ids.set.count, peerDistinct: outcome.peerSetSize, stats: outcome.stats, seconds: seconds)
        }
        guard let target = r.connect else { throw NodeError(.invalidConfig, "give --connect HOST:PORT") }
        let paired = try await Pairing.connect(target, peerKey: r.peerKey, advertise: r.advertise, timeout: r.timeout, say: say)
        defer { paired.mesh.close() }
        guard let s = try? JSONDecoder().decode(Settings.self, from: Data(paired.settings.utf8)),
            let reveal = PSIOutputMode(rawValue: s.reveal), let path = PSI.Path(rawValue: s.path),
            case .success(let normalisation) = IdentifierNormalisation.parse(s.normalise)
        else { throw NodeError(.invalidConfig, "the listener's settings are malformed; is it the same version of tacit?") }
        let ids = try identifiers(input, r.columns, normalisation)
        say("the listener asks for \(reveal == .size ? "the size of the intersection only" : "the intersection") (\(path.rawValue) path), identifiers normalised \(normalisation)")
        say("\(ids.set.count) distinct identifiers from \(input.rowCount) rows (\(ids.duplicateRows) duplicate, \(ids.blankRows) blank)")
        let (outcome, seconds) = try await runOne(ids.set, role: .receiver, reveal: reveal, path: path, paired: paired, peer: Pairing.listener, timeout: r.timeout, progress: progress)
        var summary = Summary(distinct: ids.set.count, peerDistinct: outcome.peerSetSize, stats: outcome.stats, seconds: seconds)
        if let matches = outcome.matches {
            guard matches.allSatisfy({ (0..<ids.set.count).contains($0) }) else { throw NodeError(.invalidConfig, "the PSI gave matches outside this side's set") }
            let rows = matches.flatMap { ids.rows[$0] }.sorted()
            summary.matchedRows = rows.count
            summary.matchedDistinct = matches.count
            say("\(rows.count) of \(input.rowCount) rows (\(matches.count) distinct identifiers) are on the listener's list of \(outcome.peerSetSize) (\(String(format: "%.2f", seconds)) s)")
            if let out = r.out { try writeRows(rows, input: input, columns: r.columns, to: out, say: say) }
        } else if let n = outcome.size {
            summary.matchedDistinct = n
            say("\(n) of your \(ids.set.count) distinct identifiers are on the listener's list of \(outcome.peerSetSize); which ones is not revealed (\(String(format: "%.2f", seconds)) s)")
        }
        await linger()
        return summary
    }

    static func identifiers(_ input: DatasetInput, _ columns: [String], _ n: IdentifierNormalisation) throws -> IdentifierSet {
        do { return try IdentifierSet(input, columns: columns.isEmpty ? nil : columns, normalisation: n) } catch let e as JobError {
            throw NodeError(.dataset, e.message)
        }
    }

    static func runOne(
        _ set: PSISet, role: PSIRole, reveal: PSIOutputMode, path: PSI.Path, paired: Pairing.Paired, peer: PartyID, timeout: Duration,
        progress: PSIProgress?
    ) async throws -> (PSIOutcome, Double) {
        let link = try PairLink(channel: paired.mesh.session(SessionID(1)), tag: 1, timeout: timeout)
        // Both sides know both keys: hashes of this run are useless in any other.
        let keys = [paired.keys.publicKey.z85, paired.peerKey.z85].sorted()
        let session = Array("tacit psi \(keys[0]) \(keys[1])".utf8)
        let start = ContinuousClock.now
        let outcome: PSIOutcome
        do {
            outcome = try await PSI.runPair(set, role: role, reveal: reveal, path: path, link: link, session: session, progress: progress)
        } catch let e as JobError {
            throw NodeError(.invalidConfig, e.message + (e.peer.map { " (\($0))" } ?? ""))
        }
        let d = ContinuousClock.now - start
        return (outcome, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    /// Lets the last message reach the peer before the sockets close.
    static func linger() async { try? await Task.sleep(for: .milliseconds(200)) }

    /// The matched rows as CSV: the row number (1 = first data row) and the identifier
    /// columns as written. Written fresh (never over an existing file): it names the rows.
    static func writeRows(_ rows: [Int], input: DatasetInput, columns: [String], to path: String, say: (String) -> Void) throws {
        let names = columns.isEmpty ? input.columns.map(\.declaration.name) : columns
        let cols = names.compactMap { input.column($0)?.values }
        var text = (["row"] + names).map(csvField).joined(separator: ",") + "\n"
        for r in rows { text += ([String(r + 1)] + cols.map { $0[r] }).map(csvField).joined(separator: ",") + "\n" }
        do { try SecretFile.create(atPath: path, contents: Array(text.utf8)) } catch {
            throw NodeError(.dataset, "--out: \(error)")
        }
        say("wrote \(rows.count) matched rows to \(path)")
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
