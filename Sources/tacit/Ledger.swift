import ArgumentParser
import Foundation
import Logging
import TacitNode

extension Tacit {
    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The permissioned audit ledger: verify, compare, back up, show, export and open replicas; run a member node.",
            subcommands: [
                Verify.self, Backup.self, Show.self, Export.self, Open.self, LedgerKeys.self, Member.self, GenesisCreate.self, Inspect.self, SignGenesis.self, Testnet.self, Serve.self,
                Bounds.self,
            ]
        )

        struct DB: ParsableArguments {
            @Option(help: "Path of the replica's SQLite database.") var db: String
            func open() throws -> LedgerReplica {
                do { return try LedgerReplica(path: db) } catch let e as NodeError { throw ValidationError(e.description) }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Re-check the hash chain, every signature, certificate and quorum, and the job invariants.",
                discussion: """
                    Exits 0 if the whole replica verifies; otherwise names the first bad block and why, and exits 1.
                    A replica alone proves only that it is consistent: pin the consortium (--chain-id or --ca) so a \
                    chain forged under another CA fails, and a height or head seen elsewhere (--expect-height, \
                    --expect-head) so deleted last blocks fail. With --replica A --replica B both are verified and \
                    compared: the common prefix is printed, a fork (different blocks at one height) fails, and the \
                    one behind is named.
                    """)
            @Option(help: "Path of the replica's SQLite database.") var db: String?
            @Option(name: .customLong("replica"), help: "A replica to compare; give it twice (instead of --db).") var replicas: [String] = []
            @Option(help: "The consortium's chain id (hex): any other chain fails.") var chainId: String?
            @Option(help: "The consortium CA certificate (PEM, ca.crt): a genesis naming another CA fails.") var ca: String?
            @Option(help: "The replica must hold at least this many blocks.") var expectHeight: UInt64?
            @Option(help: "The hash (hex) of block --expect-height, or of the top block.") var expectHead: String?

            func run() throws {
                let pins = LedgerReplica.Pins(chainID: chainId, caCertificatePath: ca, height: expectHeight, head: expectHead)
                let paths = (db.map { [$0] } ?? []) + replicas
                guard paths.count == 1 || paths.count == 2 else {
                    throw ValidationError("give --db FILE, or --replica A --replica B to compare two replicas")
                }
                func open(_ p: String) throws -> LedgerReplica {
                    do { return try LedgerReplica(path: p) } catch let e as NodeError { throw ValidationError(e.description) }
                }
                func pinned(_ body: () throws -> Void) throws {
                    do { try body() } catch let e as NodeError { throw ValidationError(e.description) }
                }
                if paths.count == 1 {
                    var r: LedgerReplica.Verification!
                    try pinned { r = try open(paths[0]).verify(pins: pins) }
                    if let f = r.failure {
                        print("FAIL block \(f.height.map(String.init) ?? "?"): \(f.code): \(f.reason)")
                        print("verified blocks 1...\(r.verifiedHeight) before it")
                        throw ExitCode(1)
                    }
                    print("OK chain \(r.chainID ?? "-"): \(r.verifiedHeight) blocks, \(r.transactions) transactions verified")
                    if chainId == nil, ca == nil { print("note: the consortium is not pinned (--chain-id, --ca); a chain under another CA would verify too") }
                    if expectHeight == nil, expectHead == nil { print("note: no height or head pinned (--expect-height, --expect-head); deleted last blocks are not detectable") }
                    if let s = r.state {
                        print("members: \(s.members.joined(separator: ", ")) (quorum \(s.quorum))")
                        let jobs = s.jobs
                        for j in jobs.prefix(50) { print("job \(j.id) (\(j.protocolName)): \(j.status)") }
                        if jobs.count > 50 { print("... \(jobs.count - 50) more jobs") }
                    }
                    return
                }
                var c: LedgerReplica.Comparison!
                try pinned { c = try LedgerReplica.compare(try open(paths[0]), try open(paths[1]), pins: pins) }
                for (label, path, v) in [("A", paths[0], c.a), ("B", paths[1], c.b)] {
                    if let f = v.failure {
                        print("replica \(label) \(path): FAIL block \(f.height.map(String.init) ?? "?"): \(f.code): \(f.reason)")
                    } else {
                        print("replica \(label) \(path): OK chain \(v.chainID ?? "-"): \(v.verifiedHeight) blocks verified")
                    }
                }
                guard c.sameChain else {
                    print("FAIL the replicas are of different chains (\(c.a.chainID ?? "-") and \(c.b.chainID ?? "-"))")
                    throw ExitCode(1)
                }
                print("common prefix: blocks 1...\(c.commonHeight)")
                if let f = c.forkHeight {
                    print("FAIL fork at height \(f): the replicas hold different blocks there (a quorum signed two blocks, or a replica was rewritten)")
                    throw ExitCode(1)
                }
                if let (side, n) = c.behind {
                    let (label, other) = side == "a" ? ("A", "B") : ("B", "A")
                    print("replica \(label) is behind \(other) by \(n) block(s)\(c.a.failure == nil && c.b.failure == nil ? "; it is a prefix of \(other)" : "")")
                }
                guard c.consistent else { throw ExitCode(1) }
                print("OK the replicas agree on blocks 1...\(c.commonHeight)")
            }
        }

        struct Backup: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Copy a replica consistently, even while its node runs (SQLite's online backup), and verify the copy.",
                discussion: "Copying the database file alone can miss the blocks still in its -wal file; use this instead.")
            @OptionGroup var db: DB
            @Option(help: "The new file to write (must not exist).") var out: String
            func run() throws {
                let v: LedgerReplica.Verification
                do { v = try db.open().backup(to: out) } catch let e as NodeError { throw ValidationError(e.description) }
                if let f = v.failure {
                    print("FAIL the copy \(out) does not verify: block \(f.height.map(String.init) ?? "?"): \(f.code): \(f.reason)")
                    throw ExitCode(1)
                }
                print("OK backup \(out): \(v.verifiedHeight) blocks, \(v.transactions) transactions verified")
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print blocks and their transactions.")
            @OptionGroup var db: DB
            @Option(help: "Only this height.") var height: UInt64?
            func run() throws {
                let replica = try db.open()
                guard let g = try replica.genesis() else { throw ValidationError("no genesis in \(db.db)") }
                print("chain \(g.chain) \(g.id)")
                print("genesis: members \(g.founders.map(\.name).joined(separator: ", ")), signed by \(g.signedBy.joined(separator: ", "))")
                let top = try replica.lastHeight()
                for h in (height.map { [$0] } ?? Array(1...max(top, 1))) where h >= 1 && h <= top {
                    guard let b = try replica.block(at: h) else { continue }
                    print("block \(h) \(b.hash) prev \(b.previousHash) txs \(b.transactions.count) proposer \(b.proposer) round \(b.round) signed by \(b.signedBy.joined(separator: ","))")
                    for tx in b.transactions {
                        if let tx {
                            print("  \(tx.id) \(tx.kind) by \(tx.author) nonce \(tx.nonce)\(tx.jobID.map { " job \($0)" } ?? "")")
                        } else {
                            print("  <undecodable transaction>")
                        }
                    }
                }
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the replica as JSON: canonical bytes in hex plus a decoded summary (Docs/TacitLedger.md).")
            @OptionGroup var db: DB
            @Option(help: "Output file; standard output if omitted.") var out: String?
            func run() throws {
                let replica = try db.open()
                let data: Data
                do { data = try replica.exportJSON() } catch let e as NodeError { throw ValidationError(e.description) }
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: data) else { throw ValidationError("cannot write \(out)") }
                } else {
                    FileHandle.standardOutput.write(data)
                    print()
                }
            }
        }

        struct Open: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Read a job output sealed on the ledger, from any replica file, as a member it is sealed to.",
                discussion: """
                    The replica is verified first (as `tacit ledger verify`); then the output's sealed copy is opened with \
                    the member's X25519 key, its job id and output name are checked, and its result digest is recomputed \
                    from its salt and value and compared with the digest every party recorded: a copy that differs is \
                    refused. Prints the value (a table as CSV with a header row, a number as its text), or writes it to \
                    --out (a new file, mode 0600). Works offline, on any member's copy (Docs/TacitLedger.md, "Sealed job outputs").
                    """)
            @Option(help: "Path of the replica's SQLite database (any member's copy).") var db: String
            @Option(help: "The member's X25519 encryption key file (NAME.enc.key).") var key: String
            @Option(help: "The member reading: a recipient of the output or a reader its job spec grants.") var member: String
            @Option(help: "The consortium's chain id (hex): a replica of any other chain is refused.") var chainId: String?
            @Option(help: "The consortium CA certificate (PEM, ca.crt): a genesis naming another CA is refused.") var ca: String?
            @Option(help: "Write the value to this new file (mode 0600) instead of standard output.") var out: String?
            @Argument(help: "The job id.") var job: String
            @Argument(help: "The output's name.") var output: String

            func run() async throws {
                let opened: SealedOutput.Opened
                do {
                    let replica = try LedgerReplica(path: db)
                    opened = try await replica.openSealedOutput(
                        jobID: job, output: output, member: member, keyPath: key, pins: .init(chainID: chainId, caCertificatePath: ca))
                    if let out { try opened.write(to: out) }
                } catch let e as NodeError {
                    throw NodeCommandFailure(message: e.description)
                }
                let check = "digest \(opened.digest) matches the one recorded by \(opened.recordedBy.map(\.name).joined(separator: ", "))"
                if let out {
                    print("wrote output '\(output)' of job \(job) to \(out); \(check)")
                } else {
                    FileHandle.standardOutput.write(Data(opened.printed.utf8))
                    FileHandle.standardError.write(Data("output '\(output)' of job \(job): \(check)\n".utf8))
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
                    let id = try ConsortiumSetup.createTestnet(directory: dir, members: Array(zip(names, eps)).map { ($0.0, $0.1) })
                    print("genesis \(id) for \(names.joined(separator: ", ")) in \(dir)")
                } catch let e as NodeError { throw ValidationError(e.description) }
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
                let session: LedgerServeSession
                do {
                    session = try await LedgerServeSession.start(directory: dir, name: name, databasePath: db, timeoutScaleMs: timeoutScaleMs)
                } catch {
                    FileHandle.standardError.write(Data("tacit ledger serve: \(error)\n".utf8))
                    throw ExitCode(2)
                }
                say("READY \(await session.height)")
                for await line in stdinLines() {
                    let (reply, finished) = await session.handle(line)
                    if let reply { say(reply) }
                    if finished { return }
                }
                await session.stop()
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
            let r = try MachineBounds.measure(directory: dir)
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
