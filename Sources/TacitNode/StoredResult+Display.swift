import Foundation
import TacitBytes
public import TacitJob

extension StoredResult {
    /// Each output as `tacit job result` prints it: name, the value's text at a recipient,
    /// and the digest every party recorded.
    public var printable: [(name: String, value: String?, digest: String)] {
        outputs.map { ($0.name, $0.value?.description, $0.digest) }
    }
}

extension JobTable {
    /// RFC 4180 CSV with a header row (fields with commas, quotes or line breaks quoted).
    public var csv: String {
        // Over UTF-8 bytes, not Characters: a sealed payout table is tens of megabytes, and a
        // cell holding "\r\n" is one Character equal to neither "\r" nor "\n".
        func field(_ s: String) -> String {
            s.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = ""
        for row in [columns] + rows {
            for (i, cell) in row.enumerated() {
                if i > 0 { out += "," }
                out += field(cell)
            }
            out += "\n"
        }
        return out
    }
}

extension StoredResult {
    /// Writes table output `name` (the only table when nil) to a new file `path`, mode 0600:
    /// a result can name rows of the recipient's data (PSI's matched rows), so it is written
    /// as a private file and never over an existing one.
    public func writeCSV(output name: String?, to path: String) throws -> (output: String, rows: Int) {
        let tables = outputs.compactMap { o -> (String, JobTable)? in
            guard case .table(let t)? = o.value, name == nil || o.name == name else { return nil }
            return (o.name, t)
        }
        guard tables.count == 1, let (n, table) = tables.first else {
            throw NodeError(.invalidConfig, tables.isEmpty
                ? "--csv: this party holds no table output\(name.map { " named '\($0)'" } ?? "") of this job"
                : "--csv: the job has several table outputs (\(tables.map(\.0).joined(separator: ", "))); choose one with --output")
        }
        do { try SecretFile.create(atPath: path, contents: Array(table.csv.utf8)) } catch {
            throw NodeError(.invalidConfig, "--csv: \(error)")
        }
        return (n, table.rows.count)
    }
}

extension StoredResult {
    /// What `tacit job result` prints: each output's value (a table of more than `maxRows`
    /// rows as its first ten rows and a count, since its whole text is for --csv) and digest.
    public func displayLines(maxRows: Int = 20) -> [String] {
        var out: [String] = []
        for o in outputs {
            if case .table(let t)? = o.value, t.rows.count > maxRows {
                out.append("\(o.name) = table of \(t.rows.count) rows: \(t.columns.joined(separator: ","))")
                out += t.rows.prefix(10).map { "  " + $0.joined(separator: ",") }
                out.append("  ... \(t.rows.count - 10) more rows (--csv FILE writes them all)")
            } else {
                out.append("\(o.name) = \(o.value?.description ?? "(not a recipient)")")
            }
            out.append("  digest \(o.digest) (recorded on the ledger by every party)")
        }
        return out
    }
}
