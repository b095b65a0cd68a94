internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's `RAND_bytes` (seeded from the
/// operating system). This is what keys, shares and masks must come from; never GMP's
/// Mersenne Twister.
///
/// A `RandomNumberGenerator`, so it also drives Swift's `random(in:using:)`.
public struct SecureRandom: RandomNumberGenerator, Sendable {
    // One stored byte, never read: an empty struct has no address of its own, and the thread
    // sanitizer checks an `inout` access to one in unspecialised generic code (`random(below:
    // using:)`) at a placeholder address shared by every thread, reporting two parties'
    // independent generators as an access race (swiftlang/swift#35579 skips only types it
    // knows to be empty).
    private var addressable: UInt8 = 0

    public init() {}

    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { SecureRandom.fill($0) }
        return value
    }

    /// Fills `buffer` with random bytes. A failing system generator is not something a
    /// cryptographic program can carry on from, so it stops the process, as Swift's own
    /// `SystemRandomNumberGenerator` does.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, Int(Int32.max))
            guard RAND_bytes(base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(chunk)) == 1 else {
                fatalError("SecureRandom: OpenSSL RAND_bytes failed (error \(ERR_get_error())); no secure randomness is available")
            }
            offset += chunk
        }
    }

    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }
}

/// Zeroes memory in a way the optimiser cannot drop.
public func secureZero(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    OPENSSL_cleanse(base, buffer.count)
}
