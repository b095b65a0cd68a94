public import TacitJob

/// The hospital's and the insurer's inputs, read from their approved datasets and checked
/// row by row. Every problem names the column and the kind of problem in its message (which
/// goes on the ledger) and the row in `localDetail` (the owner's log only); no message holds
/// a cell's value.
public enum ClaimsData {
    /// The hospital's itemised bills: one row per line.
    public static let billColumns = ["line_id", "claim_id", "member_id", "service_date", "category", "amount"]
    /// The insurer's policies: one row per member, then one rate column per category.
    public static let policyColumns = ["member_id", "deductible", "annual_cap", "paid_this_year"]
    public static func rateColumn(_ category: String) -> String { "rate_" + category }
    public static func policyColumns(categories: [String]) -> [String] { policyColumns + categories.map(rateColumn) }

    /// Bounds that keep every sum of the computation far inside every engine's exact range
    /// (2^59 on Shamir shares): a line is at most 1,000,000.00, a member's bills in all at most
    /// 10^11 cents (1,000,000,000.00), a deductible or cap at most 10^11 cents.
    public static let maxLineCents: Int64 = 100_000_000
    public static let maxMemberCents: Int64 = 100_000_000_000
    public static let maxTermCents: Int64 = 100_000_000_000
    /// Rates are exact in basis points (4 fraction digits): 0.8 is 8000.
    public static let rateScale: Int64 = 10_000
    /// A job's claims (and so its vectors' length) and lines are bounded so that a count from
    /// a peer never sizes more than this.
    public static let maxClaims = 1 << 21
    public static let maxLines = 1 << 25
    public static let maxCategories = 16
    public static let maxIdentifierBytes = 64

    public struct Line: Sendable, Hashable {
        public var lineID: String
        public var claimID: String
        public var memberID: String
        public var serviceDate: String
        public var category: Int
        public var cents: Int64
        public init(lineID: String, claimID: String, memberID: String, serviceDate: String, category: Int, cents: Int64) {
            self.lineID = lineID
            self.claimID = claimID
            self.memberID = memberID
            self.serviceDate = serviceDate
            self.category = category
            self.cents = cents
        }
    }

    public struct Policy: Sendable, Hashable {
        public var memberID: String
        /// Deductible still to be met this year, in cents.
        public var deductibleCents: Int64
        public var annualCapCents: Int64
        public var paidThisYearCents: Int64
        /// One rate per category, in basis points (0...10000); 0 means not covered.
        public var rates: [Int64]
        public init(memberID: String, deductibleCents: Int64, annualCapCents: Int64, paidThisYearCents: Int64, rates: [Int64]) {
            self.memberID = memberID
            self.deductibleCents = deductibleCents
            self.annualCapCents = annualCapCents
            self.paidThisYearCents = paidThisYearCents
            self.rates = rates
        }
        /// What is left of the annual cap.
        public var remainingCapCents: Int64 { annualCapCents - paidThisYearCents }
    }

    static func problem(_ who: String, _ column: String, _ what: String, row: Int) -> JobError {
        JobError(.invalidInput, "\(who), column '\(column)': \(what); fix the dataset (this party's log names the row) and propose the job again",
                 localDetail: "data row \(row + 1), column '\(column)'")
    }

    static func column(_ input: DatasetInput, _ name: String, who: String) throws -> DatasetInput.Column {
        guard let c = input.column(name) else {
            throw JobError(.invalidInput, "\(who) has no column '\(name)' in its approved input; the job needs columns \(name)")
        }
        return c
    }

    /// Reads the hospital's bills. `categories` is the job's public list of category codes.
    public static func bills(_ input: DatasetInput, categories: [String]) throws -> [Line] {
        let who = "the hospital's dataset '\(input.dataset)'"
        let cols = try billColumns.map { try column(input, $0, who: who) }
        let n = input.rowCount
        guard n <= maxLines else {
            throw JobError(.invalidInput, "\(who) has more than \(maxLines) lines; split the bills into several jobs")
        }
        for c in cols where c.values.count != n {
            throw JobError(.invalidInput, "\(who): column '\(c.declaration.name)' has a different number of rows from the others")
        }
        for c in cols.prefix(5) where c.declaration.type != .identifier {
            throw JobError(.invalidInput, "\(who): column '\(c.declaration.name)' must be declared as an identifier (text) in the node config")
        }
        guard cols[5].declaration.type != .identifier else {
            throw JobError(.invalidInput, "\(who): column 'amount' must be declared as decimal (2 fraction digits) in the node config")
        }
        let index = Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        seen.reserveCapacity(n)
        var lines: [Line] = []
        lines.reserveCapacity(n)
        for row in 0..<n {
            let lineID = cols[0].values[row], claimID = cols[1].values[row], memberID = cols[2].values[row]
            for (k, v) in [lineID, claimID, memberID].enumerated() {
                if let p = identifierProblem(v) { throw problem(who, billColumns[k], p, row: row) }
            }
            guard seen.insert(lineID).inserted else {
                throw problem(who, "line_id", "a line id appears on two rows; every line needs its own id", row: row)
            }
            let date = cols[3].values[row]
            guard isDate(date) else {
                throw problem(who, "service_date", "a service date is not a calendar date written YYYY-MM-DD", row: row)
            }
            let code = cols[4].values[row]
            guard let category = index[code] ?? index[code.trimmed] else {
                throw problem(who, "category", "a category code is not one of the job's categories (\(categories.joined(separator: ", ")))", row: row)
            }
            guard let cents = Cents.parse(cols[5].values[row], digits: 2) else {
                throw problem(who, "amount", "an amount is not a decimal with at most 2 fraction digits", row: row)
            }
            guard cents >= 0 else { throw problem(who, "amount", "an amount is negative; billed amounts are 0.00 or more", row: row) }
            guard cents <= maxLineCents else {
                throw problem(who, "amount", "an amount exceeds 1000000.00, the most one line may bill", row: row)
            }
            lines.append(Line(lineID: lineID, claimID: claimID, memberID: memberID, serviceDate: date, category: category, cents: cents))
        }
        return lines
    }

    /// Reads the insurer's policies, by member.
    public static func policies(_ input: DatasetInput, categories: [String]) throws -> [String: Policy] {
        let who = "the insurer's dataset '\(input.dataset)'"
        let names = policyColumns(categories: categories)
        let cols = try names.map { try column(input, $0, who: who) }
        let n = input.rowCount
        guard n <= maxClaims else {
            throw JobError(.invalidInput, "\(who) has more than \(maxClaims) policies; split the members into several jobs")
        }
        for c in cols where c.values.count != n {
            throw JobError(.invalidInput, "\(who): column '\(c.declaration.name)' has a different number of rows from the others")
        }
        guard cols[0].declaration.type == .identifier else {
            throw JobError(.invalidInput, "\(who): column 'member_id' must be declared as an identifier (text) in the node config")
        }
        for c in cols.dropFirst() where c.declaration.type == .identifier {
            throw JobError(.invalidInput, "\(who): column '\(c.declaration.name)' must be declared as a decimal in the node config")
        }
        var out: [String: Policy] = [:]
        out.reserveCapacity(n)
        for row in 0..<n {
            let member = cols[0].values[row]
            if let p = identifierProblem(member) { throw problem(who, "member_id", p, row: row) }
            var terms: [Int64] = []
            for k in 1...3 {
                guard let v = Cents.parse(cols[k].values[row], digits: 2) else {
                    throw problem(who, names[k], "a value is not a decimal with at most 2 fraction digits", row: row)
                }
                guard v >= 0, v <= maxTermCents else {
                    throw problem(who, names[k], "a value is negative or above 1000000000.00", row: row)
                }
                terms.append(v)
            }
            guard terms[2] <= terms[1] else {
                throw problem(who, "paid_this_year", "a member's amount paid this year exceeds its annual cap", row: row)
            }
            var rates: [Int64] = []
            for k in 4..<names.count {
                guard let r = Cents.parse(cols[k].values[row], digits: 4), r >= 0, r <= rateScale else {
                    throw problem(who, names[k], "a rate is not a decimal from 0 to 1 with at most 4 fraction digits", row: row)
                }
                rates.append(r)
            }
            let policy = Policy(memberID: member, deductibleCents: terms[0], annualCapCents: terms[1], paidThisYearCents: terms[2], rates: rates)
            guard out.updateValue(policy, forKey: member) == nil else {
                throw problem(who, "member_id", "a member has two policy rows; keep one per member", row: row)
            }
        }
        return out
    }

    /// nil for an acceptable claim, member or line id: known to both parties, so it crosses the
    /// job's channel; bounded and printable so that it can.
    static func identifierProblem(_ s: String) -> String? {
        if s.isEmpty || s.trimmed.isEmpty { return "an id is empty" }
        if s.utf8.count > maxIdentifierBytes { return "an id is longer than \(maxIdentifierBytes) bytes" }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return "an id holds a control character" }
        return nil
    }

    static func isDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return false }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), y >= 1900, (1...12).contains(m) else { return false }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return (1...days).contains(d)
    }
}

/// Exact decimal text to integers with a fixed number of fraction digits, without going
/// through floating point or big integers (millions of cells per job).
public enum Cents {
    /// "123.4" with digits 2 is 12340; nil for anything but an optional sign, digits and at
    /// most `digits` fraction digits, or a value beyond ±10^15 units.
    public static func parse(_ text: String, digits: Int) -> Int64? {
        var s = Substring(text).utf8[...]
        while let f = s.first, f == 32 { s = s.dropFirst() }
        while let l = s.last, l == 32 { s = s.dropLast() }
        var negative = false
        if let f = s.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        var whole: Int64 = 0, frac: Int64 = 0, fracDigits = 0, seenDigit = false, inFraction = false
        for c in s {
            if c == UInt8(ascii: ".") {
                guard !inFraction else { return nil }
                inFraction = true
                continue
            }
            guard c >= 48, c <= 57 else { return nil }
            seenDigit = true
            if inFraction {
                fracDigits += 1
                if fracDigits > digits {
                    guard c == 48 else { return nil }  // trailing zeros beyond the scale are exact
                    continue
                }
                frac = frac * 10 + Int64(c - 48)
            } else {
                whole = whole * 10 + Int64(c - 48)
                guard whole < 1_000_000_000_000_000 else { return nil }
            }
        }
        guard seenDigit else { return nil }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        for _ in min(fracDigits, digits)..<digits { frac *= 10 }
        let (v, o) = whole.multipliedReportingOverflow(by: scale)
        guard !o else { return nil }
        return negative ? -(v + frac) : v + frac
    }

    /// 12340 with digits 2 is "123.40".
    public static func text(_ v: Int64, digits: Int = 2) -> String {
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let m = v.magnitude
        let whole = m / UInt64(scale), frac = m % UInt64(scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (v < 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
