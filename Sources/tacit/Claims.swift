import ArgumentParser
import Foundation
import TacitNode

struct ClaimsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "The insurance claims job's tools: synthetic data, and a payout table's summary.",
        discussion: "The job itself is protocol: claims (Protocols/Jobs/Claims/README.md); tacit init --example claims sets up a consortium that runs it.",
        subcommands: [Generate.self, Summary.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write seeded synthetic claims: a hospital's itemised bills and an insurer's policies for the same members.")
        @Option(help: "How many claims.") var claims: Int = 10_000
        @Option(help: "The generator's seed: the same seed gives the same files.") var seed: UInt64 = 1
        @Option(help: "The hospital's bills CSV to write (must not exist).") var bills: String = "bills.csv"
        @Option(help: "The insurer's policies CSV to write (must not exist).") var policies: String = "policies.csv"

        func run() throws {
            guard (1...2_000_000).contains(claims) else { throw ValidationError("--claims must be 1...2000000") }
            let out: (claims: Int, lines: Int, members: Int)
            do { out = try ClaimsExample.writeSyntheticData(claims: claims, seed: seed, bills: bills, policies: policies) } catch let e as NodeError {
                throw ValidationError(e.message)
            }
            print("wrote \(out.claims) claims (\(out.lines) lines) for \(out.members) members: \(bills) (the hospital's) and \(policies) (the insurer's)")
            print("declare them in the nodes' configs as in Protocols/Jobs/Claims/README.md, or run tacit init --example claims")
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Summarise a claims job's payout table at a recipient: claims, total payout, members at their cap.")
        @OptionGroup var control: ControlOptions
        @Argument(help: "The job id.") var id: String

        func run() throws {
            let r = try control.send(ControlRequest(op: "result", job: id))
            guard !control.json, let result = r.result else { return }
            do {
                for line in try ClaimsSummary.lines(of: result) { print(line) }
            } catch let e as NodeError { throw ValidationError(e.message) }
        }
    }
}
