import Foundation
import TacitBytes
public import TacitJob
public import TacitNet

/// Opening a party's input commitment for an auditor who was given the data and the salt.
public enum Audit {
    public struct Finding: Sendable, Hashable {
        public var matches: Bool
        public var commitment: String
        public var recomputed: String
        public var rows: Int
        public var columns: [String]
    }

    /// Rebuilds the exact input from a CSV file the auditor was given, using the columns
    /// recorded in the party's `InputCommitted` with the types the party declares for them
    /// (`types`, given with the data: a wrong type canonicalises differently and cannot match),
    /// and checks it against the commitment.
    public static func check(jobID: String, party: PartyID, csv: String, csvName: String, salt: String,
                             types: [ColumnDeclaration], entries: [LedgerEntry]) throws -> Finding {
        let c = try committed(jobID: jobID, party: party, entries: entries)
        guard let saltBytes = Hex.decode(salt.trimmingCharacters(in: .whitespacesAndNewlines)), saltBytes.count == 32 else {
            throw NodeError(.audit, "the salt must be 64 hex digits (32 bytes)")
        }
        let decls = try c.columns.map { name in
            guard let d = types.first(where: { $0.name == name }) else {
                throw NodeError(.audit, "no type given for column '\(name)'; the party declares it with its data (e.g. \(name):decimal:2, \(name):integer or \(name):identifier)")
            }
            return d
        }
        let columns = try CSV.extract(csv, columns: decls, file: csvName)
        let input = DatasetInput(jobID: jobID, party: party, dataset: c.dataset, columns: columns)
        let recomputed = InputCommitment.compute(input, salt: saltBytes).digest
        return Finding(matches: recomputed == c.commitment, commitment: c.commitment, recomputed: recomputed,
                       rows: input.rowCount, columns: c.columns)
    }

    /// Checks an opening bundle (`tacit audit export`) against the ledger.
    public static func check(opening: CommitmentOpening, entries: [LedgerEntry]) throws -> Finding {
        let c = try committed(jobID: opening.input.jobID, party: opening.input.party, entries: entries)
        guard let saltBytes = Hex.decode(opening.salt), saltBytes.count == 32 else {
            throw NodeError(.audit, "the opening's salt must be 64 hex digits (32 bytes)")
        }
        guard opening.input.dataset == c.dataset, opening.input.columns.map(\.declaration.name) == c.columns else {
            throw NodeError(.audit, "the opening covers other columns than the ledger's InputCommitted")
        }
        let recomputed = InputCommitment.compute(opening.input, salt: saltBytes).digest
        return Finding(matches: recomputed == c.commitment, commitment: c.commitment, recomputed: recomputed,
                       rows: opening.input.rowCount, columns: c.columns)
    }

    static func committed(jobID: String, party: PartyID, entries: [LedgerEntry]) throws
        -> (dataset: String, columns: [String], commitment: String)
    {
        for e in entries where e.author == party {
            if case .inputCommitted(let j, let d, let cols, let digest) = e.transaction, j == jobID {
                return (d, cols, digest)
            }
        }
        throw NodeError(.audit, "the ledger has no InputCommitted by \(party) for job \(jobID)")
    }
}

extension ColumnDeclaration {
    /// `amount:decimal:2`, `amount:decimal` (2 digits), `age:integer` or `iban:identifier`.
    public static func parse(spec text: String) throws -> ColumnDeclaration {
        let p = text.split(separator: ":").map(String.init)
        guard p.count >= 2, p.count <= 3, let kind = Kind(rawValue: p[1]) else {
            throw NodeError(.audit, "'\(text)' is not NAME:decimal[:DIGITS], NAME:integer or NAME:identifier")
        }
        if kind != .decimal {
            guard p.count == 2 else { throw NodeError(.audit, "'\(text)': an \(kind.rawValue) column has no fraction digits") }
            return ColumnDeclaration(name: p[0], type: kind)
        }
        guard let digits = p.count == 3 ? Int(p[2]) : 2, (0...18).contains(digits) else {
            throw NodeError(.audit, "'\(text)': fraction digits must be 0...18")
        }
        return ColumnDeclaration(name: p[0], type: .decimal, fractionDigits: digits)
    }
}
