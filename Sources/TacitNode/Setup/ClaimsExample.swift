import Foundation
public import TacitClaims
public import TacitJob

/// The node configuration and job spec of the claims example (`tacit init --example claims`,
/// `make demo`): which columns each party offers, and the job that uses them.
public enum ClaimsExample {
    /// The hospital's `datasets:` entry: its itemised bills.
    public static let billsDataset = """
        datasets:
          - name: bills
            file: bills.csv
            columns:
              - {name: line_id, type: identifier}
              - {name: claim_id, type: identifier}
              - {name: member_id, type: identifier}
              - {name: service_date, type: identifier}
              - {name: category, type: identifier}
              - {name: amount, type: decimal, fractionDigits: 2}

        """

    /// The insurer's `datasets:` entry: a policy row per member, a rate column per category.
    public static func policiesDataset(categories: [String] = Claims.defaultCategories) -> String {
        var out = """
            datasets:
              - name: policies
                file: policies.csv
                columns:
                  - {name: member_id, type: identifier}
                  - {name: deductible, type: decimal, fractionDigits: 2}
                  - {name: annual_cap, type: decimal, fractionDigits: 2}
                  - {name: paid_this_year, type: decimal, fractionDigits: 2}

            """
        for c in categories { out += "      - {name: rate_\(c), type: decimal, fractionDigits: 4}\n" }
        return out
    }

    public static func spec(insurer: String, hospital: String, compute: [String], root: String, categories: [String] = Claims.defaultCategories) -> String {
        let policyColumns = ClaimsData.policyColumns(categories: categories).joined(separator: ", ")
        let regulator = compute.first ?? insurer
        var s = """
            # Claim payouts: \(hospital)'s itemised bills against \(insurer)'s policies, on
            # three-party replicated secret shares with \(regulator) as the third party.
            # \(insurer) learns each claim's payout and whether it used up the member's cap;
            # \(regulator) can read the payout table sealed on the ledger; nobody sees the
            # other's bills or policy terms.
            # Submit: tacit job submit --config \(root)/\(insurer)/node.yaml \(root)/jobs/claims.yaml
            protocol: claims
            engine: replicated
            description: Claim payouts for the period's bills
            parties:
              - name: \(hospital)
                roles: [input]
                input: {dataset: bills, columns: [\(ClaimsData.billColumns.joined(separator: ", "))]}
              - name: \(insurer)
                roles: [input]
                input: {dataset: policies, columns: [\(policyColumns)]}

            """
        for c in compute { s += "  - name: \(c)\n    roles: [compute]\n" }
        s += """
            parameters:
              hospital: \(hospital)
              insurer: \(insurer)
              reportCap: "true"
            outputs:
              - name: payouts
                recipients: [\(insurer)]
                sealed: true          # on the ledger, encrypted to the insurer and the readers
                readers: [\(regulator)]
            policy:
              approvers: [\(([hospital, insurer] + compute).joined(separator: ", "))]

            """
        return s
    }
}

/// What `tacit claims summary` prints of a payout table.
public struct ClaimsSummary: Sendable, Equatable {
    public var claims: Int
    public var paidClaims: Int
    public var totalCents: Int64
    public var members: Int
    /// Members whose cap is used up after their last claim (nil: the table has no `capped`).
    public var cappedMembers: Int?

    public init(table: JobTable) throws {
        guard let ci = table.columns.firstIndex(of: "payout"), let mi = table.columns.firstIndex(of: "member_id") else {
            throw NodeError(.invalidConfig, "this table is not a claims payout table (no payout and member_id columns)")
        }
        let cap = table.columns.firstIndex(of: "capped")
        claims = table.rows.count
        paidClaims = 0
        totalCents = 0
        var members = Set<String>(), capped = Set<String>()
        for row in table.rows {
            guard row.count == table.columns.count, let cents = Cents.parse(row[ci], digits: 2) else {
                throw NodeError(.invalidConfig, "a payout in the table is not a decimal amount")
            }
            totalCents += cents
            if cents > 0 { paidClaims += 1 }
            members.insert(row[mi])
            if let cap, row[cap] == "true" { capped.insert(row[mi]) }
        }
        self.members = members.count
        cappedMembers = cap == nil ? nil : capped.count
    }

    public var lines: [String] {
        ["claims: \(claims) for \(members) members; \(paidClaims) with a payout",
         "total payout: \(Cents.text(totalCents))"]
            + (cappedMembers.map { ["members at their annual cap: \($0)"] } ?? [])
    }
}

extension ClaimsSummary {
    /// The summary lines of every payout table in `result`.
    public static func lines(of result: StoredResult) throws -> [String] {
        var out: [String] = []
        for o in result.outputs {
            guard case .table(let t)? = o.value else { continue }
            out += try ClaimsSummary(table: t).lines
            out.append("digest \(o.digest) (recorded on the ledger by every party)")
        }
        if out.isEmpty { throw NodeError(.invalidConfig, "this node holds no payout table for the job (not a recipient?)") }
        return out
    }
}

extension ClaimsExample {
    /// `tacit claims generate`: the seeded synthetic bills and policies, written to two new
    /// files (mode 0600: they stand for confidential data).
    public static func writeSyntheticData(claims: Int, seed: UInt64, bills: String, policies: String) throws -> (claims: Int, lines: Int, members: Int) {
        let out = ClaimsGenerator.generate(claims: claims, seed: seed)
        for (path, bytes) in [(bills, out.bills), (policies, out.policies)] {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw NodeError(.invalidConfig, "\(path) exists; choose another file or remove it")
            }
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw NodeError(.invalidConfig, "cannot write \(path)")
            }
        }
        return (out.claims, out.lines, out.members)
    }
}
