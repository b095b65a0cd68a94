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
        /// Listener only (unbalanced mode, ecdh path): a blacklist prepared once and reused. If
        /// the file exists it is loaded (and `file` is not read); otherwise the list is
        /// prepared and written there (it holds a secret key: mode 0600, never overwritten).
        public var prepared: String?
        /// How many queries the pair runs in a row (unbalanced mode: the first downloads the
        /// prepared tags, the later ones reuse the connector's cache).
        public var queries = 1
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
        var prepared: Bool
        var queries: Int
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
        /// Unbalanced mode: seconds to prepare (or load) the list, at the listener, and each
        /// query's seconds, in order.
        public var prepareSeconds: Double?
        public var querySeconds: [Double] = []

        /// One line of figures, with this process's peak resident memory so far.
        func median(_ xs: ArraySlice<Double>) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }

        public func statsLine() -> String {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let f = { (x: Double) in String(format: "%.3f", x) }
            return "stats: seconds=\(f(seconds)) setup_seconds=\(f(stats.setupSeconds)) online_seconds=\(f(stats.onlineSeconds)) "
                + "bytes_sent=\(stats.bytesSent) bytes_received=\(stats.bytesReceived) messages_sent=\(stats.messagesSent) "
                + "distinct=\(distinct) peer_distinct=\(peerDistinct) matched=\(matchedDistinct.map(String.init) ?? "-") "
                + "peak_rss_mib=\(String(format: "%.1f", Double(usage.ru_maxrss) / 1024))"
                + (prepareSeconds.map { " prepare_seconds=\(f($0))" } ?? "")
                + (querySeconds.count > 1 ? " first_query_seconds=\(f(querySeconds[0])) later_query_median_seconds=\(f(median(querySeconds.dropFirst())))" : "")
        }
    }

    public static func run(
        _ r: Request, say: @escaping @Sendable (String) -> Void, progress: PSIProgress? = nil
    ) async throws -> Summary {
        guard (r.listen == nil) != (r.connect == nil) else {
            throw NodeError(.invalidConfig, "give exactly one of --listen HOST:PORT and --connect HOST:PORT")
        }
        guard (1...1000).contains(r.queries) else { throw NodeError(.invalidConfig, "--queries must be 1...1000") }
        if let listen = r.listen {
            guard let reveal = PSIOutputMode(rawValue: r.reveal) else {
                throw NodeError(.invalidConfig, "--reveal '\(r.reveal)' is not intersection or size")
            }
            let pathText = r.path ?? (reveal == .size || r.prepared != nil ? "ecdh" : "ot")
            guard let path = PSI.Path(rawValue: pathText) else { throw NodeError(.invalidConfig, "--path '\(pathText)' is not ot or ecdh") }
            if reveal == .size && path == .ot {
                throw NodeError(.invalidConfig, "--reveal size needs --path ecdh: the ot path always shows the receiver which of its identifiers match")
            }
            if r.prepared != nil && path != .ecdh {
                throw NodeError(.invalidConfig, "--prepared needs --path ecdh: a prepared list is a set of ecdh tags under a long-lived key")
            }
            if r.queries > 1 && r.prepared == nil {
                throw NodeError(.invalidConfig, "--queries runs several queries against a prepared list: give --prepared FILE too")
            }
            let normalisation: IdentifierNormalisation
            switch IdentifierNormalisation.parse(r.normalise) {
            case .success(let n): normalisation = n
            case .failure(let e): throw NodeError(.invalidConfig, "--normalise: \(e.message)")
            }
            // Read before anyone connects: a bad file should not cost the other side a wait.
            var prepared: (set: ECDHPSI.PreparedSet, seconds: Double)?
            var ids: IdentifierSet?
            if let file = r.prepared {
                prepared = try prepare(file, from: r, normalisation: normalisation, say: say)
            } else {
                let input = try Simulation.readCSV(r.file, party: "local", columns: r.columns, identifiers: true)
                let set = try identifiers(input, r.columns, normalisation)
                say("\(set.set.count) distinct identifiers from \(input.rowCount) rows (\(set.duplicateRows) duplicate, \(set.blankRows) blank), normalised \(normalisation)")
                ids = set
            }
            let settings = Settings(reveal: reveal.rawValue, path: path.rawValue, normalise: normalisation.description, prepared: prepared != nil, queries: r.queries)
            let paired = try await Pairing.listen(
                listen, settings: String(decoding: try JSONEncoder().encode(settings), as: UTF8.self), timeout: r.timeout, say: say
            ) { at, key in
                "tacit psi --connect \(at) \(key) --file FILE --column NAME [--out matches.csv]"
            }
            defer { paired.mesh.close() }
            if let prepared {
                let link = try PairLink(channel: paired.mesh.session(SessionID(1)), tag: 1, timeout: r.timeout)
                var summary = Summary(distinct: prepared.set.count, peerDistinct: 0, stats: PSIStats(), seconds: 0, prepareSeconds: prepared.seconds)
                for q in 1...r.queries {
                    let start = ContinuousClock.now
                    let outcome = try await nodeErrors { try await ECDHPSI.serve(prepared.set, mode: reveal, link: link, progress: progress) }
                    let seconds = Self.seconds(since: start)
                    summary.peerDistinct = outcome.peerSetSize
                    summary.stats = outcome.stats
                    summary.seconds += seconds
                    summary.querySeconds.append(seconds)
                    say("query \(q): the connector sent \(outcome.peerSetSize) distinct identifiers (\(String(format: "%.3f", seconds)) s)")
                }
                await Pairing.goodbye(paired.mesh, to: Pairing.connector)
                return summary
            }
            guard let ids else { throw NodeError(.invalidConfig, "no list to match") }
            let (outcome, seconds) = try await runOne(ids.set, role: .sender, reveal: reveal, path: path, paired: paired, peer: Pairing.connector, timeout: r.timeout, progress: progress)
            say("the connector sent \(outcome.peerSetSize) distinct identifiers; it learned \(reveal == .size ? "how many of them" : "which of them") are on this list (\(path.rawValue) path, \(String(format: "%.2f", seconds)) s)")
            await Pairing.goodbye(paired.mesh, to: Pairing.connector)
            return Summary(distinct: ids.set.count, peerDistinct: outcome.peerSetSize, stats: outcome.stats, seconds: seconds)
        }
        let input = try Simulation.readCSV(r.file, party: "local", columns: r.columns, identifiers: true)
        guard let target = r.connect else { throw NodeError(.invalidConfig, "give --connect HOST:PORT") }
        let paired = try await Pairing.connect(target, peerKey: r.peerKey, advertise: r.advertise, timeout: r.timeout, say: say)
        defer { paired.mesh.close() }
        guard let s = try? JSONDecoder().decode(Settings.self, from: Data(paired.settings.utf8)),
            let reveal = PSIOutputMode(rawValue: s.reveal), let path = PSI.Path(rawValue: s.path),
            case .success(let normalisation) = IdentifierNormalisation.parse(s.normalise), (1...1000).contains(s.queries)
        else { throw NodeError(.invalidConfig, "the listener's settings are malformed; is it the same version of tacit?") }
        let ids = try identifiers(input, r.columns, normalisation)
        say("the listener asks for \(reveal == .size ? "the size of the intersection only" : "the intersection") (\(path.rawValue) path), identifiers normalised \(normalisation)")
        say("\(ids.set.count) distinct identifiers from \(input.rowCount) rows (\(ids.duplicateRows) duplicate, \(ids.blankRows) blank)")
        let outcome: PSIOutcome, seconds: Double
        var querySeconds: [Double] = []
        if s.prepared {
            say("the listener's list is prepared for repeated queries: the first downloads its tags (\(s.queries) quer\(s.queries == 1 ? "y" : "ies"))")
            let link = try PairLink(channel: paired.mesh.session(SessionID(1)), tag: 1, timeout: r.timeout)
            var cache: ECDHPSI.ReceiverCache?
            var last: PSIOutcome?
            for q in 1...s.queries {
                let start = ContinuousClock.now
                let result = try await nodeErrors { try await ECDHPSI.query(ids.set, mode: reveal, link: link, cache: cache, progress: progress) }
                querySeconds.append(Self.seconds(since: start))
                cache = result.cache
                last = result.outcome
                say("query \(q): \(String(format: "%.3f", querySeconds.last ?? 0)) s\(result.downloaded ? ", the list's \(result.cache.count) tags downloaded and cached" : ", from the cache")\(result.usedPrecomputedBlinders ? ", blinded with precomputed blinders" : "")")
                if q < s.queries, reveal == .intersection {
                    // Between queries, off the clock of the next: the blinders that let it add
                    // a random point to each applicant instead of multiplying (single use each).
                    let t = ContinuousClock.now
                    result.cache.precomputeBlinders(ids.set.count)
                    say("  precomputed \(ids.set.count) blinders for the next query in \(String(format: "%.3f", Self.seconds(since: t))) s")
                }
            }
            guard let last else { throw NodeError(.invalidConfig, "no query ran") }
            (outcome, seconds) = (last, querySeconds.reduce(0, +))
        } else {
            (outcome, seconds) = try await runOne(ids.set, role: .receiver, reveal: reveal, path: path, paired: paired, peer: Pairing.listener, timeout: r.timeout, progress: progress)
        }
        var summary = Summary(distinct: ids.set.count, peerDistinct: outcome.peerSetSize, stats: outcome.stats, seconds: seconds)
        summary.querySeconds = querySeconds
        if let matches = outcome.matches {
            guard matches.allSatisfy({ (0..<ids.set.count).contains($0) }) else { throw NodeError(.invalidConfig, "the PSI gave matches outside this side's set") }
            let rows = matches.flatMap { ids.rows(of: $0) }.sorted()
            summary.matchedRows = rows.count
            summary.matchedDistinct = matches.count
            say("\(rows.count) of \(input.rowCount) rows (\(matches.count) distinct identifiers) are on the listener's list of \(outcome.peerSetSize) (\(String(format: "%.2f", seconds)) s)")
            if let out = r.out { try writeRows(rows, input: input, columns: r.columns, to: out, say: say) }
        } else if let n = outcome.size {
            summary.matchedDistinct = n
            say("\(n) of your \(ids.set.count) distinct identifiers are on the listener's list of \(outcome.peerSetSize); which ones is not revealed (\(String(format: "%.2f", seconds)) s)")
        }
        await Pairing.goodbye(paired.mesh, to: Pairing.listener)
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
        let outcome = try await nodeErrors {
            try await PSI.runPair(set, role: role, reveal: reveal, path: path, link: link, session: session, progress: progress)
        }
        return (outcome, seconds(since: start))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// A protocol's error as the CLI reports it, naming the peer that caused it.
    static func nodeErrors<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as JobError {
            throw NodeError(.invalidConfig, e.message + (e.peer.map { " (\($0))" } ?? ""))
        }
    }

    /// Loads the prepared list at `path`, or prepares `r.file`'s identifiers and writes it
    /// there. The file holds the list's secret key: it must be private to this user.
    static func prepare(
        _ path: String, from r: Request, normalisation: IdentifierNormalisation, say: (String) -> Void
    ) throws -> (set: ECDHPSI.PreparedSet, seconds: Double) {
        let start = ContinuousClock.now
        if FileManager.default.fileExists(atPath: path) {
            do { try SecretFile.requirePrivate(atPath: path) } catch { throw NodeError(.keys, "--prepared: \(error)") }
            guard let data = FileManager.default.contents(atPath: path) else { throw NodeError(.keys, "--prepared: cannot read \(path)") }
            let set = try nodeErrorsSync { try ECDHPSI.PreparedSet(serialized: Array(data)) }
            say("loaded the prepared list of \(set.count) identifiers (version \(set.version)) from \(path); \(r.file) is not read")
            return (set, seconds(since: start))
        }
        let input = try Simulation.readCSV(r.file, party: "local", columns: r.columns, identifiers: true)
        let ids = try identifiers(input, r.columns, normalisation)
        let set = try nodeErrorsSync { try ECDHPSI.PreparedSet(ids.set) }
        do { try SecretFile.create(atPath: path, contents: set.serialized()) } catch { throw NodeError(.keys, "--prepared: \(error)") }
        let took = seconds(since: start)
        say("prepared \(set.count) distinct identifiers from \(input.rowCount) rows in \(String(format: "%.2f", took)) s, kept in \(path) (mode 0600: it holds the list's key)")
        return (set, took)
    }

    static func nodeErrorsSync<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as JobError { throw NodeError(.invalidConfig, e.message) }
    }

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
