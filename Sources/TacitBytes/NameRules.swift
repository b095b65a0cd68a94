/// The one rule for names that travel between members: job ids, party, dataset, column and
/// output names. It lives here, below both the job layer (`NameRules`) and the ledger (which
/// refuses job transactions whose id breaks it), so a spec the YAML path accepts and a job
/// the ledger records obey the same rule. A name that passes may appear in a log line or be
/// a lookup key; it still never names a file (nodes hash peer-supplied text first).
public enum IdentifierRules {
    public static let maxLength = 64

    /// nil when `s` is an acceptable name; otherwise what is wrong with it.
    public static func problem(_ s: String) -> String? {
        if s.isEmpty { return "is empty" }
        if s.utf8.count > maxLength { return "is longer than \(maxLength) characters" }
        let ok = s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        if !ok { return "may contain only letters, digits, '-', '_' and '.'" }
        if s.hasPrefix(".") || s.hasPrefix("-") { return "must not start with '.' or '-'" }
        return nil
    }
}
