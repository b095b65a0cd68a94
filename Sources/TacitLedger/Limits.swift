/// How large the ledger's pieces may be. Every decoder checks these before it allocates, and a
/// member never authors, admits, proposes or gossips anything above them, so what one honest
/// member sends every other accepts.
///
/// Sized for one sealed job output of up to 48 MiB of canonical text (a million-row payout
/// table is about 30 MB) in a single transaction, as the node seals it: chunks of 8 MiB, each
/// a sealed field (Docs/TacitLedger.md, "Sealed job outputs").
public enum LedgerLimits {
    /// A transaction body (a job spec, a public result).
    public static let maxBodyBytes = 32 << 20
    /// One sealed field's ciphertext (nonce, ciphertext, tag).
    public static let maxSealedFieldBytes = 16 << 20
    /// Sealed fields in one transaction.
    public static let maxSealedFields = 64
    /// A transaction's canonical bytes, body and sealed fields included.
    public static let maxTransactionBytes = 64 << 20
    /// The transactions of one block together: room for at least one transaction of the
    /// largest size. A proposal, a commit or a sync answer carries one block (plus a header
    /// and a certificate under 1 MiB), and a gossiped batch of transactions is cut at this
    /// size too, so every ledger message stays far below the mesh's `maxMessageSize` (1 GiB)
    /// and its per-peer mailbox (1.25 GiB).
    public static let maxBlockBytes = 128 << 20
}
