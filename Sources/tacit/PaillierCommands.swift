import ArgumentParser
import Foundation
import TacitNode

extension Tacit {
    struct PaillierCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "paillier",
            abstract: "The consortium's threshold Paillier key.",
            subcommands: [Keygen.self])

        struct Keygen: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make the consortium's threshold Paillier key with the other holders, without a dealer.",
                discussion: """
                    Run at every holder's node with the same options, within 9 minutes of each other. The nodes meet \
                    over the mesh, check they run the same parameters, make the key together (no party learns its \
                    factors), co-sign its registration on the ledger and each writes its own share (mode 0600). The \
                    share is used at once; add `paillierShare: PATH` under `keys:` in node.yaml so a restart loads it. \
                    --dealer makes the first holder a trusted dealer who sees the whole key: for tests only.
                    """)
            @OptionGroup var control: ControlOptions
            @Option(help: "Shares needed to decrypt (default: a majority of the holders).") var threshold: Int?
            @Option(help: "Bits of the modulus.") var bits: Int = 2048
            @Option(help: "Comma-separated members who get a share (default: every member).") var holders: String?
            @Option(help: "Retry number after a failed ceremony: every holder gives the same.") var attempt: Int = 1
            @Option(help: "Where this node writes its share (default: keys.paillierShare, else beside the transport key).") var out: String?
            @Flag(help: "TESTS ONLY: the first holder deals the key and sees it whole.") var dealer = false
            @Flag(help: "Show the ceremony's state on this node and exit.") var status = false

            func run() throws {
                var quiet = control
                quiet.json = false
                if !status {
                    let request = PaillierKeygenRequest(
                        threshold: threshold, bits: bits,
                        holders: holders.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } },
                        attempt: attempt, dealer: dealer, out: out)
                    if dealer { FileHandle.standardError.write(Data("WARNING: --dealer: the first holder sees the whole key; for tests only\n".utf8)) }
                    _ = try quiet.send(ControlRequest(op: "paillier-keygen", keygen: request))
                }
                let tty = isatty(STDOUT_FILENO) != 0
                var last = ""
                while true {
                    guard let s = try quiet.send(ControlRequest(op: "paillier-keygen-status")).keygen else { return }
                    let line = Self.render(s)
                    if line != last {
                        if tty { print("\r\u{1B}[2K" + line, terminator: "") } else { print(line) }
                        fflush(nil)
                        last = line
                    }
                    switch s.state {
                    case .done:
                        if tty { print("") }
                        print("key fingerprint \(s.fingerprint ?? "?"); this node's share: \(s.sharePath ?? "?")")
                        print("add under keys: in node.yaml so a restart loads it:  paillierShare: \(s.sharePath ?? "PATH")")
                        return
                    case .failed:
                        if tty { print("") }
                        throw NodeCommandFailure(message: "key generation failed: \(s.error ?? "unknown reason")")
                    case .idle:
                        if status { print("no key generation has run on this node since it started") }
                        return
                    case .running:
                        if status { if tty { print("") }; return }
                    }
                    usleep(250_000)
                }
            }

            static func render(_ s: PaillierKeygenStatus) -> String {
                let step = s.step ?? s.state.rawValue
                guard let f = s.fraction else { return "keygen: \(step)" }
                let width = 30
                let filled = max(0, min(width, Int(f * Double(width))))
                return "keygen: [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(Int(f * 100))% \(step)"
            }
        }
    }
}
