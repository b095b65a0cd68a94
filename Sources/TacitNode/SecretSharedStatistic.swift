import Foundation
import Logging
public import TacitMPC
import TacitMath
public import TacitNet

/// A statistic over secret-shared columns, run by one of TacitMPC's protocol families
/// (`additive-dealer`, `additive-ot`, `shamir`, or any other `MPCProtocol` registered with
/// TacitMPC): the adapter between TacitMPC's plugin API and the node's `JobProtocol`.
///
/// A job names the MPC protocol directly (`protocol: shamir`) and a statistic:
///
/// ```yaml
/// parameters:
///   statistic: sum | mean | count-above
///   threshold: "1000.00"     # count-above: rows strictly above this value
///   fractionDigits: 2        # fixed-point digits every value is scaled to (default 2)
/// ```
///
/// 1. Each input party announces its row count to the parties (vector lengths are public in
///    TacitMPC), then secret-shares its column, scaled to `fractionDigits`, among all parties
///    of the job (input and compute parties alike compute).
/// 2. The parties compute on shares: the sum of every value (`sum`, `mean`), or the sum of
///    the comparison bits `value > threshold` (`count-above`).
/// 3. The single result is opened to the output's recipients only; nobody else receives
///    anything that depends on it. `mean` divides the opened sum by the public row count.
/// 4. The first recipient salts the result digest; every party records it (as in
///    `PaillierAggregation`).
public struct SecretSharedStatistic: JobProtocol {
    public let mpc: any MPCProtocol

    public init(_ mpc: any MPCProtocol) { self.mpc = mpc }

    public var name: String { mpc.descriptor.name }
    public var summary: String { "sum, mean or count above a threshold of one column across parties; \(mpc.descriptor.summary)" }
    public var securityModel: String { mpc.descriptor.security.description }
    public var learns: String {
        "recipients learn the statistic (for a mean also the total); every party learns each input party's row count and the result digest. "
            + mpc.descriptor.learns
    }
    public let parameterNames = ["statistic", "threshold", "fractionDigits"]

    enum Statistic: String, CaseIterable { case sum, mean, countAbove = "count-above" }

    /// Values lie within ±2^40 at the job's scale and a job has at most 2^19 rows in all, so
    /// every sum stays below 2^59: exact in Z/2^64 and in GF(2^61 − 1)'s centred range, and
    /// every `threshold − value` within the comparison bounds (2^60 and 2^63).
    static let valueBits = 41
    static let maxRows = 1 << 19

    static let saltTag = Tag(0x7AC1_0000_0000_0001)
    static let digestTag = Tag(0x7AC1_0000_0000_0002)

    public func validate(_ spec: JobSpec) -> [SpecProblem] {
        var out: [SpecProblem] = []
        let statistic = spec.parameters["statistic"].map { Statistic(rawValue: $0) } ?? .sum
        if statistic == nil {
            out.append(SpecProblem(
                path: "parameters.statistic",
                "unknown statistic '\(spec.parameters["statistic"]!)'; use one of \(Statistic.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        let digits = spec.parameters["fractionDigits"].map { Int($0) } ?? 2
        if digits.map({ (0...9).contains($0) }) != true {
            out.append(SpecProblem(path: "parameters.fractionDigits", "'\(spec.parameters["fractionDigits"]!)' is not a whole number 0...9"))
        }
        if statistic == .countAbove {
            if let t = spec.parameters["threshold"] {
                if let d = digits, (try? FixedPointFormat(fractionalDigits: d, bits: SecretSharedStatistic.valueBits).encodeInt64(t)) == nil {
                    out.append(SpecProblem(path: "parameters.threshold", "'\(t)' is not a decimal number with at most \(d) fraction digits"))
                }
            } else {
                out.append(SpecProblem(path: "parameters", "statistic count-above needs a threshold, e.g. threshold: \"1000.00\""))
            }
        } else if spec.parameters["threshold"] != nil {
            out.append(SpecProblem(path: "parameters.threshold", "only statistic count-above takes a threshold"))
        }
        if spec.inputParties.isEmpty {
            out.append(SpecProblem(path: "parties", "\(name) needs at least one party with roles: [input]"))
        }
        let counts = mpc.descriptor.partyCounts
        if !counts.contains(spec.parties.count) {
            out.append(SpecProblem(
                path: "parties",
                "\(name) runs with \(counts.lowerBound)...\(counts.upperBound) parties; this job has \(spec.parties.count) (add parties with roles: [compute], or choose another protocol)"))
        }
        for (i, p) in spec.parties.enumerated() {
            if let input = p.input, input.columns.count != 1 {
                out.append(SpecProblem(path: "parties[\(i + 1)].input", "\(name) takes exactly one column per input party; \(p.name) lists \(input.columns.count)"))
            }
        }
        if spec.outputs.count != 1 {
            out.append(SpecProblem(path: "outputs", "\(name) has exactly one output (the statistic); this spec lists \(spec.outputs.count)"))
        }
        return out
    }

    public func run(_ ctx: JobContext) async throws -> JobRunResult {
        let spec = ctx.spec
        let me = ctx.localParty
        let statistic = Statistic(rawValue: spec.parameters["statistic"] ?? "sum") ?? .sum
        let digits = Int(spec.parameters["fractionDigits"] ?? "2") ?? 2
        let format = FixedPointFormat(fractionalDigits: digits, bits: SecretSharedStatistic.valueBits)
        let output = spec.outputs[0]
        let recipients = output.recipients.sorted()
        let inputs = spec.inputParties.sorted()

        var mine: [Int64]?
        if inputs.contains(me) {
            guard let input = ctx.input, let column = spec.party(me)?.input?.columns.first else {
                throw NodeError(.protocolFailure, "\(me) is an input party but has no approved input")
            }
            mine = try input.columns.first { $0.declaration.name == column }!.values.enumerated().map { i, v in
                do { return try format.encodeInt64(v) } catch {
                    throw NodeError(.dataset, "row \(i + 1) of column '\(column)' does not fit \(digits) fraction digits within ±2^40: \(error)")
                }
            }
        }
        let threshold: Int64? = try spec.parameters["threshold"].map { try format.encodeInt64($0) }

        await ctx.progress("secret-sharing inputs (\(name))", 0.1)
        let local = mine
        let opened: (value: Int64?, rows: Int) = try await mpc.run(
            channel: ctx.channel, parties: spec.partyNames, timeout: ctx.stepTimeout
        ) { engine in
            try await Self.program(engine, inputs: inputs, mine: local, statistic: statistic, threshold: threshold, recipients: recipients)
        }
        await ctx.progress("result opened to recipients", 0.8)

        var value: String?
        if recipients.contains(me) {
            guard let v = opened.value else { throw NodeError(.protocolFailure, "the result was not opened to recipient \(me)") }
            switch statistic {
            case .sum: value = try format.decode(v)
            case .countAbove: value = String(v)
            case .mean:
                guard opened.rows > 0 else { throw NodeError(.protocolFailure, "no rows were contributed; the mean is undefined") }
                let n = Int64(opened.rows)
                var (q, r) = v.quotientAndRemainder(dividingBy: n)
                if 2 * r.magnitude >= n.magnitude { q += v < 0 ? -1 : 1 }
                value = try FixedPointFormat(fractionalDigits: digits, bits: 64).decode(q)
            }
        }
        return try await ResultDigests.agree(ctx, output: output, value: value, saltTag: Self.saltTag, digestTag: Self.digestTag)
    }

    /// The program every party runs on its engine (the engine's share type opened here).
    static func program<E: MPCEngine>(
        _ e: E, inputs: [PartyID], mine: [Int64]?, statistic: Statistic, threshold: Int64?, recipients: [PartyID]
    ) async throws -> (value: Int64?, rows: Int) {
        let c = e.context
        // Row counts are public (TacitMPC vectors have public lengths): one round.
        var outgoing: [PartyID: [[UInt64]]] = [:]
        if let mine { for p in c.peers { outgoing[p] = [[UInt64(mine.count)]] } }
        let announced = try await c.exchange(outgoing, from: inputs, expectedWords: 1, step: "row counts")
        var counts: [PartyID: Int] = [:]
        for p in inputs {
            let n = p == c.localParty ? mine!.count : Int(announced[p]![0])
            guard n <= maxRows else { throw MPCError(.invalidArgument, "\(p) announced \(n) rows; a job takes at most \(maxRows) rows in all", peer: p) }
            counts[p] = n
        }
        guard counts.values.reduce(0, +) <= maxRows else {
            throw MPCError(.invalidArgument, "the inputs hold \(counts.values.reduce(0, +)) rows; a job takes at most \(maxRows) rows in all (sums must stay exact)")
        }
        var shares: [E.Share] = []
        for p in inputs where counts[p]! > 0 {
            shares.append(try await e.input(p == c.localParty ? mine : nil, from: p, count: counts[p]!))
        }
        let rows = counts.values.reduce(0, +)
        guard !shares.isEmpty else { return (recipients.contains(c.localParty) ? 0 : nil, 0) }
        var column = e.concatenate(shares)
        if statistic == .countAbove, let t = threshold {
            // value > t  ⇔  t − value < 0
            column = try await e.lessThanZero(e.addConstant(e.multiply(column, byConstant: -1), t))
        }
        let opened = try await e.reveal(e.sum(column), to: recipients)
        return (opened?.first, rows)
    }
}

/// The salted result digest every party of a job records, agreed after the value is known to
/// the recipients: the first recipient picks the salt and sends it to the other recipients,
/// and sends the digest (and the value, when the output is public) to the other parties.
enum ResultDigests {
    struct Note: Codable { var digest: String; var publicValue: String? }

    static func agree(_ ctx: JobContext, output: JobSpec.Output, value: String?, saltTag: Tag, digestTag: Tag) async throws -> JobRunResult {
        let spec = ctx.spec
        let me = ctx.localParty
        let recipients = output.recipients.sorted()
        let others = spec.partyNames.filter { $0 != me }
        await ctx.progress("recording result digest", 0.9)
        let lead = recipients[0]
        var salt: [UInt8]?
        let digest: String
        let publicValue: String?
        if me == lead {
            salt = SecureRandom.bytes(32)
            for r in recipients where r != me { try await ctx.channel.send(Payload(salt!), to: r, tag: saltTag) }
            digest = ResultDigest.compute(jobID: spec.id, output: output.name, value: value!, salt: salt!)
            publicValue = output.isPublic ? value : nil
            let note = try JSONEncoder.sorted.encode(Note(digest: digest, publicValue: publicValue))
            for p in others where !recipients.contains(p) { try await ctx.channel.send(Payload(note), to: p, tag: digestTag) }
        } else if recipients.contains(me) {
            salt = try await ctx.receive(from: lead, tag: saltTag).bytes
            guard salt!.count == 32 else { throw NodeError(.protocolFailure, "\(lead) sent a digest salt of \(salt!.count) bytes; expected 32") }
            digest = ResultDigest.compute(jobID: spec.id, output: output.name, value: value!, salt: salt!)
            publicValue = output.isPublic ? value : nil
        } else {
            let note = try JSONDecoder().decode(Note.self, from: Data(try await ctx.receive(from: lead, tag: digestTag).bytes))
            digest = note.digest
            publicValue = note.publicValue
        }
        return JobRunResult(
            outputs: [OutputResult(name: output.name, value: value, digest: digest, publicValue: publicValue)],
            digestSalt: salt.map(Hex.encode))
    }
}
