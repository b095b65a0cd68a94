import Foundation
import TacitBytes

/// Seeded synthetic claims data for demonstrations, tests and benchmarks: a hospital's
/// itemised bills and an insurer's policies for the same members, with the cases a claims
/// job must get right: members with many claims, members already at their annual cap,
/// claims whose every line is in an uncovered category, deductibles larger than the bills,
/// zero-amount lines, and rates that do not divide cents evenly. The same seed gives the
/// same bytes wherever libm's `pow` agrees (`SeededGenerator`, no platform random).
public enum ClaimsGenerator {
    public struct Output: Sendable {
        /// CSV: line_id, claim_id, member_id, service_date, category, amount.
        public var bills: [UInt8]
        /// CSV: member_id, deductible, annual_cap, paid_this_year, rate_CODE per category.
        public var policies: [UInt8]
        public var claims: Int
        public var lines: Int
        public var members: Int
    }

    /// `claims` claims for about claims/3.5 members, coded in `categories` (the job's codes;
    /// the default catalogue's codes get realistic amounts, others a generic range).
    public static func generate(claims: Int, seed: UInt64, categories: [String] = Claims.defaultCategories) -> Output {
        var rng = SeededGenerator(seed: seed)
        let k = categories.count
        let profile = categories.map { Profile.of($0) }
        let weights = profile.map(\.weight)

        // Members and how many claims each has (a long tail: most have one or two).
        var perMember: [Int] = []
        var total = 0
        while total < claims {
            let roll = rng.unit()
            var c: Int
            switch roll {
            case ..<0.40: c = 1
            case ..<0.65: c = 2
            case ..<0.80: c = 3
            case ..<0.90: c = 4 + rng.below(3)
            case ..<0.97: c = 7 + rng.below(9)
            default: c = 16 + rng.below(25)
            }
            c = min(c, claims - total)
            perMember.append(c)
            total += c
        }
        let members = perMember.count

        // Policies.
        var policies = ByteBuffer(capacity: members * (40 + 7 * k))
        policies.line(["member_id", "deductible", "annual_cap", "paid_this_year"] + categories.map { "rate_" + $0 })
        let deductibles: [Int64] = [0, 25_000, 50_000, 100_000, 150_000, 250_000, 500_000, 750_000]
        let caps: [Int64] = [500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 100_000_000]
        for m in 0..<members {
            var deductible = deductibles[rng.below(deductibles.count)]
            let cap = caps[rng.below(caps.count)]
            var paid: Int64 = 0
            let p = rng.unit()
            if p < 0.05 {
                paid = cap  // already at the cap this year
            } else if p < 0.10 {
                paid = cap - Int64(rng.below(50_000))  // a few hundred left
            } else if p < 0.45 {
                paid = Int64(Double(cap) * 0.9 * rng.unit())
            }
            if paid > 0, rng.unit() < 0.7 { deductible = 0 }  // usually met before anything was paid
            // Plans: premium, standard or basic; some members exclude one more category.
            let tier = rng.below(3)
            var rates = profile.map { $0.rates[tier] }
            if rng.unit() < 0.1 { rates[rng.below(k)] = 0 }
            if rng.unit() < 0.05 { rates[rng.below(k)] = 8_333 }  // a rate that does not divide cents evenly
            // The first members pin down the edge cases whatever the seed.
            switch m {
            case 0: paid = cap  // at the cap from the start
            case 1: deductible = 750_000  // a deductible larger than its bills
            case 2: rates = rates.map { _ in 0 }  // nothing covered at all
            default: break
            }
            policies.line([memberID(m), Cents.text(deductible), Cents.text(cap), Cents.text(paid)] + rates.map { Cents.text($0, digits: 4) })
        }

        // Claims, then their lines, written in shuffled claim order (a hospital's export is
        // not sorted by member).
        var claimMember: [Int32] = []
        claimMember.reserveCapacity(claims)
        for (m, c) in perMember.enumerated() { for _ in 0..<c { claimMember.append(Int32(m)) } }
        var order = Array(0..<claims)
        for i in stride(from: claims - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        var bills = ByteBuffer(capacity: claims * 150)
        bills.line(["line_id", "claim_id", "member_id", "service_date", "category", "amount"])
        var lineNumber = 0
        for claim in order {
            let m = Int(claimMember[claim])
            let lines: Int
            switch rng.unit() {
            case ..<0.35: lines = 1
            case ..<0.60: lines = 2
            case ..<0.75: lines = 3
            case ..<0.92: lines = 4 + rng.below(3)
            default: lines = 7 + rng.below(14)
            }
            let day = rng.below(365)
            var category = pick(weights, &rng)
            if m == 1 { category = categories.firstIndex(of: "LAB") ?? category }  // small bills under a big deductible
            for l in 0..<lines {
                if l > 0, rng.unit() < 0.5 { category = pick(weights, &rng) }
                let pr = profile[category]
                var cents: Int64 = rng.unit() < 0.01 ? 0 : pr.amount(&rng)
                if m == 1 { cents = min(cents, 20_000) }
                let date = Dates.text(dayOfYear: min(364, day + (pr.stay ? rng.below(4) : 0)))
                bills.line([lineID(lineNumber), claimID(claim), memberID(m), date, categories[category], Cents.text(cents)])
                lineNumber += 1
            }
        }
        return Output(bills: bills.bytes, policies: policies.bytes, claims: claims, lines: lineNumber, members: members)
    }

    static func memberID(_ i: Int) -> String { "M" + padded(i + 1, 7) }
    static func claimID(_ i: Int) -> String { "C" + padded(i + 1, 8) }
    static func lineID(_ i: Int) -> String { "L" + padded(i + 1, 9) }
    static func padded(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func pick(_ weights: [Double], _ rng: inout SeededGenerator) -> Int {
        let total = weights.reduce(0, +)
        var x = rng.unit() * total
        for (i, w) in weights.enumerated() {
            x -= w
            if x < 0 { return i }
        }
        return weights.count - 1
    }

    /// A category's share of lines, its amounts (log-uniform between two bounds, in cents)
    /// and its rates under the premium, standard and basic plans (basis points).
    struct Profile {
        var weight: Double
        var low: Double
        var high: Double
        var rates: [Int64]
        var stay = false

        func amount(_ rng: inout SeededGenerator) -> Int64 {
            Int64((low * pow(high / low, rng.unit())).rounded())
        }

        static func of(_ code: String) -> Profile {
            switch code {
            case "ER": return Profile(weight: 6, low: 15_000, high: 400_000, rates: [10_000, 9_000, 8_000])
            case "IP": return Profile(weight: 3, low: 150_000, high: 6_000_000, rates: [9_500, 8_000, 7_000], stay: true)
            case "OP": return Profile(weight: 25, low: 6_000, high: 80_000, rates: [9_000, 8_000, 7_000])
            case "SURG": return Profile(weight: 3, low: 80_000, high: 4_500_000, rates: [9_000, 8_000, 6_000], stay: true)
            case "IMG": return Profile(weight: 8, low: 9_000, high: 350_000, rates: [9_000, 8_000, 6_000])
            case "LAB": return Profile(weight: 22, low: 800, high: 40_000, rates: [10_000, 9_000, 8_000])
            case "RX": return Profile(weight: 22, low: 400, high: 90_000, rates: [9_000, 7_500, 5_000])
            case "PT": return Profile(weight: 6, low: 5_000, high: 25_000, rates: [8_000, 6_500, 5_000])
            case "MAT": return Profile(weight: 1, low: 90_000, high: 1_500_000, rates: [10_000, 8_000, 0], stay: true)
            case "DEN": return Profile(weight: 4, low: 4_000, high: 150_000, rates: [5_000, 0, 0])
            default: return Profile(weight: 5, low: 1_000, high: 100_000, rates: [9_000, 7_000, 5_000])
            }
        }
    }
}

/// The job's dates: days of 2026 as YYYY-MM-DD.
enum Dates {
    static let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    static func text(dayOfYear: Int) -> String {
        var d = dayOfYear, m = 0
        while d >= monthDays[m] { d -= monthDays[m]; m += 1 }
        return "2026-" + ClaimsGenerator.padded(m + 1, 2) + "-" + ClaimsGenerator.padded(d + 1, 2)
    }
}

extension SeededGenerator {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
    /// Uniform in 0..<n (n > 0), by rejection: written out rather than `Int.random(in:)`, whose
    /// algorithm the standard library may change, so a seed keeps giving the same data.
    mutating func below(_ n: Int) -> Int {
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let v = next()
            if v < limit { return Int(v % bound) }
        }
    }
}

/// CSV rows as bytes (the generator's fields never need quoting: ids, dates, codes, numbers).
struct ByteBuffer {
    var bytes: [UInt8] = []
    init(capacity: Int) { bytes.reserveCapacity(capacity) }
    mutating func line(_ fields: [String]) {
        for (i, f) in fields.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: f.utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
    }
}
