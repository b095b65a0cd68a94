import ArgumentParser
import Foundation
import TacitNode

extension Tacit {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a job's trail: open input commitments, show and verify the ledger entries.",
            subcommands: [JobCheck.self, Export.self, Trail.self])

        /// Where the ledger comes from: a replica file (offline, an auditor's copy) or the
        /// local node.
        struct LedgerSource: ParsableArguments {
            @Option(help: "A ledger replica (a node's data/ledger.sqlite, or a copy) to read offline, instead of asking a node.")
            var ledger: String?
            @OptionGroup var control: ControlOptions

            func load(job: String?) throws -> ([LedgerEntry], LedgerVerification) {
                if let ledger {
                    do {
                        let (all, v) = try ConsortiumLedger.readOffline(databasePath: ledger)
                        return (job.map { j in all.filter { $0.transaction.jobID == j } } ?? all, v)
                    } catch let e as NodeError { throw ValidationError(e.description) }
                }
                let q = ControlOptions.quiet(control)
                let entries = try q.send(ControlRequest(op: "ledger", job: job)).entries ?? []
                let v = try q.send(ControlRequest(op: "verify")).verification!
                return (entries, v)
            }
        }

        struct JobCheck: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "job",
                abstract: "Open a party's input commitment: recompute it from the data and salt given to you and compare with the ledger.")
            @Argument(help: "The job id.") var id: String
            @Option(help: "The party whose input to check.") var party: String?
            @Option(help: "The CSV file the party gave you.") var data: String?
            @Option(help: "The salt the party gave you (64 hex digits).") var salt: String?
            @Option(name: .customLong("column"), help: "A committed column's type as the party declares it: NAME:decimal:DIGITS or NAME:integer (repeat per column).")
            var columns: [String] = []
            @Option(help: "An opening bundle from `tacit audit export`, instead of --party/--data/--salt.") var opening: String?
            @OptionGroup var source: LedgerSource

            func run() throws {
                let (entries, _) = try source.load(job: id)
                let finding: TacitNode.Audit.Finding
                do {
                    if let opening {
                        guard let d = FileManager.default.contents(atPath: opening) else { throw ValidationError("cannot read \(opening)") }
                        finding = try TacitNode.Audit.check(opening: try JSONDecoder().decode(CommitmentOpening.self, from: d), entries: entries)
                    } else {
                        guard let party, let data, let salt else { throw ValidationError("give --opening FILE, or --party, --data and --salt") }
                        guard let d = FileManager.default.contents(atPath: data) else { throw ValidationError("cannot read \(data)") }
                        finding = try TacitNode.Audit.check(jobID: id, partyName: party, csv: String(decoding: d, as: UTF8.self),
                                                            csvName: data, salt: salt,
                                                            columnSpecs: columns, entries: entries)
                    }
                } catch let e as NodeError { throw ValidationError(e.description) }
                print("commitment on the ledger: \(finding.commitment)")
                print("recomputed from the data: \(finding.recomputed) (\(finding.rows) rows, columns \(finding.columns.joined(separator: ", ")))")
                guard finding.matches else {
                    throw NodeCommandFailure(message: "MISMATCH: this data and salt are not what was committed to job \(id)")
                }
                print("MATCH: this is exactly the input committed to job \(id)")
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write this node's opening (its exact input and salt) for a job, to hand to an auditor.")
            @Argument(help: "The job id.") var id: String
            @Option(help: "Output file (written with mode 0600).") var out: String
            @OptionGroup var control: ControlOptions

            func run() throws {
                guard let o = try ControlOptions.quiet(control).send(ControlRequest(op: "opening", job: id)).opening else { return }
                try o.writeForAuditor(toNewFile: out)
                print("wrote \(out): the input and salt behind commitment \(o.commitment); it holds your data, hand it only to the auditor")
            }
        }

        struct Trail: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the ledger entries (of one job, or all) and verify the replica.")
            @Argument(help: "A job id (default: every job).") var id: String?
            @OptionGroup var source: LedgerSource

            func run() throws {
                let (entries, v) = try source.load(job: id)
                let f = DateFormatter()
                f.dateFormat = "yyyy-MM-dd HH:mm:ss"
                for e in entries {
                    print("#\(e.index) \(f.string(from: e.time)) \(e.transaction.kind.padding(toLength: 15, withPad: " ", startingAt: 0)) by \(e.authorName.padding(toLength: 12, withPad: " ", startingAt: 0)) job \(e.transaction.jobID): \(e.transaction.summary)")
                    for s in e.sealed { print("    sealed field \(s.name) for \(s.readers.map(\.name).joined(separator: ", "))") }
                }
                print("verified \(v.entries) ledger entries:")
                for c in v.checks { print("  ✓ \(c)") }
                if v.ok { print("ledger OK") } else {
                    for p in v.problems { print("  ✗ \(p)") }
                    throw NodeCommandFailure(message: "the ledger has \(v.problems.count) problem(s)")
                }
            }
        }
    }
}
