/// The one encoder of length-prefixed big-endian fields: the ledger's transactions and
/// blocks, input commitments and result digests, the Paillier wire form, hash transcripts.
///
/// Integers are unsigned big-endian of fixed width; a variable-size field (`data`, `string`)
/// is a `u32` length then the bytes; `raw` is fixed-size bytes with no prefix. No padding,
/// no optional fields: the same values always give the same bytes, so what is hashed or
/// signed is canonical. ``ByteReader`` reads it back.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    public mutating func u32(_ v: UInt32) {
        for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }
    public mutating func u64(_ v: UInt64) {
        for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
    }
    /// Fixed-size bytes (hashes, keys, signatures, integers of a width both sides know): no
    /// length prefix.
    public mutating func raw(_ b: some Collection<UInt8>) { bytes.append(contentsOf: b) }
    /// Variable-size bytes: a `u32` length, then the bytes.
    public mutating func data(_ b: some Collection<UInt8>) {
        precondition(b.count <= UInt32.max, "ByteWriter: a field of \(b.count) bytes does not fit a u32 length")
        u32(UInt32(b.count))
        bytes.append(contentsOf: b)
    }
    /// UTF-8, as ``data(_:)``.
    public mutating func string(_ s: String) { data(Array(s.utf8)) }
    /// A `u32` count, then each string as ``string(_:)``.
    public mutating func strings(_ list: [String]) {
        u32(UInt32(list.count))
        for s in list { string(s) }
    }
}
