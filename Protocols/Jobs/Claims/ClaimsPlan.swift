public import TacitJob
import TacitBytes

/// The pure steps of the claims job, apart from the engine: grouping lines into claims in
/// date order per member, the inputs each party secret-shares, the claim list the hospital
/// sends the insurer, and how recipients turn the opened cumulative payouts into a table.
/// No I/O, so tests drive them directly.
public enum ClaimsPlan {
    /// One claim, as the hospital sees it: its lines summed per category.
    public struct Claim: Sendable, Hashable {
        public var claimID: String
        public var memberID: String
        /// The earliest service date of its lines (YYYY-MM-DD).
        public var date: String
        /// Billed cents per category (the job's category order).
        public var totals: [Int64]
    }

    /// The claims in the order the carry-over follows: by member, then date, then claim id.
    public static func claims(_ lines: [ClaimsData.Line], categories: Int, who: String = "the hospital's bills") throws -> [Claim] {
        var byID: [String: Int] = [:]
        var claims: [Claim] = []
        for (row, l) in lines.enumerated() {
            if let k = byID[l.claimID] {
                guard claims[k].memberID == l.memberID else {
                    throw ClaimsData.problem(who, "member_id", "the lines of one claim name two different members", row: row)
                }
                if l.serviceDate < claims[k].date { claims[k].date = l.serviceDate }
                claims[k].totals[l.category] += l.cents
            } else {
                byID[l.claimID] = claims.count
                var totals = [Int64](repeating: 0, count: categories)
                totals[l.category] = l.cents
                claims.append(Claim(claimID: l.claimID, memberID: l.memberID, date: l.serviceDate, totals: totals))
            }
        }
        guard claims.count <= ClaimsData.maxClaims else {
            throw JobError(.invalidInput, "\(who) hold more than \(ClaimsData.maxClaims) claims; split them into several jobs")
        }
        claims.sort { ($0.memberID, $0.date, $0.claimID) < ($1.memberID, $1.date, $1.claimID) }
        var memberTotal: Int64 = 0
        for (i, c) in claims.enumerated() {
            if i == 0 || claims[i - 1].memberID != c.memberID { memberTotal = 0 }
            memberTotal += c.totals.reduce(0, +)
            guard memberTotal <= ClaimsData.maxMemberCents else {
                throw JobError(.invalidInput, "\(who): one member's bills add up to more than 1000000000.00, beyond what the job computes exactly; split that member's claims into several jobs",
                               localDetail: "claim \(c.claimID)")
            }
        }
        return claims
    }

    /// The hospital's input: for each claim, its member's cumulative billed cents per category
    /// up to and including this claim, split as 10^4·high + low so that the insurer's rates
    /// (in basis points) times the high part are whole cents and the low parts' products stay
    /// small enough to divide exactly. Category-major: element c·n + i is claim i's category c;
    /// the highs of every category, then the lows.
    public static func hospitalInput(_ claims: [Claim], categories k: Int) -> [Int64] {
        let n = claims.count
        var out = [Int64](repeating: 0, count: 2 * k * n)
        var running = [Int64](repeating: 0, count: k)
        for (i, c) in claims.enumerated() {
            if i == 0 || claims[i - 1].memberID != c.memberID { for j in 0..<k { running[j] = 0 } }
            for j in 0..<k {
                running[j] += c.totals[j]
                out[j * n + i] = running[j] / ClaimsData.rateScale
                out[(k + j) * n + i] = running[j] % ClaimsData.rateScale
            }
        }
        return out
    }

    /// The insurer's input for the claims in the hospital's order: each claim's member's rates
    /// (category-major, basis points), then the deductible still to meet, then the cap left.
    /// A claim whose member has no policy fails the job at the insurer.
    public static func insurerInput(_ order: [ClaimRef], policies: [String: ClaimsData.Policy], categories k: Int, dataset: String) throws -> [Int64] {
        let n = order.count
        var out = [Int64](repeating: 0, count: (k + 2) * n)
        for (i, c) in order.enumerated() {
            guard let p = policies[c.memberID] else {
                throw JobError(.invalidInput, "a claim's member has no policy in the insurer's dataset '\(dataset)'; add the member's policy row, or leave its claims out of the hospital's bills, and propose the job again",
                               localDetail: "member \(c.memberID), claim \(c.claimID)")
            }
            for j in 0..<k { out[j * n + i] = p.rates[j] }
            out[k * n + i] = p.deductibleCents
            out[(k + 1) * n + i] = p.remainingCapCents
        }
        return out
    }

    /// A claim as the insurer knows it from filing: its id and member, in the hospital's order.
    public struct ClaimRef: Sendable, Hashable {
        public var claimID: String
        public var memberID: String
        public init(claimID: String, memberID: String) {
            self.claimID = claimID
            self.memberID = memberID
        }
    }

    /// The claim list the hospital sends the insurer: a count, then each claim's id and member.
    public static func encode(_ order: [ClaimRef]) -> [UInt8] {
        var w = ByteWriter(capacity: 8 + order.count * 24)
        w.u32(UInt32(order.count))
        for c in order {
            w.string(c.claimID)
            w.string(c.memberID)
        }
        return w.bytes
    }

    /// The claim list as received from the hospital: at most `maxClaims` claims, every id
    /// within the id rules, no claim twice, and each member's claims together (the carry-over
    /// runs over consecutive claims of one member).
    public static func decodeOrder(_ bytes: [UInt8], from peer: String) throws -> [ClaimRef] {
        func bad(_ why: String) -> JobError {
            JobError(.protocolFailure, "the claim list from \(peer) is malformed: \(why); the job cannot go on", peer: peer)
        }
        var r = ByteReader(bytes, what: "claim list", errors: ByteReadFailure.self)
        do {
            let n = Int(try r.u32("count"))
            guard n <= ClaimsData.maxClaims, n <= r.remaining / 8 else { throw bad("it announces more claims than it carries or than a job may hold") }
            var out: [ClaimRef] = []
            out.reserveCapacity(n)
            var ids = Set<String>()
            var finished = Set<String>()
            for _ in 0..<n {
                let c = ClaimRef(claimID: try r.string("claim id", max: ClaimsData.maxIdentifierBytes),
                                 memberID: try r.string("member id", max: ClaimsData.maxIdentifierBytes))
                if ClaimsData.identifierProblem(c.claimID) != nil || ClaimsData.identifierProblem(c.memberID) != nil {
                    throw bad("an id is empty, too long or holds a control character")
                }
                guard ids.insert(c.claimID).inserted else { throw bad("a claim appears twice") }
                if let last = out.last, last.memberID != c.memberID {
                    guard finished.insert(last.memberID).inserted, !finished.contains(c.memberID) else {
                        throw bad("a member's claims are not listed together")
                    }
                }
                out.append(c)
            }
            try r.finish()
            return out
        } catch let e as JobError {
            throw e
        } catch {
            throw bad("\(error)")
        }
    }

    /// The payout table from the opened cumulative payouts (P_k: what the member has been paid
    /// in this job after claim k) and, when reported, the at-cap flags.
    public static func table(_ order: [ClaimRef], cumulative: [Int64], capped: [Int64]?) throws -> JobTable {
        guard cumulative.count == order.count, capped.map({ $0.count == order.count }) ?? true else {
            throw JobError(.protocolFailure, "the opened payouts do not match the claim list")
        }
        var rows: [[String]] = []
        rows.reserveCapacity(order.count)
        for (i, c) in order.enumerated() {
            let previous = i > 0 && order[i - 1].memberID == c.memberID ? cumulative[i - 1] : 0
            var row = [c.claimID, c.memberID, Cents.text(cumulative[i] - previous)]
            if let capped { row.append(capped[i] == 1 ? "true" : "false") }
            rows.append(row)
        }
        return try JobTable(columns: tableColumns(reportCap: capped != nil), rows: rows)
    }

    public static func tableColumns(reportCap: Bool) -> [String] {
        ["claim_id", "member_id", "payout"] + (reportCap ? ["capped"] : [])
    }
}

/// The claims computation in plaintext, written the way the issue states it (claim by claim,
/// carrying the remaining deductible and cap), for tests and `tacit claims reference`. The
/// engine computes the same numbers from a closed form; this is the independent check.
public enum ClaimsReference {
    public struct Payout: Sendable, Hashable {
        public var claimID: String
        public var memberID: String
        public var coveredCents: Int64
        public var payoutCents: Int64
        public var capped: Bool
    }

    public static func payouts(_ claims: [ClaimsPlan.Claim], policies: [String: ClaimsData.Policy]) throws -> [Payout] {
        var out: [Payout] = []
        var member = ""
        var exact: Int64 = 0, rounded: Int64 = 0, deductible: Int64 = 0, cap: Int64 = 0
        for c in claims {
            guard let p = policies[c.memberID] else {
                throw JobError(.invalidInput, "a claim's member has no policy", localDetail: "member \(c.memberID)")
            }
            if c.memberID != member {
                member = c.memberID
                exact = 0
                rounded = 0
                deductible = p.deductibleCents
                cap = p.remainingCapCents
            }
            // Each category's billed cents times its rate, exact in 1/10000 cent; the member's
            // covered total so far rounded to the nearest cent (halves up); this claim's
            // covered amount is what that rounded total grew by.
            for j in 0..<c.totals.count { exact += c.totals[j] * p.rates[j] }
            let total = (exact + ClaimsData.rateScale / 2) / ClaimsData.rateScale
            let covered = total - rounded
            rounded = total
            let afterDeductible = max(0, covered - deductible)
            deductible = max(0, deductible - covered)
            let payout = min(cap, afterDeductible)
            cap -= payout
            out.append(Payout(claimID: c.claimID, memberID: c.memberID, coveredCents: covered, payoutCents: payout, capped: cap == 0))
        }
        return out
    }
}
