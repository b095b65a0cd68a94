import Foundation

/// The value of one job output, as its recipients receive it: a number (exact decimal text),
/// a table (a PSI's matched rows, a claims job's payouts) or a set of strings.
public enum JobValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(String)
    case table(JobTable)
    case set([String])

    /// A set value, sorted and without duplicates (its canonical form).
    public static func makeSet<S: Sequence<String>>(_ items: S) -> JobValue { .set(Array(Set(items)).sorted()) }

    /// The canonical text the result digest covers and a public output records on the
    /// ledger: a number as its decimal text; a set or a table as sorted-key JSON
    /// (`{"kind":"set","items":[…]}`, `{"kind":"table","columns":[…],"rows":[[…]]}`).
    public var canonicalText: String {
        switch self {
        case .number(let s): return s
        case .set, .table:
            if let fast = plainJSON { return fast }
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Strings and arrays of strings always encode.
            return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
        }
    }

    /// The sorted-key JSON written directly when no string needs escaping (no `"`, `\\` or
    /// control character; with `.withoutEscapingSlashes` JSONEncoder copies every other
    /// character as it is): byte for byte what JSONEncoder writes, in a fraction of its time on
    /// a million-row table. nil when a string needs escaping; then JSONEncoder writes it.
    var plainJSON: String? {
        var out: [UInt8] = []
        func plain(_ s: String) -> Bool {
            for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            return true
        }
        func list(_ items: [String]) -> Bool {
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                guard plain(item) else { return false }
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: item.utf8)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "]"))
            return true
        }
        switch self {
        case .number: return nil
        case .set(let items):
            out.append(contentsOf: Array("{\"items\":".utf8))
            guard list(items) else { return nil }
            out.append(contentsOf: Array(",\"kind\":\"set\"}".utf8))
        case .table(let t):
            out.reserveCapacity(64 + t.rows.count * (4 + t.columns.count * 12))
            out.append(contentsOf: Array("{\"columns\":".utf8))
            guard list(t.columns) else { return nil }
            out.append(contentsOf: Array(",\"kind\":\"table\",\"rows\":[".utf8))
            for (i, row) in t.rows.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                guard list(row) else { return nil }
            }
            out.append(contentsOf: Array("]}".utf8))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A short human rendering (`tacit job result`, `tacit simulate`).
    public var description: String {
        switch self {
        case .number(let s): return s
        case .set(let items): return "{\(items.joined(separator: ", "))} (\(items.count) items)"
        case .table(let t):
            var lines = [t.columns.joined(separator: ",")]
            lines += t.rows.map { $0.joined(separator: ",") }
            return "table of \(t.rows.count) rows\n" + lines.map { "    " + $0 }.joined(separator: "\n")
        }
    }

    enum Keys: String, CodingKey { case kind, value, items, columns, rows }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "number": self = .number(try c.decode(String.self, forKey: .value))
        case "set": self = .set(try c.decode([String].self, forKey: .items))
        case "table":
            self = .table(try JobTable(columns: c.decode([String].self, forKey: .columns), rows: c.decode([[String]].self, forKey: .rows)))
        case let k:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown output kind '\(k)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .number(let s):
            try c.encode("number", forKey: .kind)
            try c.encode(s, forKey: .value)
        case .set(let items):
            try c.encode("set", forKey: .kind)
            try c.encode(items, forKey: .items)
        case .table(let t):
            try c.encode("table", forKey: .kind)
            try c.encode(t.columns, forKey: .columns)
            try c.encode(t.rows, forKey: .rows)
        }
    }
}

/// Rows of text cells under named columns; every row has one cell per column.
public struct JobTable: Sendable, Hashable {
    public let columns: [String]
    public let rows: [[String]]

    public init(columns: [String], rows: [[String]]) throws {
        for (i, r) in rows.enumerated() where r.count != columns.count {
            throw JobError(.protocolFailure, "table row \(i + 1) has \(r.count) cells for \(columns.count) columns")
        }
        self.columns = columns
        self.rows = rows
    }
}
