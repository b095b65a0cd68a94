import TacitJob
import TacitNet

extension Audit {
    /// `check(jobID:party:…)` for a party given by name and columns given as an auditor types
    /// them (`amount:decimal:2`, `age:integer`).
    public static func check(jobID: String, partyName: String, csv: String, csvName: String, salt: String,
                             columnSpecs: [String], entries: [LedgerEntry]) throws -> Finding {
        try check(jobID: jobID, party: PartyID(partyName), csv: csv, csvName: csvName, salt: salt,
                  types: try columnSpecs.map { try ColumnDeclaration.parse(spec: $0) }, entries: entries)
    }
}

extension LedgerEntry {
    /// The signing party's name.
    public var authorName: String { author.name }
}
