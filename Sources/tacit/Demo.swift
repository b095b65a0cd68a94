import ArgumentParser
import TacitNode

extension Tacit {
    /// The claim-total computation in one process, without nodes or ledger (`make demo` runs it
    /// as a real job across node processes): three hospitals' claim totals summed under
    /// threshold Paillier, so that no single party (the insurer included) can decrypt anything
    /// but the agreed total.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the claim-total computation under 2-of-3 threshold Paillier, in one process."
        )

        @Option(help: "Paillier modulus size in bits (2048, 3072 or 4096).")
        var bits: Int = 2048

        func run() async throws {
            do { try await InProcessDemo.claimTotal(bits: bits) { print($0) } } catch let e as NodeError { throw ValidationError(e.description) }
        }
    }
}
