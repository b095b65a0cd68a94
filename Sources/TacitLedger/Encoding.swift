public import TacitBytes

// The canonical binary encoding of everything the ledger hashes and signs is TacitBytes'
// `ByteWriter`/`ByteReader`: big-endian integers, byte strings and UTF-8 strings prefixed
// with a u32 length, no padding, no optional fields. `Docs/TacitLedger.md` gives every layout
// byte by byte.

/// Reads ledger bytes; every failure is a `LedgerError` `.malformed` naming what was being
/// read.
typealias LedgerReader = ByteReader<LedgerError>

extension ByteReader where Failure == LedgerError {
    init(_ bytes: [UInt8], what: String) { self.init(bytes, what: what, errors: LedgerError.self) }
}

extension LedgerError: ByteDecodingError {
    /// Bytes that do not decode as what they claim to be: `.malformed`.
    public init(_ failure: ByteReadFailure) { self.init(.malformed, failure.description) }
}

extension Array where Element == UInt8 {
    var hex: String { Hex.encode(self) }

    init?(hex: String) {
        guard let b = Hex.decode(hex) else { return nil }
        self = b
    }
}
