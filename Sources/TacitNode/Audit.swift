import Foundation
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

    /// Rebuilds the exact input from a CSV file the auditor was given, using the columns and
    /// types recorded in the party's `InputCommitted`, and checks it against the commitment.
    public static func check(jobID: String, party: PartyID, csv: String, csvName: String, salt: String,
                             entries: [LedgerEntry]) throws -> Finding {
        let c = try committed(jobID: jobID, party: party, entries: entries)
        guard let saltBytes = Hex.decode(salt), saltBytes.count == 32 else {
            throw NodeError(.audit, "the salt must be 64 hex digits (32 bytes)")
        }
        let columns = try CSV.extract(csv, columns: c.columns, file: csvName)
        let input = DatasetInput(jobID: jobID, party: party, dataset: c.dataset, columns: columns)
        let recomputed = InputCommitment.compute(input, salt: saltBytes).digest
        return Finding(matches: recomputed == c.commitment, commitment: c.commitment, recomputed: recomputed,
                       rows: input.rowCount, columns: c.columns.map(\.name))
    }

    /// Checks an opening bundle (`tacit audit export`) against the ledger.
    public static func check(opening: CommitmentOpening, entries: [LedgerEntry]) throws -> Finding {
        let c = try committed(jobID: opening.input.jobID, party: opening.input.party, entries: entries)
        guard let saltBytes = Hex.decode(opening.salt), saltBytes.count == 32 else {
            throw NodeError(.audit, "the opening's salt must be 64 hex digits (32 bytes)")
        }
        guard opening.input.dataset == c.dataset, opening.input.columns.map(\.declaration) == c.columns else {
            throw NodeError(.audit, "the opening covers other columns than the ledger's InputCommitted")
        }
        let recomputed = InputCommitment.compute(opening.input, salt: saltBytes).digest
        return Finding(matches: recomputed == c.commitment, commitment: c.commitment, recomputed: recomputed,
                       rows: opening.input.rowCount, columns: c.columns.map(\.name))
    }

    static func committed(jobID: String, party: PartyID, entries: [LedgerEntry]) throws
        -> (dataset: String, columns: [ColumnDeclaration], commitment: String)
    {
        for e in entries where e.author == party {
            if case .inputCommitted(let j, let d, let cols, let digest) = e.transaction, j == jobID {
                return (d, cols, digest)
            }
        }
        throw NodeError(.audit, "the ledger has no InputCommitted by \(party) for job \(jobID)")
    }
}
