public import TacitJob
public import TacitMPC
import TacitMath
import TacitNet

/// Sum, mean or count above a threshold of one column across input parties, on any
/// secret-sharing engine (`engine: shamir`, `additive-ot`, ...). See README.md beside this
/// file.
///
/// ```yaml
/// protocol: statistics
/// engine: shamir
/// parameters:
///   statistic: sum | mean | count-above
///   threshold: "1000.00"     # count-above: rows strictly above this value
///   fractionDigits: 2        # fixed-point digits every value is scaled to (default 2)
/// ```
public struct Statistics: JobProtocol {
    public init() {}

    public let descriptor = JobDescriptor(
        name: "statistics",
        summary: "sum, mean or count above a threshold of one column across parties, on secret shares",
        security: "as the engine's; inputs are secret-shared among all parties of the job",
        learns: "Recipients learn the statistic (for a mean also the total); every party learns each input party's row count and the result digest; nothing else is opened.",
        parameters: [
            JobParameter("statistic", "sum, mean or count-above (default sum)"),
            JobParameter("threshold", "count-above only: count rows strictly above this decimal"),
            JobParameter("fractionDigits", "fixed-point digits values are scaled to, 0...9 (default 2)"),
        ],
        needs: .engine)

    enum Statistic: String, CaseIterable { case sum, mean, countAbove = "count-above" }

    /// Values lie within ±2^40 at the job's scale and a job has at most 2^19 rows in all, so
    /// every sum stays below 2^59: exact in Z/2^64 and in GF(2^61 − 1)'s centred range, and
    /// every `threshold − value` within the comparison bounds (2^60 and 2^63).
    static let valueBits = 41
    static let maxRows = 1 << 19

    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] {
        var out: [SpecProblem] = []
        let s = spec.parameters["statistic"]
        let statistic = s.map { Statistic(rawValue: $0) } ?? .sum
        if statistic == nil, let s {
            out.append(SpecProblem(path: "parameters.statistic", "unknown statistic '\(s)'; use one of \(Statistic.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        let f = spec.parameters["fractionDigits"]
        let digits = f.map { Int($0) } ?? 2
        if digits.map({ (0...9).contains($0) }) != true, let f {
            out.append(SpecProblem(path: "parameters.fractionDigits", "'\(f)' is not a whole number 0...9"))
        }
        if statistic == .countAbove {
            if let t = spec.parameters["threshold"] {
                if let d = digits, (try? FixedPointFormat(fractionalDigits: d, bits: Self.valueBits).encodeInt64(t)) == nil {
                    out.append(SpecProblem(path: "parameters.threshold", "'\(t)' is not a decimal number with at most \(d) fraction digits within ±2^40"))
                }
            } else {
                out.append(SpecProblem(path: "parameters", "statistic count-above needs a threshold, e.g. threshold: \"1000.00\""))
            }
        } else if spec.parameters["threshold"] != nil {
            out.append(SpecProblem(path: "parameters.threshold", "only statistic count-above takes a threshold"))
        }
        out += spec.oneColumnProblems("statistics")
        return out
    }

    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let spec = ctx.spec
        let me = ctx.localParty
        let statistic = Statistic(rawValue: spec.parameters["statistic"] ?? "sum") ?? .sum
        let digits = Int(spec.parameters["fractionDigits"] ?? "2") ?? 2
        let format = FixedPointFormat(fractionalDigits: digits, bits: Self.valueBits)
        let output = spec.outputs[0]
        let recipients = output.recipients.sorted()
        let inputs = spec.inputParties.sorted()

        var mine: [Int64]?
        if inputs.contains(me) {
            guard let input = ctx.input, let column = spec.party(me)?.input?.columns.first else {
                throw JobError(.missingResource, "\(me) is an input party but has no approved input")
            }
            mine = try input.encodedInt64(column, fractionDigits: digits, bits: Self.valueBits)
        }
        let threshold: Int64? = try spec.parameters["threshold"].map { try format.encodeInt64($0) }

        await ctx.progress("secret-sharing inputs", 0.1)
        let local = mine
        let opened: (value: Int64?, rows: Int) = try await ctx.onEngine { engine in
            try await Self.program(engine, inputs: inputs, mine: local, statistic: statistic, threshold: threshold, recipients: recipients)
        }
        await ctx.progress("result opened to recipients", 0.8)
        guard recipients.contains(me) else { return [:] }
        guard let v = opened.value else { throw JobError(.protocolFailure, "the result was not opened to recipient \(me)") }
        switch statistic {
        // The total of values within ±2^40 can exceed 2^40 (up to 2^59): decode it in 64 bits.
        case .sum: return [output.name: .number(try FixedPointFormat(fractionalDigits: digits, bits: 64).decode(v))]
        case .countAbove: return [output.name: .number(String(v))]
        case .mean:
            guard opened.rows > 0 else { throw JobError(.invalidInput, "no rows were contributed; the mean is undefined") }
            return [output.name: .number(try FixedPointFormat(fractionalDigits: digits, bits: 64).decode(Self.roundedQuotient(v, Int64(opened.rows))))]
        }
    }

    /// v / n rounded half away from zero.
    static func roundedQuotient(_ v: Int64, _ n: Int64) -> Int64 {
        var (q, r) = v.quotientAndRemainder(dividingBy: n)
        if 2 * r.magnitude >= n.magnitude { q += v < 0 ? -1 : 1 }
        return q
    }

    /// The program every party runs on its engine (the engine's share type opened here).
    static func program<E: MPCEngine>(
        _ e: E, inputs: [PartyID], mine: [Int64]?, statistic: Statistic, threshold: Int64?, recipients: [PartyID]
    ) async throws -> (value: Int64?, rows: Int) {
        let (shared, counts) = try await e.inputColumns(mine, from: inputs, maxRows: maxRows)
        let rows = counts.values.reduce(0, +)
        guard var column = shared else { return (recipients.contains(e.context.localParty) ? 0 : nil, 0) }
        if statistic == .countAbove, let t = threshold {
            // value > t  ⇔  t − value < 0
            column = try await e.lessThanZero(e.addConstant(e.multiply(column, byConstant: -1), t))
        }
        let opened = try await e.reveal(e.sum(column), to: recipients)
        return (opened?.first, rows)
    }
}
