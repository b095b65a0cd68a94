/// Reads what ``ByteWriter`` wrote. Every read is bounds-checked before anything is
/// allocated and fails with the caller's own error type (`Failure`), naming the message
/// (`what`), the field and the byte offset, so untrusted bytes from a peer or the ledger can
/// only ever produce an error, never a trap or a huge allocation.
public struct ByteReader<Failure: ByteDecodingError> {
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0
    /// What is being read, for error messages: "transaction", "ciphertext".
    public let what: String

    /// A reader over `bytes` that fails with `errors` (`ByteReadFailure.self` when the caller
    /// has no error type of its own).
    public init(_ bytes: [UInt8], what: String, errors: Failure.Type) {
        self.bytes = bytes
        self.what = what
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    /// The caller's error for a check of its own (bad magic, wrong kind) at the current offset.
    public func failure(_ reason: String, field: String = "") -> Failure {
        Failure(ByteReadFailure(what: what, field: field, offset: offset, problem: .invalid(reason)))
    }

    private func fail(_ field: String, _ problem: ByteReadFailure.Problem) -> Failure {
        Failure(ByteReadFailure(what: what, field: field, offset: offset, problem: problem))
    }

    private func need(_ n: Int, _ field: String) throws(Failure) {
        guard n >= 0, remaining >= n else { throw fail(field, .truncated(needed: n, remaining: remaining)) }
    }

    public mutating func u8(_ field: String) throws(Failure) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }
    public mutating func u16(_ field: String) throws(Failure) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    public mutating func u32(_ field: String) throws(Failure) -> UInt32 {
        try need(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }
    public mutating func u64(_ field: String) throws(Failure) -> UInt64 {
        try need(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }
    /// `n` fixed-size bytes, copied.
    public mutating func raw(_ n: Int, _ field: String) throws(Failure) -> [UInt8] {
        Array(try slice(n, field))
    }
    /// `n` fixed-size bytes, without copying (for a big integer read straight from them).
    public mutating func slice(_ n: Int, _ field: String) throws(Failure) -> ArraySlice<UInt8> {
        try need(n, field)
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
    /// A `u32` length, at most `max`, then that many bytes.
    public mutating func data(_ field: String, max: Int = 64 << 20) throws(Failure) -> [UInt8] {
        let n = Int(try u32("\(field) length"))
        guard n <= max else { throw fail(field, .overLimit(claimed: n, limit: max)) }
        return try raw(n, field)
    }
    /// ``data(_:max:)`` that must be valid UTF-8.
    public mutating func string(_ field: String, max: Int = 1 << 20) throws(Failure) -> String {
        let b = try data(field, max: max)
        guard let s = String(validating: b, as: UTF8.self) else { throw fail(field, .notUTF8) }
        return s
    }
    /// A `u32` count, at most `maxCount`, then that many strings.
    public mutating func strings(_ field: String, maxCount: Int = 4096) throws(Failure) -> [String] {
        let n = Int(try u32("\(field) count"))
        guard n <= maxCount, n <= remaining / 4 else {
            throw fail(field, .tooManyEntries(claimed: n, limit: maxCount))
        }
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try string(field)) }
        return out
    }
    /// A `u32` count of items that each take at least `minSize` bytes: rejects counts the
    /// remaining bytes cannot hold before anything is allocated.
    public mutating func count(_ field: String, minSize: Int = 1, max: Int = 1 << 24) throws(Failure) -> Int {
        let n = Int(try u32("\(field) count"))
        guard n <= max, n * minSize <= remaining else { throw fail(field, .tooManyEntries(claimed: n, limit: max)) }
        return n
    }
    /// Fails unless every byte was read.
    public func finish() throws(Failure) {
        guard isAtEnd else { throw fail("", .trailingBytes(remaining)) }
    }
}

/// An error type a ``ByteReader`` can fail with: each module keeps its own (`LedgerError`,
/// `PaillierError`) and says here how a malformed message becomes one.
public protocol ByteDecodingError: Error {
    init(_ failure: ByteReadFailure)
}

/// Why bytes did not read as the message they claim to be.
public struct ByteReadFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Problem: Hashable, Sendable {
        case truncated(needed: Int, remaining: Int)
        /// A length field larger than the reader allows.
        case overLimit(claimed: Int, limit: Int)
        /// A count larger than the reader allows or than the bytes left can hold.
        case tooManyEntries(claimed: Int, limit: Int)
        case notUTF8
        case trailingBytes(Int)
        /// A check of the caller's own (``ByteReader/failure(_:field:)``).
        case invalid(String)
    }

    public let what: String
    public let field: String
    public let offset: Int
    public let problem: Problem

    public init(what: String, field: String, offset: Int, problem: Problem) {
        self.what = what
        self.field = field
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .truncated(let n, let left):
            return "\(what): truncated at byte \(offset) while reading \(field) (need \(n) bytes, \(left) left); "
                + "the bytes are corrupt or not a \(what)"
        case .overLimit(let n, let limit):
            return "\(what): \(field) claims \(n) bytes, more than the limit of \(limit)"
        case .tooManyEntries(let n, let limit):
            return "\(what): \(field) claims \(n) entries, more than the limit of \(limit) or than the bytes left can hold"
        case .notUTF8:
            return "\(what): \(field) is not valid UTF-8"
        case .trailingBytes(let n):
            return "\(what): \(n) unexpected trailing bytes; the bytes are corrupt"
        case .invalid(let reason):
            return "\(what) at byte \(offset): \(reason)"
        }
    }
}

extension ByteReadFailure: ByteDecodingError {
    public init(_ failure: ByteReadFailure) { self = failure }
}
