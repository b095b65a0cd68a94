import ArgumentParser
import Foundation
import Logging
import TacitConsole
import TacitNode

extension Tacit {
    struct Console: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the web console for this node's operators and auditors.",
            discussion: """
                Runs beside the node (`tacit node --config FILE`): jobs, a job's inputs, approvals, commitments, live \
                progress, result and ledger entries; approve or reject for this node's organisation; the ledger's \
                members, blocks, verification and export; opening an input commitment for an audit. Pages show only \
                what this node's ledger replica and local state hold, and approvals go through the node's control \
                socket as the same ledger transactions as `tacit job approve`.
                It listens on loopback unless --listen says otherwise. A login token is printed once at start and \
                stored nowhere; sessions end after --idle-minutes without a request and after 8 hours. Every form \
                carries a per-session CSRF token. With --tls-cert and --tls-key it serves HTTPS.
                """)

        @Option(help: "The node's configuration file (YAML).") var config: String
        @Option(help: "Address and port to listen on; port 0 picks a free one.") var listen: String = "127.0.0.1:8080"
        @Option(help: "TLS certificate chain (PEM).") var tlsCert: String?
        @Option(help: "TLS private key (PEM).") var tlsKey: String?
        @Option(help: "Minutes without a request after which a session ends.") var idleMinutes: Int = 15
        @Option(name: .customLong("allow-host"), help: "Another host name browsers use to reach the console (a reverse proxy's); repeatable.")
        var allowHosts: [String] = []

        func run() async throws {
            var s = ConsoleSettings(configPath: config)
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080")
            }
            s.host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            s.port = port
            s.tlsCertificatePath = tlsCert
            s.tlsKeyPath = tlsKey
            guard (1...24 * 60).contains(idleMinutes) else { throw ValidationError("--idle-minutes must be 1...1440") }
            s.idleTimeout = Double(idleMinutes) * 60
            s.allowedHosts = allowHosts
            let loopback = ["127.0.0.1", "::1", "localhost"].contains(s.host)
            let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["TACIT_LOG_LEVEL"] ?? "info") ?? .info
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
            let logger = Logger(label: "tacit.console")
            if !loopback, tlsCert == nil {
                logger.warning("console: listening on \(s.host) without TLS; the login token and pages cross the network in the clear (give --tls-cert and --tls-key)")
            }
            do {
                try await WebConsole.run(s, logger: logger) { url, token in
                    print("tacit console: serving \(url)")
                    print("login token (shown once, stored nowhere): \(token)")
                    fflush(nil)
                }
            } catch let e as NodeError {
                throw ValidationError(e.description)
            }
        }
    }
}
