import ArgumentParser
import Foundation
import TacitNode

struct PSICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psi",
        abstract: "Private set intersection between two terminals: the connector learns which of its rows are on the listener's list.",
        discussion: """
            No consortium or ledger: a try-out of the psi job's protocol (two parties,
            semi-honest; see Protocols/Jobs/PSI/README.md). The listener holds the list (a
            blacklist) and chooses what is revealed, the path and the normalisation; it learns
            only how many distinct identifiers the connector sent. Example:
              terminal 1: tacit psi --listen 127.0.0.1:5555 --file blacklist.csv --column national_id
              terminal 2: tacit psi --connect 127.0.0.1:5555 --peer-key='KEY' --file applicants.csv --column national_id --out matches.csv
            """)

    @Option(help: "HOST:PORT to listen on (this side holds the list); port 0 picks a free one and prints it.") var listen: String?
    @Option(help: "HOST:PORT of the listener.") var connect: String?
    @Option(name: .customLong("peer-key"), help: "The key the listener printed, quoted as it printed it: --peer-key='KEY' (with --connect).") var peerKey: String?
    @Option(help: "CSV file with a header row.") var file: String
    @Option(help: "Identifier column; repeat it for an identifier made of several columns (default: every column).") var column: [String] = []
    @Option(help: "intersection (default) or size: what the connector learns (listener only).") var reveal: String = "intersection"
    @Option(help: "ot (oblivious transfer; default for intersection) or ecdh (ristretto255; default for size) (listener only).") var path: String?
    @Option(help: "none, or steps from trim,nfkc,casefold,separators (listener only; default trim,nfkc,casefold).")
    var normalise: String = "trim,nfkc,casefold"
    @Option(help: "CSV file the connector writes its matched rows to (it must not exist).") var out: String?
    @Option(help: "Unbalanced mode (listener, ecdh path): a list prepared once, reused across queries; made from --file if missing (0600: it holds a key).")
    var prepared: String?
    @Option(help: "Listener: queries in a row against its prepared list (the first downloads the tags, later ones use the connector's cache; the connector follows).") var queries: Int = 1
    @Option(help: "tcp://HOST:PORT where the listener reaches this side (with --connect; default a free port on 127.0.0.1).")
    var advertise: String?
    @Option(help: "Seconds to wait for the other side.") var timeout: Int = 600
    @Flag(help: "End with one line of figures (seconds, bytes, peak memory) for scripts.") var stats = false

    func run() async throws {
        var r = PairedPSI.Request(file: file, columns: column)
        r.listen = listen
        r.connect = connect
        r.peerKey = peerKey
        r.advertise = advertise
        r.reveal = reveal
        r.path = path
        r.normalise = normalise
        r.out = out
        r.prepared = prepared
        r.queries = queries
        r.timeout = .seconds(max(1, timeout))
        let bar = ProgressLine()
        do {
            let summary = try await PairedPSI.run(r, say: { line in
                bar.clear()
                // Unbuffered: a script (or a test) waits on the key line before it starts the other side.
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }, progress: { step, fraction in bar.show(step, fraction) })
            bar.clear()
            if stats { print(summary.statsLine()) }
        } catch let e as NodeError {
            bar.clear()
            throw ValidationError(e.description)
        } catch {
            bar.clear()
            FileHandle.standardError.write(Data("tacit psi: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
