// A complete, minimal job protocol to copy when adding a computation to Tacit: the total of
// one column across input parties, on whichever secret-sharing engine the spec names. Copy
// this folder to Protocols/Jobs/YourName/, rename the type and the name, and change run().
// See README.md beside this file and Docs/AddingAProtocol.md.
public import TacitJob
public import TacitMPC
import TacitMath
import TacitNet

public struct TemplateJob: JobProtocol {
    public init() {}

    /// Step 1: what the protocol is, shown to every approver before they approve. State the
    /// security model and exactly what each party learns.
    public let descriptor = JobDescriptor(
        name: "job-template",
        summary: "total of one column across input parties (a template to copy)",
        security: "as the engine's; inputs are secret-shared among all parties of the job",
        learns: "Recipients learn the total; every party learns each input party's row count and the result digest.",
        parameters: [JobParameter("fractionDigits", "fixed-point digits values are scaled to, 0...9 (default 2)")],
        needs: .engine)

    /// Values within ±2^40 at the job's scale and at most 2^19 rows keep the total exact on
    /// every engine (below 2^59).
    static let valueBits = 41
    static let maxRows = 1 << 19

    /// Step 2: the protocol's own rules. The job layer has already checked the structure, the
    /// parameter names, the engine and the party counts.
    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] {
        var out: [SpecProblem] = []
        if let f = spec.parameters["fractionDigits"], Int(f).map({ (0...9).contains($0) }) != true {
            out.append(SpecProblem(path: "parameters.fractionDigits", "'\(f)' is not a whole number 0...9"))
        }
        out += spec.oneColumnProblems(descriptor.name)
        return out
    }

    /// Step 3: one party's run. Read the approved input, compute on the engine, return the
    /// outputs this party receives; the job layer records the salted digests.
    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let spec = ctx.spec
        let digits = Int(spec.parameters["fractionDigits"] ?? "2") ?? 2
        let output = spec.outputs[0]
        var mine: [Int64]?
        if let input = ctx.input, let column = spec.party(ctx.localParty)?.input?.columns.first {
            mine = try input.encodedInt64(column, fractionDigits: digits, bits: Self.valueBits)
        }
        await ctx.progress("secret-sharing inputs", 0.2)
        let inputs = spec.inputParties.sorted()
        let recipients = output.recipients.sorted()
        let local = mine
        let total: Int64? = try await ctx.onEngine { engine in
            try await Self.program(engine, inputs: inputs, mine: local, recipients: recipients)
        }
        guard let total else { return [:] }  // not a recipient: nothing was opened here
        // Each value is within ±2^40, the total of up to 2^19 of them is not: decode in 64 bits.
        return [output.name: .number(try FixedPointFormat(fractionalDigits: digits, bits: 64).decode(total))]
    }

    /// Step 4: the program every party runs on the engine, in the same order.
    static func program<E: MPCEngine>(_ e: E, inputs: [PartyID], mine: [Int64]?, recipients: [PartyID]) async throws -> Int64? {
        let (column, _) = try await e.inputColumns(mine, from: inputs, maxRows: maxRows)
        guard let column else { return recipients.contains(e.context.localParty) ? 0 : nil }
        return try await e.reveal(e.sum(column), to: recipients)?.first
    }
}
