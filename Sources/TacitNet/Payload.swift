/// Bytes that cross the mesh. Immutable and reference-counted, so handing one to the
/// transport or to another task never copies it; large payloads (100 MB and more) are sent
/// from and received into the same buffer ZeroMQ uses.
public struct Payload: Sendable, Equatable, CustomStringConvertible {
    let storage: PayloadStorage

    init(storage: PayloadStorage) { self.storage = storage }

    /// Copies `bytes` once into transport-ready memory.
    public init(_ bytes: some Collection<UInt8>) {
        let count = bytes.count
        self.init(unsafeUninitializedCount: count) { buffer in
            _ = buffer.initialize(from: bytes)
        }
    }

    /// Builds a payload in place: `initializer` must initialise all `count` bytes. No copy
    /// is ever made of what it writes.
    public init(
        unsafeUninitializedCount count: Int,
        initializingWith initializer: (UnsafeMutableBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        precondition(count >= 0, "Payload count must not be negative")
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        let typed = memory.bindMemory(to: UInt8.self, capacity: max(count, 1))
        do {
            try initializer(UnsafeMutableBufferPointer(start: typed, count: count))
        } catch {
            memory.deallocate()
            throw error
        }
        self.storage = PayloadStorage(base: UnsafeRawPointer(memory), count: count) {
            memory.deallocate()
        }
    }

    public static let empty = Payload([UInt8]())

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
    }

    /// A copy as an array, for code that wants one.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (a: Payload, b: Payload) -> Bool {
        if a.storage === b.storage { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    // Never the contents: payloads hold shares and ciphertexts, and descriptions end up in logs.
    public var description: String { "Payload(\(count) bytes)" }
}

/// Owns one immutable byte buffer and knows how to free it, whether Swift allocated it or
/// it is a received ZeroMQ message kept alive to avoid a copy.
final class PayloadStorage: @unchecked Sendable {
    // @unchecked: the bytes are never written after init, and `release` runs once, in deinit.
    let base: UnsafeRawPointer
    let count: Int
    private let release: () -> Void

    init(base: UnsafeRawPointer, count: Int, release: @escaping () -> Void) {
        self.base = base
        self.count = count
        self.release = release
    }

    deinit { release() }
}
