import ArgumentParser
import TacitNode

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a job protocol with all its parties in this process on CSV inputs (no nodes, no ledger).",
        discussion: """
            Prints the result, what each party sent and the rounds, and the time. Example:
              tacit simulate statistics --parties 3 --engine shamir \\
                --input hospital-a=a.csv --input hospital-b=b.csv --param statistic=mean
            """)

    @Argument(help: "The job protocol (e.g. statistics, mean-variance).")
    var protocolName: String

    @Option(help: "How many parties in all; those beyond the --input parties compute without data.")
    var parties: Int

    @Option(help: "The secret-sharing engine, for protocols that run on one (e.g. shamir, additive-ot).")
    var engine: String?

    @Option(name: .customLong("input"), help: "PARTY=FILE: a CSV with a header row, one per input party.")
    var inputs: [String] = []

    @Option(name: .customLong("param"), help: "KEY=VALUE: a parameter of the protocol.")
    var parameters: [String] = []

    @Option(name: .customLong("output"), help: "NAME or NAME=PARTY,PARTY: an output and its recipients (default: the protocol's outputs, to every party).")
    var outputs: [String] = []

    @Option(name: .customLong("column"), help: "A column to read from every input CSV (default: every column).")
    var columns: [String] = []

    func run() async throws {
        do {
            let lines = try await Simulation.run(Simulation.Request(
                protocolName: protocolName, parties: parties, engine: engine, inputs: inputs, parameters: parameters,
                outputs: outputs, columns: columns))
            for l in lines { print(l) }
        } catch let e as NodeError {
            throw NodeCommandFailure(message: e.message)
        }
    }
}
