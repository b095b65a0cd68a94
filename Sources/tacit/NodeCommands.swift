import ArgumentParser
import Foundation
import Logging
import TacitNode

/// Where the local node's control socket is: given directly, or found through the node's
/// configuration file.
struct ControlOptions: ParsableArguments {
    @Option(help: "The node's configuration file (finds its control socket). Default: $TACIT_NODE_CONFIG, else ./node.yaml.")
    var config: String?

    @Option(help: "The node's control socket, instead of --config.")
    var socket: String?

    @Flag(help: "Print the node's JSON response instead of text.")
    var json = false

    func socketPath() throws -> String {
        if let socket { return socket }
        let path = config ?? ProcessInfo.processInfo.environment["TACIT_NODE_CONFIG"] ?? "node.yaml"
        do { return try NodeConfig.load(path: path).controlSocketPath } catch let e as NodeError {
            throw ValidationError(e.description)
        }
    }

    /// Sends one request; throws the node's error as the command's error.
    func send(_ request: ControlRequest) throws -> ControlResponse {
        let client: ControlClient
        do { client = try ControlClient(path: try socketPath()) } catch let e as NodeError { throw NodeCommandFailure(message: e.message) }
        let response = try client.send(request)
        if json {
            print(String(decoding: try JSONEncoder.pretty.encode(response), as: UTF8.self))
        }
        guard response.ok else { throw NodeCommandFailure(message: response.error ?? "the node refused the request") }
        return response
    }
}

struct NodeCommandFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }
}

extension Tacit {
    struct Node: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a party node, or ask the local one how it is.",
            subcommands: [Run.self, Status.self, Config.self],
            defaultSubcommand: Run.self)

        struct Run: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "run",
                abstract: "Run a party node until SIGTERM or SIGINT (`tacit node --config FILE`).",
                discussion: """
                    The node joins the consortium's mesh, keeps a replica of the ledger in its data \
                    directory, reviews and runs jobs as the ledger authorises them, and listens for \
                    `tacit job ...` on a Unix socket in its data directory (mode 0600). On SIGTERM \
                    or SIGINT it fails in-flight runs on the ledger, closes the mesh and exits 0.
                    """)

            @Option(help: "The node's configuration file (YAML).")
            var config: String

            func run() async throws {
                let cfg: NodeConfig
                do { cfg = try NodeConfig.load(path: config) } catch let e as NodeError { throw ValidationError(e.description) }
                let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["TACIT_LOG_LEVEL"] ?? cfg.logLevel) ?? .info
                LoggingSystem.bootstrap { label in
                    var h = StreamLogHandler.standardError(label: label)
                    h.logLevel = level
                    return h
                }
                var logger = Logger(label: "tacit.node")
                logger[metadataKey: "party"] = "\(cfg.name)"

                // Signals are turned into a task-level event, handled after start-up.
                signal(SIGTERM, SIG_IGN)
                signal(SIGINT, SIG_IGN)
                signal(SIGPIPE, SIG_IGN)
                let (stops, stop) = AsyncStream<Int32>.makeStream()
                var sources: [any DispatchSourceSignal] = []
                for sig in [SIGTERM, SIGINT] {
                    let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                    s.setEventHandler { stop.yield(sig) }
                    s.resume()
                    sources.append(s)
                }

                let node: PartyNode
                do { node = try await PartyNode.start(config: cfg, logger: logger) } catch let e as NodeError {
                    throw ValidationError(e.description)
                }
                print("tacit node \(cfg.name): ready; control socket \(cfg.controlSocketPath)")
                fflush(nil)
                for await sig in stops {
                    logger.notice("received \(sig == SIGTERM ? "SIGTERM" : "SIGINT"); shutting down")
                    break
                }
                await node.shutdown()
                _ = sources
            }
        }

        struct Config: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a member's node.yaml template: required fields filled in, optional ones commented.",
                discussion: "Checks the name is a member of the genesis and the key files exist. Paths are relative to --out's directory.")
            @Option(help: "The member's name, as in the genesis.") var name: String
            @Option(help: "The genesis file.") var genesis: String = "genesis.bin"
            @Option(help: "The consortium CA certificate.") var ca: String?
            @Option(help: "The directory with NAME.key and NAME.signing.key.") var keys: String = "keys"
            @Option(help: "This member's Paillier key share, if it holds one.") var paillierShare: String?
            @Option(help: "Local bind address, if not the genesis endpoint (tcp://0.0.0.0:PORT).") var bind: String?
            @Option(help: "The node's data directory.") var data: String = "data"
            @Option(help: "Where to write the file (never replaced).") var out: String = "node.yaml"

            func run() throws {
                do {
                    try NodeConfigTemplate.write(
                        to: out, name: name, genesis: genesis, ca: ca, keysDirectory: keys, paillierShare: paillierShare, bind: bind,
                        dataDirectory: data)
                    print("wrote \(out); add the datasets this member may contribute, then: tacit node --config \(out)")
                } catch let e as NodeError { throw NodeCommandFailure(message: e.message) }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show the local node's state.")
            @OptionGroup var control: ControlOptions

            func run() throws {
                let r = try control.send(ControlRequest(op: "node-status"))
                guard !control.json, let n = r.node else { return }
                print("party:     \(n.party) (bound \(n.endpoint), up \(n.uptimeSeconds) s)")
                print("members:   \(n.members.joined(separator: ", "))")
                print("protocols: \(n.protocols.joined(separator: ", "))")
                print("datasets:  \(n.datasets.joined(separator: "; ").isEmpty ? "none" : n.datasets.joined(separator: "; "))")
                print("ledger:    \(n.ledgerEntries) entries")
                print("jobs:      \(n.jobsByPhase.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ").isEmpty ? "none" : n.jobsByPhase.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))")
                if !n.runningJobs.isEmpty { print("running:   \(n.runningJobs.joined(separator: ", "))") }
                print("mesh:      \(n.messagesSent) messages sent, \(n.messagesReceived) received")
                print("paillier:  key \(n.paillierKey ?? "none registered on the ledger")")
                print("           this node: \(n.paillierShare.map { "\($0); \(n.paillierShareProblem.map { "NOT USABLE: \($0)" } ?? "matches the ledger's key")" } ?? "no share loaded")")
            }
        }
    }
}
