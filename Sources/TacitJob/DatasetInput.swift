public import TacitNet
public import TacitMath

/// How a dataset column is read: a decimal kept exactly with `fractionDigits` digits, a
/// whole number, or an identifier (text, as written).
public struct ColumnDeclaration: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A decimal amount, kept exactly with `fractionDigits` digits after the point.
        case decimal
        /// A whole number.
        case integer
        /// Text kept exactly as written in the file (an ID number, a name, an IBAN): a
        /// protocol that matches identifiers normalises it as its job says; the commitment
        /// covers the text as written. At most ``ColumnDeclaration/maxIdentifierBytes``.
        case identifier
    }
    /// The longest identifier cell read (UTF-8 bytes): far beyond any real identifier, and it
    /// bounds what one row can cost a protocol.
    public static let maxIdentifierBytes = 1024
    public var name: String
    public var type: Kind
    public var fractionDigits: Int

    public init(name: String, type: Kind, fractionDigits: Int = 0) {
        self.name = name
        self.type = type
        self.fractionDigits = type == .decimal ? fractionDigits : 0
    }

    /// The type as the commitment encoding and `tacit audit --column` write it:
    /// `decimal:D`, `integer` or `identifier`.
    public var typeText: String {
        switch type {
        case .decimal: return "decimal:\(fractionDigits)"
        case .integer: return "integer"
        case .identifier: return "identifier"
        }
    }
}

/// Exactly the input a party contributes to a job: its approved columns, each value in
/// canonical decimal text (`FixedPointFormat` with the column's fraction digits).
public struct DatasetInput: Sendable, Hashable, Codable {
    public struct Column: Sendable, Hashable, Codable {
        public var declaration: ColumnDeclaration
        public var values: [String]
        public init(declaration: ColumnDeclaration, values: [String]) {
            self.declaration = declaration
            self.values = values
        }
    }
    public var jobID: String
    public var party: PartyID
    public var dataset: String
    public var columns: [Column]

    public init(jobID: String, party: PartyID, dataset: String, columns: [Column]) {
        self.jobID = jobID
        self.party = party
        self.dataset = dataset
        self.columns = columns
    }

    public var rowCount: Int { columns.first?.values.count ?? 0 }

    public func column(_ name: String) -> Column? { columns.first { $0.declaration.name == name } }

    /// Column `name` as fixed-point integers with `fractionDigits` digits (rescaled exactly;
    /// more digits than fit is an error, never silent rounding). The row number goes in the
    /// error's `localDetail` (the owner's local log), not its message (the ledger).
    public func encoded(_ name: String, fractionDigits: Int) throws -> [BigInt] {
        let c = try numeric(name)
        let format = FixedPointFormat(fractionalDigits: fractionDigits, bits: 96)
        return try c.values.enumerated().map { i, v in
            do { return try format.encode(v) } catch {
                throw JobError(.invalidInput, "a value of column '\(name)' does not fit \(fractionDigits) fraction digits; fix the dataset or the job's digits",
                               localDetail: "row \(i + 1) of the input")
            }
        }
    }

    /// Column `name` as `Int64` fixed-point values with `fractionDigits` digits, each within
    /// ±2^(bits−1) (the range a protocol keeps its sums exact in).
    public func encodedInt64(_ name: String, fractionDigits: Int, bits: Int) throws -> [Int64] {
        let c = try numeric(name)
        let format = FixedPointFormat(fractionalDigits: fractionDigits, bits: bits)
        return try c.values.enumerated().map { i, v in
            do { return try format.encodeInt64(v) } catch {
                throw JobError(.invalidInput, "a value of column '\(name)' does not fit \(fractionDigits) fraction digits within ±2^\(bits - 1); fix the dataset or the job's digits",
                               localDetail: "row \(i + 1) of the input")
            }
        }
    }

    /// Column `name`, which must hold numbers: an identifier column is refused by name, before
    /// any cell is parsed (its text is confidential and is not a number).
    func numeric(_ name: String) throws -> Column {
        guard let c = column(name) else {
            throw JobError(.invalidInput, "column '\(name)' is not part of this input")
        }
        guard c.declaration.type != .identifier else {
            throw JobError(.invalidInput, "column '\(name)' is declared as an identifier, but this job computes on numbers; choose a numeric column, or declare it as decimal or integer in the node config")
        }
        return c
    }
}
