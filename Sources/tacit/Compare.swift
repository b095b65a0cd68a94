import ArgumentParser
import Foundation
import TacitNode

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Yao's millionaires' problem between two terminals: both learn how their numbers compare, nothing else.",
        discussion: """
            No consortium or ledger: a try-out of the millionaires job's protocol (two parties,
            semi-honest; see Protocols/Jobs/Millionaires/README.md). The listener chooses the
            question and prints its key; the connector passes that key, so it talks to that
            listener only. Each side prints the other's key to compare. Example:
              terminal 1: tacit compare --listen 127.0.0.1:5555 --value 1200 --predicate lt
              terminal 2: tacit compare --connect 127.0.0.1:5555 --peer-key='KEY' --value 950
            """)

    @Option(help: "HOST:PORT to listen on (this side asks the question); port 0 picks a free one and prints it.") var listen: String?
    @Option(help: "HOST:PORT of the listener.") var connect: String?
    @Option(name: .customLong("peer-key"), help: "The key the listener printed, quoted as it printed it: --peer-key='KEY' (with --connect).") var peerKey: String?
    @Option(help: "This side's number (never printed or sent; a negative one as --value=-5).") var value: String
    @Option(help: "lt, le, eq, ne, ge or gt: is the listener's number <predicate> the connector's (listener only; default lt).")
    var predicate: String = "lt"
    @Option(help: "ot (oblivious transfer, default) or he (DGK homomorphic encryption) (listener only).") var path: String = "ot"
    @Flag(help: "Numbers are 0 to 2^bits − 1 instead of signed (listener only).") var unsigned = false
    @Option(help: "Width of the numbers, 1...64 (listener only).") var bits: Int = 64
    @Option(help: "Fixed-point digits the numbers are scaled to, 0...18 (listener only).") var fractionDigits: Int = 0
    @Option(help: "tcp://HOST:PORT where the listener reaches this side (with --connect; default a free port on 127.0.0.1).")
    var advertise: String?
    @Option(help: "Seconds to wait for the other side.") var timeout: Int = 600

    func run() async throws {
        var r = PairedComparison.Request(value: value)
        r.listen = listen
        r.connect = connect
        r.peerKey = peerKey
        r.predicate = predicate
        r.path = path
        r.signed = !unsigned
        r.bits = bits
        r.fractionDigits = fractionDigits
        r.advertise = advertise
        r.timeout = .seconds(max(1, timeout))
        do {
            // Unbuffered: a script (or a test) waits on the key line before it starts the other side.
            _ = try await PairedComparison.run(r) { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        } catch let e as NodeError {
            throw ValidationError(e.description)
        } catch {
            FileHandle.standardError.write(Data("tacit compare: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
