import TacitBytes

/// The wire format of one Tacit message: a ZeroMQ message of exactly two frames, a header
/// and the payload. Keeping the payload in its own frame lets it be sent from, and received
/// into, its own buffer without copying it to prepend a header.
///
/// Header frame, 32 + n bytes, integers big-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `TACT` (0x54 0x41 0x43 0x54) |
/// | 4 | 1 | version, 1 |
/// | 5 | 1 | flags, 0 (anything else is rejected, so a later version can use them) |
/// | 6 | 1 | n, length of the sender name, 1...64 |
/// | 7 | 1 | reserved, 0 |
/// | 8 | 8 | session id |
/// | 16 | 8 | tag |
/// | 24 | 8 | payload length, must equal the size of the payload frame |
/// | 32 | n | sender name, UTF-8 |
///
/// The sender name is a claim: with CURVE the receiver checks it against the member name
/// bound to the connection's authenticated key and drops the message if they differ.
struct FrameHeader: Equatable, Sendable {
    static let magic: [UInt8] = [0x54, 0x41, 0x43, 0x54]
    static let version: UInt8 = 1
    static let fixedSize = 32
    static let maxSize = fixedSize + 64

    var sender: PartyID
    var session: SessionID
    var tag: Tag
    var payloadLength: UInt64

    func encode() -> [UInt8] {
        let name = Array(sender.name.utf8)
        var out = ByteWriter(capacity: Self.fixedSize + name.count)
        out.raw(Self.magic)
        out.raw([Self.version, 0, UInt8(truncatingIfNeeded: name.count), 0])
        out.u64(session.rawValue)
        out.u64(tag.rawValue)
        out.u64(payloadLength)
        out.raw(name)
        return out.bytes
    }

    enum DecodeError: Error, Equatable {
        case malformed(String)
    }

    /// Validates everything; the bytes come from the network.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> FrameHeader {
        guard bytes.count >= fixedSize else { throw .malformed("header of \(bytes.count) bytes is too short") }
        guard bytes.count <= maxSize else { throw .malformed("header of \(bytes.count) bytes is too long") }
        guard bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2], bytes[3] == magic[3] else {
            throw .malformed("bad magic")
        }
        guard bytes[4] == version else { throw .malformed("unsupported version \(bytes[4])") }
        guard bytes[5] == 0, bytes[7] == 0 else { throw .malformed("unknown flags") }
        let n = Int(bytes[6])
        guard n >= 1, n <= 64, bytes.count == fixedSize + n else {
            throw .malformed("sender name length \(n) does not match header size \(bytes.count)")
        }
        guard let name = String(validating: bytes[fixedSize..<(fixedSize + n)], as: UTF8.self),
            PartyID.validate(name) == nil
        else { throw .malformed("sender name is not a valid party name") }
        return FrameHeader(
            sender: PartyID(name), session: SessionID(get(bytes, 8)), tag: Tag(get(bytes, 16)),
            payloadLength: get(bytes, 24))
    }

    /// A big-endian u64 at a fixed offset of the validated header, read in place (the receive
    /// path does not copy the header into an array for a `ByteReader`).
    private static func get(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(b[at + i]) }
        return v
    }
}
