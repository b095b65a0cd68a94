import TacitNet

extension Audit {
    /// `check(jobID:party:…)` for a party given by name (as an auditor types it).
    public static func check(jobID: String, partyName: String, csv: String, csvName: String, salt: String,
                             types: [ColumnDeclaration], entries: [LedgerEntry]) throws -> Finding {
        try check(jobID: jobID, party: PartyID(partyName), csv: csv, csvName: csvName, salt: salt, types: types, entries: entries)
    }
}

extension LedgerEntry {
    /// The signing party's name.
    public var authorName: String { author.name }
}
