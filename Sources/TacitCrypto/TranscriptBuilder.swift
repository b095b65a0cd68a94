import TacitBytes
import TacitMath

/// Builds an unambiguous byte string for hashing (Fiat–Shamir challenges): the domain, then
/// every item as a length-prefixed field of ``ByteWriter`` (`u32` length, then the bytes;
/// integers as their minimal big-endian bytes).
struct TranscriptBuilder {
    private var writer = ByteWriter()
    var bytes: [UInt8] { writer.bytes }

    init(domain: String) {
        writer.string(domain)
    }

    mutating func append(_ data: [UInt8]) { writer.data(data) }

    mutating func append(_ value: BigInt) { writer.data(value.bigEndianBytes) }

    mutating func append(_ value: Int) { append(BigInt(value)) }

    func digest() -> [UInt8] { SHA256Bytes.hash(writer.bytes) }
}
