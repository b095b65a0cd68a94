// Built from Protocols/Jobs/_Template: mean and variance of one column across input parties,
// on any secret-sharing engine. See README.md beside this file.
public import TacitJob
public import TacitMPC
import TacitMath
import TacitNet

public struct MeanVariance: JobProtocol {
    public init() {}

    public let descriptor = JobDescriptor(
        name: "mean-variance",
        summary: "mean and population variance of one column across input parties, on secret shares",
        security: "as the engine's; inputs are secret-shared among all parties of the job",
        learns: "Recipients learn the mean, the variance, the row count n, and so Σx and Σx² (equivalent given n); every party learns each input party's row count and the result digests.",
        parameters: [JobParameter("fractionDigits", "fixed-point digits values are scaled to, 0...4 (default 2)")],
        needs: .engine, defaultOutputs: ["mean", "variance"])

    /// |x| < 2^20 at the job's scale and at most 2^18 rows keep Σx² below 2^58: exact on
    /// every engine (Z/2^64, GF(2^61 − 1)).
    static let valueBits = 21
    static let maxRows = 1 << 18

    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] {
        var out: [SpecProblem] = []
        if let f = spec.parameters["fractionDigits"], Int(f).map({ (0...4).contains($0) }) != true {
            out.append(SpecProblem(path: "parameters.fractionDigits", "'\(f)' is not a whole number 0...4"))
        }
        out += spec.oneColumnProblems("mean-variance", outputs: 2)
        if spec.output("mean") == nil || spec.output("variance") == nil {
            out.append(SpecProblem(path: "outputs", "mean-variance has two outputs, named mean and variance"))
        }
        return out
    }

    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let spec = ctx.spec
        let me = ctx.localParty
        let digits = Int(spec.parameters["fractionDigits"] ?? "2") ?? 2
        var mine: [Int64]?
        if let input = ctx.input, let column = spec.party(me)?.input?.columns.first {
            mine = try input.encodedInt64(column, fractionDigits: digits, bits: Self.valueBits)
        }
        await ctx.progress("secret-sharing inputs", 0.2)
        // Σx and Σx² are opened to the union of both outputs' recipients, each of which
        // receives only the outputs the spec gives it.
        let recipients = Array(Set(spec.outputs.flatMap(\.recipients))).sorted()
        let inputs = spec.inputParties.sorted()
        let local = mine
        let opened: (sums: [Int64]?, n: Int) = try await ctx.onEngine { engine in
            try await Self.program(engine, inputs: inputs, mine: local, recipients: recipients)
        }
        guard let sums = opened.sums else { return [:] }
        guard opened.n > 0 else { throw JobError(.invalidInput, "no rows were contributed; the mean is undefined") }
        let (mean, variance) = Self.finish(sum: sums[0], sumOfSquares: sums[1], n: opened.n, digits: digits)
        var out: [String: JobValue] = [:]
        if spec.output("mean")?.recipients.contains(me) == true { out["mean"] = .number(mean) }
        if spec.output("variance")?.recipients.contains(me) == true { out["variance"] = .number(variance) }
        return out
    }

    static func program<E: MPCEngine>(_ e: E, inputs: [PartyID], mine: [Int64]?, recipients: [PartyID]) async throws -> ([Int64]?, Int) {
        let (column, counts) = try await e.inputColumns(mine, from: inputs, maxRows: maxRows)
        let n = counts.values.reduce(0, +)
        guard let x = column else { return (recipients.contains(e.context.localParty) ? [0, 0] : nil, 0) }
        let squares = try await e.multiply(x, x)
        return (try await e.reveal(e.concatenate([e.sum(x), e.sum(squares)]), to: recipients), n)
    }

    /// mean = Σx/n; variance = (nΣx² − (Σx)²)/n², both at `digits` digits, rounded half away
    /// from zero (exact rational arithmetic on BigInt, then one rounding).
    static func finish(sum: Int64, sumOfSquares: Int64, n: Int, digits: Int) -> (String, String) {
        let scale = BigInt(10).power(digits)
        let s = BigInt(sum), q = BigInt(sumOfSquares), bn = BigInt(n)
        // Values carry `scale`; squares carry scale², so variance·scale = (nq − s²)/(n²·scale).
        let mean = rounded(s, bn)
        let variance = rounded(bn * q - s * s, bn * bn * scale)
        let format = FixedPointFormat(fractionalDigits: digits, bits: 128)
        return ((try? format.decode(mean)) ?? "\(mean)", (try? format.decode(variance)) ?? "\(variance)")
    }

    static func rounded(_ a: BigInt, _ b: BigInt) -> BigInt {
        var (q, r) = a.quotientAndRemainder(dividingBy: b)
        if 2 * r.magnitude >= b.magnitude { q += a.isNegative ? -1 : 1 }
        return q
    }
}
