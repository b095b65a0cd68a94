public import TacitJob
public import TacitMPC
import TacitBytes
import TacitNet

/// Insurance claims settled between a hospital and an insurer without either showing the
/// other its data: the hospital's itemised bills and the insurer's policy terms are
/// secret-shared among the job's parties (a regulator as the third party of an
/// honest-majority engine by default), and the insurer, and the hospital if the spec says so,
/// learn each claim's payout. See README.md beside this file.
///
/// ```yaml
/// protocol: claims
/// engine: replicated            # the default; any engine runs it
/// parties:
///   - {name: st-marys, roles: [input], input: {dataset: bills, columns: [line_id, claim_id, member_id, service_date, category, amount]}}
///   - {name: acme, roles: [input], input: {dataset: policies, columns: [member_id, deductible, annual_cap, paid_this_year, rate_ER, ...]}}
///   - {name: regulator, roles: [compute]}
/// parameters: {hospital: st-marys, insurer: acme, reportCap: "true"}
/// outputs:
///   - {name: payouts, recipients: [acme], sealed: true, readers: [regulator]}
/// ```
public struct Claims: JobProtocol {
    public init() {}

    /// The job's category codes when the spec names none: a public catalogue both parties
    /// code their data in (the codes are public; which line has which code is not).
    public static let defaultCategories = ["ER", "IP", "OP", "SURG", "IMG", "LAB", "RX", "PT", "MAT", "DEN"]

    public static let learnsText = """
        The insurer learns, for each claim, its payout (and, with reportCap, whether the member's \
        annual cap is used up after it); the hospital learns the payouts only if it is a recipient of \
        the output. Neither learns the other's inputs: the hospital's lines, categories and amounts \
        and the insurer's deductibles, rates, caps and amounts paid stay secret-shared. Both already \
        know the claim and member ids (claims are filed with the insurer); the hospital sends the \
        insurer the list of claim and member ids in the order the computation follows (by member, \
        then service date), so the insurer learns the order of each member's claims, not their \
        dates. Every other party (the regulator) learns only the number of claims and the job's \
        category codes, and what the ledger records: the result digest, and the payout table itself \
        only where the spec seals it to that party on the ledger.
        """

    public let descriptor = JobDescriptor(
        name: "claims",
        summary: "insurance claim payouts from a hospital's itemised bills and an insurer's policies, on secret shares",
        security: "as the engine's (the default, replicated, is semi-honest with an honest majority: no two parties may pool their shares); inputs are secret-shared among all parties of the job",
        learns: Claims.learnsText,
        parameters: [
            JobParameter("hospital", "the input party with the itemised bills (columns line_id, claim_id, member_id, service_date, category, amount)"),
            JobParameter("insurer", "the input party with the policies (columns member_id, deductible, annual_cap, paid_this_year, and rate_CODE per category)"),
            JobParameter("categories", "the category codes, comma-separated (default \(Claims.defaultCategories.joined(separator: ","))); at most \(ClaimsData.maxCategories)"),
            JobParameter("reportCap", "true: the table has a column 'capped' (whether the member's annual cap is used up after the claim); default false"),
        ],
        needs: .engine, partyCounts: 2...16, defaultOutputs: ["payouts"], inputs: .numbers, defaultEngine: "replicated")

    static let orderTag: Tag = 1
    static let countTag: Tag = 2

    struct Roles {
        var hospital: PartyID
        var insurer: PartyID
        var categories: [String]
        var reportCap: Bool
    }

    static func roles(_ spec: JobSpec) -> (Roles?, [SpecProblem]) {
        var out: [SpecProblem] = []
        let names = Set(spec.partyNames)
        func party(_ key: String) -> PartyID? {
            guard let v = spec.parameters[key] else {
                out.append(SpecProblem(path: "parameters", "claims needs `\(key): PARTY`, naming the input party with the \(key == "hospital" ? "bills" : "policies")"))
                return nil
            }
            let p = PartyID(v)
            guard names.contains(p) else {
                out.append(SpecProblem(path: "parameters.\(key)", "'\(v)' is not a party of this job"))
                return nil
            }
            guard spec.party(p)?.input != nil else {
                out.append(SpecProblem(path: "parameters.\(key)", "\(v) must be an input party (roles: [input] with input:)"))
                return nil
            }
            return p
        }
        let hospital = party("hospital"), insurer = party("insurer")
        if let hospital, hospital == insurer {
            out.append(SpecProblem(path: "parameters.insurer", "the hospital and the insurer must be different parties"))
        }
        var categories = defaultCategories
        if let c = spec.parameters["categories"] {
            categories = c.split(separator: ",").map { String($0).trimmed }
            if categories.isEmpty || categories.count > ClaimsData.maxCategories || Set(categories).count != categories.count
                || categories.contains(where: { $0.isEmpty || $0.utf8.count > 16 || !$0.unicodeScalars.allSatisfy { s in s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" } })
            {
                out.append(SpecProblem(path: "parameters.categories", "categories must be 1 to \(ClaimsData.maxCategories) distinct codes of letters, digits and _, at most 16 characters each, comma-separated"))
            }
        }
        var reportCap = false
        if let r = spec.parameters["reportCap"] {
            if r == "true" { reportCap = true } else if r != "false" {
                out.append(SpecProblem(path: "parameters.reportCap", "'\(r)' is not true or false"))
            }
        }
        guard let hospital, let insurer, out.isEmpty else { return (nil, out) }
        return (Roles(hospital: hospital, insurer: insurer, categories: categories, reportCap: reportCap), out)
    }

    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] {
        let (roles, problems) = Self.roles(spec)
        guard let roles else { return problems }
        var out: [SpecProblem] = []
        let extraInputs = spec.inputParties.filter { $0 != roles.hospital && $0 != roles.insurer }
        if !extraInputs.isEmpty {
            out.append(SpecProblem(path: "parties", "only the hospital and the insurer contribute data; give \(extraInputs.map(\.name).joined(separator: ", ")) roles: [compute] without input"))
        }
        for (who, party, columns) in [("hospital", roles.hospital, ClaimsData.billColumns),
                                      ("insurer", roles.insurer, ClaimsData.policyColumns(categories: roles.categories))] {
            let given = spec.party(party)?.input?.columns ?? []
            let missing = columns.filter { !given.contains($0) }
            let extra = given.filter { !columns.contains($0) }
            if !missing.isEmpty || !extra.isEmpty {
                let i = spec.parties.firstIndex { $0.name == party } ?? 0
                out.append(SpecProblem(path: "parties[\(i)].input.columns", "the \(who) contributes exactly the columns \(columns.joined(separator: ", "))\(missing.isEmpty ? "" : "; missing \(missing.joined(separator: ", "))")\(extra.isEmpty ? "" : "; not used: \(extra.joined(separator: ", "))")"))
            }
        }
        if spec.outputs.count != 1 {
            out.append(SpecProblem(path: "outputs", "claims has one output, the payout table (e.g. name: payouts)"))
        } else {
            let r = spec.outputs[0].recipients
            if !r.contains(roles.insurer) {
                out.append(SpecProblem(path: "outputs[0].recipients", "the insurer (\(roles.insurer)) pays the claims and must be a recipient"))
            }
            if let other = r.first(where: { $0 != roles.insurer && $0 != roles.hospital }) {
                out.append(SpecProblem(path: "outputs[0].recipients", "\(other) knows neither the claims nor the members; only the insurer and the hospital can receive the payout table (grant others a sealed copy on the ledger with sealed: true and readers:)"))
            }
        }
        return out
    }

    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let (r, problems) = Self.roles(ctx.spec)
        guard let roles = r else { throw JobError(.invalidSpec, problems.map(\.description).joined(separator: "; ")) }
        let me = ctx.localParty
        let k = roles.categories.count
        let output = ctx.spec.outputs[0]
        let others = ctx.spec.partyNames.filter { $0 != me }

        // 1. The claim list: the hospital groups its lines into claims in date order per member
        // and tells the insurer which claims, in which order; everyone else only how many.
        await ctx.progress("reading inputs", 0.02)
        var order: [ClaimsPlan.ClaimRef] = []
        var mine: [Int64]?
        let n: Int
        if me == roles.hospital {
            guard let input = ctx.input else { throw JobError(.missingResource, "\(me) is the hospital but has no approved input") }
            let claims = try ClaimsPlan.claims(try ClaimsData.bills(input, categories: roles.categories), categories: k,
                                               who: "the hospital's dataset '\(input.dataset)'")
            order = claims.map { ClaimsPlan.ClaimRef(claimID: $0.claimID, memberID: $0.memberID) }
            n = claims.count
            mine = ClaimsPlan.hospitalInput(claims, categories: k)
            for p in others {
                if p == roles.insurer {
                    try await ctx.channel.send(Payload(ClaimsPlan.encode(order)), to: p, tag: Self.orderTag)
                } else {
                    var w = ByteWriter()
                    w.u32(UInt32(n))
                    try await ctx.channel.send(Payload(w.bytes), to: p, tag: Self.countTag)
                }
            }
        } else if me == roles.insurer {
            guard let input = ctx.input else { throw JobError(.missingResource, "\(me) is the insurer but has no approved input") }
            let policies = try ClaimsData.policies(input, categories: roles.categories)
            order = try ClaimsPlan.decodeOrder(try await ctx.receive(from: roles.hospital, tag: Self.orderTag).bytes, from: roles.hospital.name)
            n = order.count
            mine = try ClaimsPlan.insurerInput(order, policies: policies, categories: k, dataset: input.dataset)
        } else {
            let bytes = try await ctx.receive(from: roles.hospital, tag: Self.countTag).bytes
            var rd = ByteReader(bytes, what: "claim count", errors: ByteReadFailure.self)
            guard let c = try? rd.u32("count"), (try? rd.finish()) != nil, Int(c) <= ClaimsData.maxClaims else {
                throw JobError(.protocolFailure, "the claim count from \(roles.hospital) is malformed or above \(ClaimsData.maxClaims)", peer: roles.hospital.name)
            }
            n = Int(c)
        }

        // 2. The computation on shares.
        let local = mine
        let recipients = output.recipients.sorted()
        let reportCap = roles.reportCap
        let progress: @Sendable (String, Double) async -> Void = { step, f in await ctx.progress(step, f) }
        let opened: [Int64]? = try await ctx.onEngine { engine in
            try await Self.program(engine, claims: n, categories: k, hospital: roles.hospital, insurer: roles.insurer,
                                   mine: local, reportCap: reportCap, recipients: recipients, progress: progress)
        }
        await ctx.progress("payouts opened to recipients", 0.97)
        guard recipients.contains(me) else { return [:] }
        guard let opened, opened.count == (reportCap ? 2 * n : n) else {
            throw JobError(.protocolFailure, "the payouts were not opened to recipient \(me)")
        }
        let table = try ClaimsPlan.table(order, cumulative: Array(opened[0..<n]), capped: reportCap ? Array(opened[n..<(2 * n)]) : nil)
        return [output.name: .table(table)]
    }

    /// Every party's program on its engine. Returns the opened values at recipients: each
    /// claim's cumulative payout for its member, then (with reportCap) the at-cap flags.
    ///
    /// In cents, for claim k of a member with rates ρ_c (basis points), deductible left D and
    /// cap left A at the start, and billed totals T_{j,c} of its claims j ≤ k:
    ///   E_k = Σ_{j≤k} Σ_c ρ_c·T_{j,c}           exact, in 1/10000 cent
    ///   C_k = ⌊(E_k + 5000) / 10000⌋             covered so far, to the nearest cent
    ///   P_k = min(A, max(0, C_k − D))            paid so far; the payout is P_k − P_{k−1}
    /// which is the claim-by-claim carry-over of `ClaimsReference` in closed form, so that every
    /// claim is computed at once and no party but the two with the claim list needs it.
    static func program<E: MPCEngine>(
        _ e: E, claims n: Int, categories k: Int, hospital: PartyID, insurer: PartyID, mine: [Int64]?,
        reportCap: Bool, recipients: [PartyID], progress: @Sendable (String, Double) async -> Void
    ) async throws -> [Int64]? {
        guard e.bounds.truncationError <= 1 else {
            throw JobError(.invalidSpec, "this engine truncates with an error above one unit; the claims job's exact rounding needs at most one")
        }
        let me = e.context.localParty
        guard n > 0 else { return recipients.contains(me) ? [] : nil }
        await progress("secret-sharing the bills and the policies", 0.05)
        let bills = try await e.input(me == hospital ? mine : nil, from: hospital, count: 2 * k * n)
        let terms = try await e.input(me == insurer ? mine : nil, from: insurer, count: (k + 2) * n)
        let rates = e.slice(terms, 0..<(k * n))
        let deductible = e.slice(terms, (k * n)..<((k + 1) * n))
        let cap = e.slice(terms, ((k + 1) * n)..<((k + 2) * n))

        await progress("covered amounts: bills × rates", 0.25)
        // Σ_c rate_c·high_c and Σ_c rate_c·low_c of every claim: the hospital's highs and lows
        // are each laid out category-major, as the rates are, so each is n inner products of K
        // terms as it stands.
        let high = try await e.innerProducts(e.slice(bills, 0..<(k * n)), rates, terms: k)
        let low = try await e.innerProducts(e.slice(bills, (k * n)..<(2 * k * n)), rates, terms: k)

        // ⌊(low + 5000) / 10^4⌋ exactly: low + 5000 < 2^31, so a multiply by ⌊2^41/10^4⌋ and a
        // truncation by 41 bits land within one of the quotient (the product stays below 2^59),
        // and the remainder's sign and size against 10^4 correct it.
        await progress("rounding to the cent", 0.45)
        let f = 41
        let d = ClaimsData.rateScale
        let m = Int64((UInt64(1) << f) / UInt64(d))
        let shifted = e.addConstant(low, d / 2)
        let estimate = try await e.truncate(e.multiply(shifted, byConstant: m), fractionalBits: f)
        let remainder = e.subtract(shifted, e.multiply(estimate, byConstant: d))
        let checks = try await e.lessThanZero(e.concatenate([remainder, e.addConstant(remainder, -d)]))
        // q = estimate − [r < 0] + [r ≥ d] = estimate − [r < 0] + 1 − [r − d < 0]
        let quotient = e.addConstant(e.subtract(e.subtract(estimate, e.slice(checks, 0..<n)), e.slice(checks, n..<(2 * n))), 1)
        let covered = e.add(high, quotient)

        await progress("deductibles", 0.6)
        let excess = e.subtract(covered, deductible)
        let positive = try await e.lessThanZero(e.multiply(excess, byConstant: -1))
        let afterDeductible = try await e.multiply(positive, excess)

        await progress("annual caps", 0.8)
        let overCap = e.subtract(afterDeductible, cap)
        let belowCap = try await e.lessThanZero(overCap)
        let paid = e.add(cap, try await e.multiply(belowCap, overCap))

        await progress("opening the payouts to recipients", 0.92)
        let out = reportCap ? e.concatenate([paid, e.addConstant(e.multiply(belowCap, byConstant: -1), 1)]) : paid
        return try await e.reveal(out, to: recipients)
    }
}
