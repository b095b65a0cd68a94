import Foundation
public import TacitJob

/// How identifiers are made comparable before matching, so that two banks holding the same
/// person's ID as `ab-123 456` and `AB123456` find each other. The steps, in this order:
///
/// - `nfkc`: Unicode compatibility composition (NFKC): full-width `ＡＢ１` becomes `AB1`, the
///   ligature `ﬁ` becomes `fi`, and canonically equivalent spellings (`é` precomposed or as
///   `e` + combining accent) become the same bytes.
/// - `casefold`: Unicode full case folding (`Straße` and `STRASSE` match, as do `Σ` and `ς`),
///   then NFKC again: together these are Unicode's NFKC_Casefold.
/// - `separators`: removes spaces, dashes, dots, slashes, underscores and other Unicode
///   separators and dash punctuation, for ID numbers written in groups (`12-345 678/9`).
/// - `trim`: removes leading and trailing white space.
///
/// A value that normalises to nothing never matches (a blank cell is not an identifier).
/// Several columns form one identifier (name and date of birth, say): each is normalised, then
/// they are joined length-prefixed, so `("ab", "c")` and `("a", "bc")` stay different.
public struct IdentifierNormalisation: Sendable, Equatable, CustomStringConvertible {
    public var nfkc: Bool
    public var casefold: Bool
    public var separators: Bool
    public var trim: Bool

    public init(nfkc: Bool = true, casefold: Bool = true, separators: Bool = false, trim: Bool = true) {
        self.nfkc = nfkc
        self.casefold = casefold
        self.separators = separators
        self.trim = trim
    }

    /// The default: `trim,nfkc,casefold` (separators kept: they can be significant in names).
    public static let standard = IdentifierNormalisation()
    /// Exactly as written.
    public static let none = IdentifierNormalisation(nfkc: false, casefold: false, separators: false, trim: false)

    public static let stepNames = ["trim", "nfkc", "casefold", "separators"]

    /// `none`, or a comma-separated list of steps (`trim,nfkc,casefold,separators`); nil with
    /// the reason for anything else.
    public static func parse(_ text: String) -> Result<IdentifierNormalisation, JobError> {
        let words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if words == ["none"] { return .success(.none) }
        var n = IdentifierNormalisation.none
        for w in words {
            switch w {
            case "trim": n.trim = true
            case "nfkc": n.nfkc = true
            case "casefold": n.casefold = true
            case "separators": n.separators = true
            default:
                return .failure(JobError(.invalidSpec, "normalise: '\(w)' is not a step; use none or a comma-separated list of \(stepNames.joined(separator: ", "))"))
            }
        }
        guard !words.isEmpty else {
            return .failure(JobError(.invalidSpec, "normalise: give none or a comma-separated list of \(stepNames.joined(separator: ", "))"))
        }
        return .success(n)
    }

    /// The canonical spelling, as approvers see it.
    public var description: String {
        let on = [(trim, "trim"), (nfkc, "nfkc"), (casefold, "casefold"), (separators, "separators")].filter(\.0).map(\.1)
        return on.isEmpty ? "none" : on.joined(separator: ",")
    }

    public func apply(_ value: String) -> String {
        applyASCII(value) ?? applyUnicode(value)
    }

    /// The same steps on an all-ASCII value, byte by byte: NFKC leaves ASCII as it is and its
    /// case folding is A–Z to a–z, so this gives `applyUnicode`'s bytes (a test checks every
    /// ASCII character) at a fraction of Foundation's cost, which at a million identifiers is
    /// seconds. nil when the value is not ASCII.
    func applyASCII(_ value: String) -> String? {
        var bytes = Array(value.utf8)
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        if casefold {
            for i in bytes.indices where (0x41...0x5A).contains(bytes[i]) { bytes[i] |= 0x20 }
        }
        if separators { bytes.removeAll { Self.isSeparator(Unicode.Scalar($0)) } }
        if trim {
            let space: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
            let start = bytes.firstIndex { !space($0) } ?? bytes.endIndex
            let end = bytes.lastIndex { !space($0) }.map { $0 + 1 } ?? start
            bytes = start < end ? Array(bytes[start..<end]) : []
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func applyUnicode(_ value: String) -> String {
        var s = value
        if nfkc { s = s.precomposedStringWithCompatibilityMapping }
        if casefold {
            s = s.folding(options: [.caseInsensitive], locale: nil)
            if nfkc { s = s.precomposedStringWithCompatibilityMapping }
        }
        if separators {
            s = String(String.UnicodeScalarView(s.unicodeScalars.filter { !Self.isSeparator($0) }))
        }
        if trim { s = s.trimmingCharacters(in: .whitespacesAndNewlines) }
        return s
    }

    static func isSeparator(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .dashPunctuation, .connectorPunctuation: return true
        default: return c == "." || c == "/" || c == "\\" || c == "\t" || c == "·"
        }
    }

    /// The element bytes for one row's identifier columns, or nil when every column is empty
    /// after normalisation.
    public func element(_ values: [String]) -> [UInt8]? {
        let normalised = values.map(apply)
        if normalised.allSatisfy(\.isEmpty) { return nil }
        if normalised.count == 1 { return Array(normalised[0].utf8) }
        var out: [UInt8] = []
        for v in normalised {
            let b = Array(v.utf8)
            withUnsafeBytes(of: UInt32(b.count).bigEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: b)
        }
        return out
    }
}

/// One party's identifiers as a set, with which input rows each element came from (local
/// only: rows never leave the party).
public struct IdentifierSet: Sendable {
    public let set: PSISet
    /// Each element's first input row (0-based), and the later rows of the few that repeat:
    /// one array of row numbers, not an array per element, so 10M rows stay cheap.
    let firstRow: [Int32]
    let laterRows: [Int32: [Int32]]
    /// Rows whose identifier is empty after normalisation: they match nothing.
    public let blankRows: Int
    public var duplicateRows: Int { laterRows.values.reduce(0) { $0 + $1.count } }

    /// The 0-based input rows holding element `e` of `set`, ascending.
    public func rows(of e: Int) -> [Int] {
        [Int(firstRow[e])] + (laterRows[Int32(e)] ?? []).map(Int.init)
    }

    /// The identifiers of `columns` (all of the input's, in its order, when nil), which must
    /// be identifier columns.
    public init(_ input: DatasetInput, columns: [String]? = nil, normalisation: IdentifierNormalisation) throws {
        let names = columns ?? input.columns.map(\.declaration.name)
        var cols: [[String]] = []
        for name in names {
            guard let c = input.column(name) else {
                throw JobError(.invalidInput, "column '\(name)' is not part of this input")
            }
            guard c.declaration.type == .identifier else {
                throw JobError(.invalidInput, "column '\(name)' is declared as \(c.declaration.type.rawValue), but PSI matches identifiers as written; declare it with type: identifier in the node config (a number column's canonical form would drop leading zeros)")
            }
            cols.append(c.values)
        }
        guard !cols.isEmpty else { throw JobError(.invalidInput, "the input has no identifier column") }
        guard input.rowCount < Int(Int32.max) else { throw JobError(.invalidInput, "the input has more than 2^31 rows") }
        // Packed as it goes, deduplicated by a table of positions: no array per identifier.
        var builder = PackedBuilder(capacity: input.rowCount)
        var first: [Int32] = []
        first.reserveCapacity(input.rowCount)
        var later: [Int32: [Int32]] = [:]
        var blank = 0
        for r in 0..<input.rowCount {
            guard let e = normalisation.element(cols.map { $0[r] }) else { blank += 1; continue }
            let (i, new) = builder.insert(e)
            if new {
                first.append(Int32(r))
            } else {
                later[Int32(i), default: []].append(Int32(r))
            }
        }
        self.set = builder.set
        self.firstRow = first
        self.laterRows = later
        self.blankRows = blank
    }
}
