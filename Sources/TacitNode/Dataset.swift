import Foundation
import TacitMath
public import TacitJob
public import TacitNet

/// An owner's approval of one job's use of its data, as signed on the ledger: the only thing
/// that lets `DatasetReader` read anything.
public struct Approval: Sendable, Hashable, Codable {
    public var jobID: String
    /// The approving party: the data owner.
    public var party: PartyID
    public var dataset: String?
    public var columns: [String]

    public init(jobID: String, party: PartyID, dataset: String?, columns: [String]) {
        self.jobID = jobID
        self.party = party
        self.dataset = dataset
        self.columns = columns
    }
}

/// The one place data is read. It is given the owner's approval and refuses any dataset or
/// column that approval does not name, or that the node's configuration does not offer;
/// columns outside the approval are skipped cell by cell, never parsed or kept.
public struct DatasetReader: Sendable {
    public let owner: PartyID
    public let datasets: [DatasetDeclaration]

    public init(owner: PartyID, datasets: [DatasetDeclaration]) {
        self.owner = owner
        self.datasets = datasets
    }

    /// Checks that `selection` is offered, without reading anything. nil when fine, else why
    /// not (for rejecting a proposal automatically).
    public func offerProblem(_ selection: JobSpec.InputSelection) -> String? {
        guard let d = datasets.first(where: { $0.name == selection.dataset }) else {
            return "\(owner) offers no dataset '\(selection.dataset)' (offered: \(datasets.map(\.name).joined(separator: ", ").ifEmpty("none")))"
        }
        for c in selection.columns where d.column(named: c) == nil {
            return "column '\(c)' of dataset '\(d.name)' is not offered by \(owner) (offered: \(d.columns.map(\.name).joined(separator: ", ")))"
        }
        return nil
    }

    /// Reads `selection` for job `jobID` under `approval`.
    public func read(_ selection: JobSpec.InputSelection, jobID: String, approval: Approval?) throws -> DatasetInput {
        guard let approval else {
            throw NodeError(.notApproved, "\(owner) has not approved job \(jobID); refusing to read any of its data")
        }
        guard approval.party == owner else {
            throw NodeError(.notApproved, "the approval for job \(jobID) was given by \(approval.party), not by the data owner \(owner); refusing to read")
        }
        guard approval.jobID == jobID else {
            throw NodeError(.notApproved, "the approval given is for job \(approval.jobID), not \(jobID); refusing to read")
        }
        if let d = approval.dataset, d != selection.dataset {
            throw NodeError(.notApproved, "\(owner) approved dataset '\(d)' for job \(jobID), not '\(selection.dataset)'; refusing to read")
        }
        for c in selection.columns where !approval.columns.contains(c) {
            throw NodeError(.notApproved, "column '\(c)' of dataset '\(selection.dataset)' was not approved by \(owner) for job \(jobID) (approved: \(approval.columns.joined(separator: ", ").ifEmpty("none"))); refusing to read")
        }
        if let problem = offerProblem(selection) { throw NodeError(.notApproved, problem + "; refusing to read") }
        let d = datasets.first { $0.name == selection.dataset }!

        guard let data = FileManager.default.contents(atPath: d.file) else {
            throw NodeError(.dataset, "cannot read dataset '\(d.name)': its file is missing or unreadable; check the node config's datasets", file: d.file)
        }
        let columns = try CSV.extract(
            [UInt8](data), columns: selection.columns.map { d.column(named: $0)! }, file: d.file, dataset: d.name)
        return DatasetInput(jobID: jobID, party: owner, dataset: d.name, columns: columns)
    }
}

extension CSV {
    /// Only the `columns` asked for, canonicalised; every other cell is skipped unparsed.
    /// Errors say what was expected, never what a cell held (it is confidential). The file and
    /// line go in the error's `file`/`line`, which the local log shows and the ledger does not:
    /// a failure reason names the dataset and column only.
    static func extract(_ text: String, columns decls: [ColumnDeclaration], file: String, dataset: String? = nil) throws -> [DatasetInput.Column] {
        try extract(Array(text.utf8), columns: decls, file: file, dataset: dataset)
    }

    /// The same from the file's bytes: one pass that keeps only the wanted cells, so reading
    /// a column of a 10M-row file costs that column, not every row's every cell.
    static func extract(_ bytes: [UInt8], columns decls: [ColumnDeclaration], file: String, dataset: String? = nil) throws -> [DatasetInput.Column] {
        let what = dataset.map { "dataset '\($0)'" } ?? "the CSV file"
        var wanted: [(index: Int, decl: ColumnDeclaration)]?
        var columns = decls.map { DatasetInput.Column(declaration: $0, values: []) }
        var line = 0
        // Cell 0 is always read: a record of one blank cell is a blank line, whatever is wanted.
        try CSV.scan(bytes, keep: { i in i == 0 || (wanted?.contains { $0.index == i } ?? true) }) { cells, count in
            line += 1
            guard let w = wanted else {
                let header = (0..<count).map { (cells[$0] ?? "").trimmingCharacters(in: .whitespaces) }
                var found: [(Int, ColumnDeclaration)] = []
                for c in decls {
                    guard let i = header.firstIndex(of: c.name) else {
                        throw NodeError(.dataset, "\(what) has no column '\(c.name)' in its header row (has: \(header.joined(separator: ", ")))", file: file, line: 1)
                    }
                    found.append((i, c))
                }
                wanted = found
                return
            }
            if count == 1, (cells[0] ?? "").trimmingCharacters(in: .whitespaces).isEmpty { return }  // a blank line
            for (k, c) in w.enumerated() {
                guard c.index < count, let raw = cells[c.index] else {
                    throw NodeError(.dataset, "\(what): a row has \(count) cells; column '\(c.decl.name)' is cell \(c.index + 1)", file: file, line: line)
                }
                if c.decl.type == .identifier {
                    // As written, spaces included: trimming is the job's normalisation to choose.
                    guard raw.utf8.count <= ColumnDeclaration.maxIdentifierBytes, !raw.unicodeScalars.contains(where: { $0.value == 0 }) else {
                        throw NodeError(.dataset, "\(what), column '\(c.decl.name)': an identifier is longer than \(ColumnDeclaration.maxIdentifierBytes) bytes or holds a NUL character", file: file, line: line)
                    }
                    columns[k].values.append(raw)
                    continue
                }
                if let canonical = CSV.canonicalDecimal(raw, digits: c.decl.fractionDigits) {
                    columns[k].values.append(canonical)
                    continue
                }
                let format = FixedPointFormat(fractionalDigits: c.decl.fractionDigits, bits: 64)
                let cell = raw.trimmingCharacters(in: .whitespaces)
                do {
                    columns[k].values.append(try format.decode(try format.encode(cell)))
                } catch {
                    let kind = c.decl.type == .integer ? "a whole number" : "a decimal with at most \(c.decl.fractionDigits) fraction digits"
                    throw NodeError(.dataset, "\(what), column '\(c.decl.name)': expected \(kind) in every row", file: file, line: line)
                }
            }
        }
        guard wanted != nil else {
            throw NodeError(.dataset, "\(what) is empty; it needs a header row naming the columns", file: file)
        }
        return columns
    }
}

/// RFC 4180 CSV: commas, double-quoted fields with `""` escapes, CRLF or LF line ends.
enum CSV {
    /// The canonical text `FixedPointFormat(fractionalDigits: digits, bits: 64)` gives a
    /// plain decimal cell (`-?[0-9]+(.[0-9]+)?`, at most `digits` fraction digits, at most 18
    /// digits in all), without its big integers: millions of cells per job. nil for anything
    /// else (spaces, signs, exponents, more digits), which takes the general path.
    static func canonicalDecimal(_ cell: String, digits: Int) -> String? {
        var whole: UInt64 = 0, frac: UInt64 = 0
        var wholeDigits = 0, fracDigits = 0, negative = false, inFraction = false
        var first = true
        for b in cell.utf8 {
            defer { first = false }
            switch b {
            case UInt8(ascii: "-") where first: negative = true
            case UInt8(ascii: "."):
                guard !inFraction, wholeDigits > 0 else { return nil }
                inFraction = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inFraction {
                    fracDigits += 1
                    frac = frac * 10 + UInt64(b - 48)
                } else {
                    wholeDigits += 1
                    whole = whole * 10 + UInt64(b - 48)
                }
            default: return nil
            }
        }
        guard wholeDigits > 0, !inFraction || fracDigits > 0, fracDigits <= digits, wholeDigits + digits <= 18 else { return nil }
        for _ in fracDigits..<digits { frac *= 10 }
        var text = String(whole)
        if digits > 0 {
            var f = String(frac)
            if f.utf8.count < digits { f = String(repeating: "0", count: digits - f.utf8.count) + f }
            text += "." + f
        }
        return negative && (whole != 0 || frac != 0) ? "-" + text : text
    }

    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if quoted {
                if c == "\"" {
                    if it.first == "\"" { field.unicodeScalars.append("\""); it.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r": continue
            case "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// The first record's cells (trimmed): the header row. nil for an empty file.
    static func header(_ bytes: [UInt8]) -> [String]? {
        struct Stop: Error {}
        var header: [String]?
        try? scan(bytes, keep: { _ in true }) { cells, count in
            header = (0..<count).map { (cells[$0] ?? "").trimmingCharacters(in: .whitespaces) }
            throw Stop()
        }
        return header
    }

    /// The records of `bytes` (UTF-8) as ``rows(_:)`` reads them, one at a time: `body` gets
    /// each record's cells (nil for those `keep` declines, which are skipped unread) and its
    /// cell count. Commas, quotes and line ends are ASCII, so scanning bytes is exact.
    static func scan(
        _ bytes: [UInt8], keep: (Int) -> Bool, _ body: (_ cells: [String?], _ count: Int) throws -> Void
    ) throws {
        var cells: [String?] = []
        var field: [UInt8] = []
        var index = 0
        var keeping = keep(0)
        var quoted = false
        var any = false  // whether the current record has anything (rows() keeps a last record without a line end)
        func endField() {
            while cells.count < index { cells.append(nil) }
            cells.append(keeping ? String(decoding: field, as: UTF8.self) : nil)
            field.removeAll(keepingCapacity: true)
            index += 1
            keeping = keep(index)
        }
        func endRecord() throws {
            endField()
            try body(cells, index)
            cells.removeAll(keepingCapacity: true)
            index = 0
            keeping = keep(0)
            any = false
        }
        var i = 0
        let n = bytes.count
        try bytes.withUnsafeBufferPointer { b in
            while i < n {
                let c = b[i]
                i += 1
                if quoted {
                    if c == UInt8(ascii: "\"") {
                        if i < n, b[i] == UInt8(ascii: "\"") { if keeping { field.append(c) }; i += 1 } else { quoted = false }
                    } else if keeping {
                        field.append(c)
                    }
                    continue
                }
                switch c {
                case UInt8(ascii: "\""): quoted = true; any = true
                case UInt8(ascii: ","): endField(); any = true
                case UInt8(ascii: "\r"): continue
                case UInt8(ascii: "\n"): try endRecord()
                default:
                    any = true
                    if keeping { field.append(c) }
                }
            }
        }
        if any || index > 0 || !field.isEmpty { try endRecord() }
    }
}
