import ArgumentParser
import Foundation
import Logging
import TacitLedger
import TacitNet

extension Tacit {
    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The permissioned audit ledger: verify, show and export a replica; run a member node.",
            subcommands: [
                Verify.self, Show.self, Export.self, LedgerKeys.self, Member.self, GenesisCreate.self, SignGenesis.self, Testnet.self, Serve.self,
                Bounds.self,
            ]
        )

        struct DB: ParsableArguments {
            @Option(help: "Path of the replica's SQLite database.") var db: String
            func open() throws -> LedgerStore {
                guard FileManager.default.fileExists(atPath: db) else { throw ValidationError("no database at \(db)") }
                do { return try LedgerStore(path: db, readOnly: true) } catch let e as LedgerError { throw ValidationError(e.description) }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Re-check the hash chain, every signature, certificate and quorum, and the job invariants.",
                discussion: "Exits 0 if the whole replica verifies; otherwise names the first bad block and why, and exits 1.")
            @OptionGroup var db: DB
            func run() throws {
                let store = try db.open()
                let r = LedgerVerifier.verify(store: store)
                if let f = r.failure {
                    print("FAIL block \(f.height.map(String.init) ?? "?"): \(f.code): \(f.reason)")
                    print("verified blocks 1...\(r.verifiedHeight) before it")
                    throw ExitCode(1)
                }
                print("OK chain \(r.chainID?.hex ?? "-"): \(r.verifiedHeight) blocks, \(r.transactions) transactions verified")
                if let s = r.state {
                    print("members: \(s.membership.names.joined(separator: ", ")) (quorum \(s.membership.quorum))")
                    let jobs = s.jobs.values.sorted { $0.header.jobID < $1.header.jobID }
                    for j in jobs.prefix(50) { print("job \(j.header.jobID) (\(j.header.protocolName)): \(j.status)") }
                    if jobs.count > 50 { print("... \(jobs.count - 50) more jobs") }
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print blocks and their transactions.")
            @OptionGroup var db: DB
            @Option(help: "Only this height.") var height: UInt64?
            func run() throws {
                let store = try db.open()
                guard let g = try store.genesis() else { throw ValidationError("no genesis in \(db.db)") }
                print("chain \(g.chainName) \(g.hash.hex)")
                print("genesis: members \(g.members.map(\.name).joined(separator: ", ")), signed by \(g.signatures.map(\.member).joined(separator: ", "))")
                let top = try store.lastHeight()
                for h in (height.map { [$0] } ?? Array(1...max(top, 1))) where h >= 1 && h <= top {
                    guard let (b, c) = try store.block(at: h) else { continue }
                    print("block \(h) \(b.hash.hex) prev \(b.header.previousHash.short) txs \(b.transactions.count) proposer \(b.header.proposer) round \(c.round) signed by \(c.signatures.map(\.member).joined(separator: ","))")
                    for bytes in b.transactions {
                        if let tx = try? Transaction(decoding: bytes) {
                            print("  \(tx.id.short) \(tx.body.kindName) by \(tx.author) nonce \(tx.nonce)\(tx.body.jobID.map { " job \($0)" } ?? "")")
                        } else {
                            print("  <undecodable transaction>")
                        }
                    }
                }
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the replica as JSON: canonical bytes in hex plus a decoded summary (Docs/LEDGER.md).")
            @OptionGroup var db: DB
            @Option(help: "Output file; standard output if omitted.") var out: String?
            func run() throws {
                let store = try db.open()
                let data: Data
                do { data = try LedgerExport.json(store: store) } catch let e as LedgerError { throw ValidationError(e.description) }
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: data) else { throw ValidationError("cannot write \(out)") }
                } else {
                    FileHandle.standardOutput.write(data)
                    print()
                }
            }
        }

        struct Testnet: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a whole local consortium in one directory: CA, member keys and certificates, signed genesis.")
            @Option(help: "Output directory.") var dir: String
            @Option(help: "Comma-separated member names.") var members: String
            @Option(help: "Comma-separated endpoints (tcp://host:port), one per member.") var endpoints: String
            func run() throws {
                let names = members.split(separator: ",").map(String.init)
                let eps = endpoints.split(separator: ",").map(String.init)
                guard names.count == eps.count, !names.isEmpty else { throw ValidationError("give one endpoint per member") }
                do {
                    let g = try LedgerFiles.createTestnet(dir: dir, members: Array(zip(names, eps)).map { ($0.0, $0.1) })
                    print("genesis \(g.hash.hex) for \(names.joined(separator: ", ")) in \(dir)")
                } catch let e as LedgerError { throw ValidationError(e.description) }
            }
        }

        struct Serve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Run a member's ledger node, driven line by line on standard input (tests, benchmarks).",
                shouldDisplay: false)
            @Option var dir: String
            @Option var name: String
            @Option var db: String
            @Option var timeoutScaleMs: Int = 400

            func run() async throws {
                LoggingSystem.bootstrap { label in
                    var h = StreamLogHandler.standardError(label: label)
                    h.logLevel = ProcessInfo.processInfo.environment["TACIT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
                    return h
                }
                let node: LedgerNode
                let mesh: ZeroMQMesh
                do {
                    let identity = try LedgerFiles.signingKey(dir: dir, name: name)
                    let genesis = try LedgerFiles.genesis(dir: dir)
                    let replica = try Replica(store: try LedgerStore(path: db), genesis: genesis)
                    let consortium = try LedgerFiles.consortium(replica.state.membership)
                    var config = MeshConfiguration(
                        name: PartyID(name), keyPair: CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(dir)/\(name).key")),
                        consortium: consortium)
                    config.reconnectIntervalMax = .milliseconds(500)
                    config.linger = .milliseconds(200)
                    config.sendQueueLimit = 1 << 16
                    config.heartbeatInterval = .milliseconds(500)
                    config.heartbeatTimeout = .seconds(2)
                    mesh = try ZeroMQMesh(configuration: config)
                    var t = ConsensusTimeouts()
                    t.propose = .milliseconds(timeoutScaleMs)
                    t.prevote = .milliseconds(timeoutScaleMs / 2)
                    t.precommit = .milliseconds(timeoutScaleMs / 2)
                    t.delta = .milliseconds(timeoutScaleMs / 2)
                    t.tick = .milliseconds(max(50, timeoutScaleMs / 2))
                    node = try LedgerNode(identity: identity, replica: replica, channel: mesh, timeouts: t)
                } catch {
                    FileHandle.standardError.write(Data("tacit ledger serve: \(error)\n".utf8))
                    throw ExitCode(2)
                }
                await node.start()
                say("READY \(await node.height)")
                for await line in stdinLines() {
                    let f = line.split(separator: " ")
                    guard let cmd = f.first else { continue }
                    do {
                        switch cmd {
                        case "height":
                            say("OK height \(await node.height) \(await node.lastHash.hex)")
                        case "propose" where f.count == 2:
                            let tx = await node.author(.jobProposed(JobHeader(jobID: String(f[1]), protocolName: "demo", parties: [.init(name: name, role: "input", inputFields: ["x"])]), spec: []))
                            let h = try await node.submitAndWait(tx)
                            say("OK committed \(h)")
                        case "load" where f.count == 2:
                            let n = Int(f[1]) ?? 0
                            let tag = UUID().uuidString.prefix(8)
                            var txs: [Transaction] = []
                            for i in 0..<n { txs.append(await node.author(benchBody("\(name)-\(tag)-\(i)"))) }
                            let clock = ContinuousClock()
                            let t0 = clock.now
                            for chunk in stride(from: 0, to: n, by: 256) { try await node.submit(Array(txs[chunk..<min(n, chunk + 256)])) }
                            for tx in txs { _ = try await node.waitCommitted(tx.id, timeout: .seconds(120)) }
                            let ms = (clock.now - t0) / .milliseconds(1)
                            say("OK load \(n) \(String(format: "%.1f", ms))")
                        case "latency" where f.count == 2:
                            let n = Int(f[1]) ?? 0
                            var samples: [Double] = []
                            let clock = ContinuousClock()
                            for i in 0..<n {
                                let tx = await node.author(benchBody("\(name)-lat-\(UUID().uuidString.prefix(8))-\(i)"))
                                let t0 = clock.now
                                _ = try await node.submitAndWait(tx)
                                samples.append((clock.now - t0) / .milliseconds(1))
                            }
                            samples.sort()
                            let p50 = samples.isEmpty ? 0 : samples[samples.count / 2]
                            let p99 = samples.isEmpty ? 0 : samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
                            say("OK latency \(String(format: "%.2f", p50)) \(String(format: "%.2f", p99))")
                        case "stats":
                            say("STATS \(mesh.stats)")
                        case "quit":
                            await node.stop()
                            mesh.close()
                            say("BYE")
                            return
                        default:
                            say("ERR usage unknown command")
                        }
                    } catch let e as LedgerError {
                        say("ERR \(e.code) \(e.reason)")
                    } catch {
                        say("ERR other \(error)")
                    }
                }
                await node.stop()
                mesh.close()
            }

            func benchBody(_ id: String) -> TransactionBody {
                .jobProposed(JobHeader(jobID: id, protocolName: "bench", parties: [.init(name: name, role: "input", inputFields: ["x"])]), spec: [])
            }
        }
    }
}

extension Tacit.Ledger {
    /// The machine's bounds for the benchmark: Ed25519 verifications per second (one core and
    /// all cores) and durable SQLite commits per second in `--dir`.
    struct Bounds: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Measure signature and durable-commit rates.", shouldDisplay: false)
        @Option var dir: String
        func run() throws {
            let r = try LedgerBounds.measure(dir: dir)
            say("BOUNDS verify_1core=\(Int(r.verifyOneCore)) verify_all=\(Int(r.verifyAllCores)) sqlite_commits=\(Int(r.durableCommits))")
        }
    }
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Lines of standard input, read on a dedicated thread so no cooperative thread blocks.
func stdinLines() -> AsyncStream<String> {
    let (stream, cont) = AsyncStream<String>.makeStream()
    Thread.detachNewThread {
        while let l = readLine() { cont.yield(l) }
        cont.finish()
    }
    return stream
}
