/// The messages of a batch, read by position: an array of arrays, or one packed buffer with
/// offsets (a PSI set of ten million identifiers), without a heap array per message.
public protocol ByteStrings: Sendable {
    var count: Int { get }
    /// Calls `body` with the bytes of message `i` (0-based, whatever the collection's indices).
    func withMessage<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R
}

extension Array: ByteStrings where Element == [UInt8] {
    public func withMessage<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try self[i].withUnsafeBufferPointer(body)
    }
}

extension ArraySlice: ByteStrings where Element == [UInt8] {
    public func withMessage<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try self[startIndex + i].withUnsafeBufferPointer(body)
    }
}
