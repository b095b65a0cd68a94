import ArgumentParser
import Foundation
import TacitNode

extension Tacit {
    struct Job: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose, review, approve and follow jobs through the local node.",
            subcommands: [Submit.self, Approve.self, Reject.self, Status.self, Result.self, List.self])

        struct Submit: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Validate a job spec (YAML) and propose it on the ledger.")
            @OptionGroup var control: ControlOptions
            @Argument(help: "The job spec file.") var file: String

            func run() throws {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                let r = try control.send(ControlRequest(op: "submit", spec: String(decoding: data, as: UTF8.self), file: file))
                if !control.json { print("proposed job \(r.job ?? "?"); each approver reviews it with `tacit job status \(r.job ?? "ID")`") }
            }
        }

        struct Approve: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Approve a job for this node's organisation.",
                discussion: """
                    A data owner names the columns it approves (--columns); the approval goes through only if they are \
                    exactly the columns the job uses of this node's data. Without --columns, the command shows what the job \
                    would use and asks for confirmation, or needs --yes (after reviewing `tacit job status ID`).
                    """)
            @OptionGroup var control: ControlOptions
            @Argument(help: "The job id.") var id: String
            @Option(parsing: .upToNextOption, help: "The columns of this node's data you approve (comma- or space-separated).")
            var columns: [String] = []
            @Flag(help: "Approve what the job would use of this node's data without naming the columns or being asked.")
            var yes = false

            func run() throws {
                let cols = columns.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
                if cols.isEmpty, !yes {
                    // An approval is consent to use data: a data owner sees what it consents to.
                    var quiet = control
                    quiet.json = false
                    if let use = try quiet.send(ControlRequest(op: "status", job: id)).status?.localUse {
                        guard isatty(STDIN_FILENO) != 0 else {
                            throw NodeCommandFailure(
                                message: "job \(id) would use \(use) of this node's data: name the columns you approve with --columns, "
                                    + "or pass --yes after reviewing `tacit job status \(id)`")
                        }
                        print("job \(id) would use \(use) of this node's data. Approve? [y/N] ", terminator: "")
                        fflush(nil)
                        guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                            throw NodeCommandFailure(message: "not approved")
                        }
                    }
                }
                _ = try control.send(ControlRequest(op: "approve", job: id, columns: cols.isEmpty ? nil : cols))
                if !control.json { print("approved \(id)") }
            }
        }

        struct Reject: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reject a job, with a reason recorded on the ledger.")
            @OptionGroup var control: ControlOptions
            @Argument(help: "The job id.") var id: String
            @Option(help: "Why (recorded on the ledger).") var reason: String

            func run() throws {
                _ = try control.send(ControlRequest(op: "reject", job: id, reason: reason))
                if !control.json { print("rejected \(id)") }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show what a job uses, who has approved, and where it is.")
            @OptionGroup var control: ControlOptions
            @Argument(help: "The job id.") var id: String
            @Flag(help: "Keep showing progress until the job ends.") var watch = false

            func run() throws {
                var last = ""
                while true {
                    let r = try control.send(ControlRequest(op: "status", job: id))
                    guard let s = r.status else { return }
                    if control.json { return }
                    let text = Self.render(s)
                    if text != last { print(text); fflush(nil); last = text }
                    if !watch || s.phase.isTerminal { return }
                    usleep(300_000)
                }
            }

            static func render(_ s: JobStatus) -> String { s.statusLines.joined(separator: "\n") }
        }

        struct Result: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print a job's result (recipients, and members a sealed output is sealed to).",
                discussion: """
                    A recipient reads the value from its data directory. A member a sealed output is sealed to (a reader the \
                    spec grants, or a recipient without its result file) reads it from this node's replica of the ledger, \
                    checked against the digest every party recorded; the node needs `keys: encryption:` in its node.yaml.
                    """)
            @OptionGroup var control: ControlOptions
            @Argument(help: "The job id.") var id: String
            @Flag(help: "Wait (showing progress) until the job ends.") var wait = false
            @Option(help: "With --wait: give up after this many seconds.") var timeout: Int = 600
            @Option(help: "Also write a table output (PSI's matched rows, say) to this new CSV file, mode 0600.") var csv: String?
            @Option(help: "With --csv: which output, when the job has several tables.") var output: String?

            func run() throws {
                if wait {
                    let deadline = Date().addingTimeInterval(Double(timeout))
                    var last = ""
                    // A bar on a terminal, a line per change otherwise (scripts, logs).
                    let bar = ProgressLine()
                    let tty = isatty(STDERR_FILENO) != 0
                    while true {
                        let r = try ControlOptions.quiet(control).send(ControlRequest(op: "status", job: id))
                        guard let s = r.status else { return }
                        let line = "\(s.phase.rawValue)\(s.progressStep.map { " \(Int((s.progress ?? 0) * 100))% \($0)" } ?? "")"
                        if tty, !control.json {
                            bar.show("job \(id): \(s.progressStep ?? s.phase.rawValue)", s.phase.isTerminal ? 1 : s.progress ?? 0)
                        } else if line != last, !control.json {
                            FileHandle.standardError.write(Data("job \(id): \(line)\n".utf8))
                        }
                        last = line
                        if s.phase.isTerminal {
                            bar.clear()
                            if tty, !control.json { FileHandle.standardError.write(Data("job \(id): \(line)\n".utf8)) }
                            break
                        }
                        if Date() > deadline { throw NodeCommandFailure(message: "job \(id) did not end within \(timeout) s (\(line))") }
                        usleep(250_000)
                    }
                }
                let r = try control.send(ControlRequest(op: "result", job: id))
                guard !control.json, let result = r.result else { return }
                for line in result.displayLines() { print(line) }
                if let csv {
                    let (name, rows) = try result.writeCSV(output: output, to: csv)
                    print("wrote \(name) (\(rows) rows) to \(csv)")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the jobs on the ledger.")
            @OptionGroup var control: ControlOptions

            func run() throws {
                let r = try control.send(ControlRequest(op: "list"))
                guard !control.json else { return }
                let jobs = r.jobs ?? []
                if jobs.isEmpty { print("no jobs"); return }
                for s in jobs {
                    print("\(s.id)  \(s.phase.rawValue)  \(s.protocolName)  proposed by \(s.proposer)\(s.awaitingApproval.isEmpty ? "" : "  awaiting: \(s.awaitingApprovalNames.joined(separator: ","))")")
                }
            }
        }
    }
}

extension ControlOptions {
    /// The same connection, without printing JSON (for polling).
    static func quiet(_ o: ControlOptions) -> ControlOptions {
        var q = o
        q.json = false
        return q
    }
}

extension String {
    func ifEmptyText(_ other: String) -> String { isEmpty ? other : self }
}
