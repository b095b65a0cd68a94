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
            String(decoding: data, as: UTF8.self), columns: selection.columns.map { d.column(named: $0)! }, file: d.file, dataset: d.name)
        return DatasetInput(jobID: jobID, party: owner, dataset: d.name, columns: columns)
    }
}

extension CSV {
    /// Only the `columns` asked for, canonicalised; every other cell is skipped unparsed.
    /// Errors say what was expected, never what a cell held (it is confidential). The file and
    /// line go in the error's `file`/`line`, which the local log shows and the ledger does not:
    /// a failure reason names the dataset and column only.
    static func extract(_ text: String, columns decls: [ColumnDeclaration], file: String, dataset: String? = nil) throws -> [DatasetInput.Column] {
        let what = dataset.map { "dataset '\($0)'" } ?? "the CSV file"
        var rows = CSV.rows(text)
        guard !rows.isEmpty else {
            throw NodeError(.dataset, "\(what) is empty; it needs a header row naming the columns", file: file)
        }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        var wanted: [(index: Int, decl: ColumnDeclaration)] = []
        for c in decls {
            guard let i = header.firstIndex(of: c.name) else {
                throw NodeError(.dataset, "\(what) has no column '\(c.name)' in its header row (has: \(header.joined(separator: ", ")))", file: file, line: 1)
            }
            wanted.append((i, c))
        }
        var columns = wanted.map { DatasetInput.Column(declaration: $0.decl, values: []) }
        for (r, row) in rows.enumerated() {
            if row.count == 1 && row[0].trimmingCharacters(in: .whitespaces).isEmpty { continue }  // blank line
            for (k, w) in wanted.enumerated() {
                guard w.index < row.count else {
                    throw NodeError(.dataset, "\(what): a row has \(row.count) cells; column '\(w.decl.name)' is cell \(w.index + 1)", file: file, line: r + 2)
                }
                if w.decl.type == .identifier {
                    // As written, spaces included: trimming is the job's normalisation to choose.
                    let cell = row[w.index]
                    guard cell.utf8.count <= ColumnDeclaration.maxIdentifierBytes, !cell.unicodeScalars.contains(where: { $0.value == 0 }) else {
                        throw NodeError(.dataset, "\(what), column '\(w.decl.name)': an identifier is longer than \(ColumnDeclaration.maxIdentifierBytes) bytes or holds a NUL character", file: file, line: r + 2)
                    }
                    columns[k].values.append(cell)
                    continue
                }
                let format = FixedPointFormat(fractionalDigits: w.decl.fractionDigits, bits: 64)
                let cell = row[w.index].trimmingCharacters(in: .whitespaces)
                do {
                    columns[k].values.append(try format.decode(try format.encode(cell)))
                } catch {
                    let kind = w.decl.type == .integer ? "a whole number" : "a decimal with at most \(w.decl.fractionDigits) fraction digits"
                    throw NodeError(.dataset, "\(what), column '\(w.decl.name)': expected \(kind) in every row", file: file, line: r + 2)
                }
            }
        }
        return columns
    }
}

/// RFC 4180 CSV: commas, double-quoted fields with `""` escapes, CRLF or LF line ends.
enum CSV {
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
}
