/// The canonical binary encoding of everything the ledger hashes and signs: big-endian
/// integers, byte strings and UTF-8 strings prefixed with a u32 length, no padding, no
/// optional fields. `Docs/LEDGER.md` gives every layout byte by byte.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) {
        for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }
    mutating func u64(_ v: UInt64) {
        for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
    }
    /// Fixed-size bytes (hashes, keys, signatures): no length prefix.
    mutating func raw(_ b: some Collection<UInt8>) { bytes.append(contentsOf: b) }
    /// Variable-size bytes: u32 length, then the bytes.
    mutating func data(_ b: some Collection<UInt8>) { u32(UInt32(b.count)); bytes.append(contentsOf: b) }
    mutating func string(_ s: String) { data(Array(s.utf8)) }
    mutating func strings(_ list: [String]) {
        u32(UInt32(list.count))
        for s in list { string(s) }
    }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked and throws `.malformed`
/// naming what was being read.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.offset = 0
        self.what = what
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    private func need(_ n: Int, _ field: String) throws {
        guard n >= 0, remaining >= n else {
            throw LedgerError(
                .malformed,
                "\(what): truncated while reading \(field) (need \(n) bytes, \(remaining) left); the bytes are corrupt or not a \(what)")
        }
    }

    mutating func u8(_ field: String) throws -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }
    mutating func u16(_ field: String) throws -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    mutating func u32(_ field: String) throws -> UInt32 {
        try need(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }
    mutating func u64(_ field: String) throws -> UInt64 {
        try need(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }
    mutating func raw(_ n: Int, _ field: String) throws -> [UInt8] {
        try need(n, field)
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
    mutating func data(_ field: String, max: Int = 64 << 20) throws -> [UInt8] {
        let n = Int(try u32("\(field) length"))
        guard n <= max else {
            throw LedgerError(.malformed, "\(what): \(field) claims \(n) bytes, more than the limit of \(max)")
        }
        return try raw(n, field)
    }
    mutating func string(_ field: String, max: Int = 1 << 20) throws -> String {
        let b = try data(field, max: max)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw LedgerError(.malformed, "\(what): \(field) is not valid UTF-8")
        }
        return s
    }
    mutating func strings(_ field: String, maxCount: Int = 4096) throws -> [String] {
        let n = Int(try u32("\(field) count"))
        guard n <= maxCount, n <= remaining / 4 else {
            throw LedgerError(.malformed, "\(what): \(field) claims \(n) entries; at most \(maxCount) allowed")
        }
        return try (0..<n).map { _ in try string(field) }
    }
    /// A count of items that each take at least `minSize` bytes: rejects counts the remaining
    /// bytes cannot hold before anything is allocated.
    mutating func count(_ field: String, minSize: Int = 1, max: Int = 1 << 24) throws -> Int {
        let n = Int(try u32("\(field) count"))
        guard n <= max, n * minSize <= remaining else {
            throw LedgerError(.malformed, "\(what): \(field) claims \(n) entries, more than the bytes left can hold")
        }
        return n
    }
    func finish() throws {
        guard isAtEnd else {
            throw LedgerError(.malformed, "\(what): \(remaining) unexpected trailing bytes; the bytes are corrupt")
        }
    }
}

extension Array where Element == UInt8 {
    var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    init?(hex: String) {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < u.count {
            guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }
}
