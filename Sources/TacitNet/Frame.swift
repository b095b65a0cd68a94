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
/// | 5 | 1 | flags: 0, or 1 for a piece of a larger message (anything else is rejected) |
/// | 6 | 1 | n, length of the sender name, 1...64 |
/// | 7 | 1 | reserved, 0 |
/// | 8 | 8 | session id |
/// | 16 | 8 | tag |
/// | 24 | 8 | payload length, must equal the size of the payload frame |
/// | 32 | n | sender name, UTF-8 |
///
/// A piece (flags 1) carries 24 more bytes between the fixed part and the name: message id,
/// total length of the message, offset of this piece in it (u64 each); the name then starts
/// at 56. Payloads larger than `MeshConfiguration.pieceSize` travel as pieces, so no single
/// ZeroMQ message takes long enough to arrive that a heartbeat timeout cuts it.
///
/// The sender name is a claim: with CURVE the receiver checks it against the member name
/// bound to the connection's authenticated key and drops the message if they differ.
struct FrameHeader: Equatable, Sendable {
    static let magic: [UInt8] = [0x54, 0x41, 0x43, 0x54]
    static let version: UInt8 = 1
    static let fixedSize = 32
    static let pieceSize = 24
    static let maxSize = fixedSize + pieceSize + 64

    struct Piece: Equatable, Sendable {
        var messageID: UInt64
        var total: UInt64
        var offset: UInt64
    }

    var sender: PartyID
    var session: SessionID
    var tag: Tag
    var payloadLength: UInt64
    var piece: Piece? = nil

    func encode() -> [UInt8] {
        let name = Array(sender.name.utf8)
        var out = ByteWriter(capacity: Self.maxSize)
        out.raw(Self.magic)
        out.raw([Self.version, piece == nil ? 0 : 1, UInt8(truncatingIfNeeded: name.count), 0])
        out.u64(session.rawValue)
        out.u64(tag.rawValue)
        out.u64(payloadLength)
        if let piece {
            out.u64(piece.messageID)
            out.u64(piece.total)
            out.u64(piece.offset)
        }
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
        guard bytes[5] <= 1, bytes[7] == 0 else { throw .malformed("unknown flags") }
        let isPiece = bytes[5] == 1
        let start = fixedSize + (isPiece ? pieceSize : 0)
        let n = Int(bytes[6])
        guard n >= 1, n <= 64, bytes.count == start + n else {
            throw .malformed("sender name length \(n) does not match header size \(bytes.count)")
        }
        guard let name = String(validating: bytes[start..<(start + n)], as: UTF8.self),
            PartyID.validate(name) == nil
        else { throw .malformed("sender name is not a valid party name") }
        return FrameHeader(
            sender: PartyID(name), session: SessionID(get(bytes, 8)), tag: Tag(get(bytes, 16)),
            payloadLength: get(bytes, 24),
            piece: isPiece ? Piece(messageID: get(bytes, 32), total: get(bytes, 40), offset: get(bytes, 48)) : nil)
    }

    /// A big-endian u64 at a fixed offset of the validated header, read in place (the receive
    /// path does not copy the header into an array for a `ByteReader`).
    private static func get(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(b[at + i]) }
        return v
    }
}
