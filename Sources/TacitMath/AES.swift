internal import COpenSSL

/// A cryptographic pseudo-random generator: AES-128 in counter mode (OpenSSL, AES-NI where the
/// CPU has it) keyed by a 16-byte seed. Two parties holding the same seed draw the same
/// stream, which is how MPC protocols derive correlated randomness without sending it
/// (pairwise PRG keys, the dealer's seeds). Not thread-safe: one stream per task.
///
/// Security: the output is indistinguishable from random to anyone without the seed, for up
/// to 2^64 blocks per seed (AES-CTR's bound); a seed must never be reused for two purposes.
public final class AESPRG: RandomNumberGenerator {
    // Not Sendable: the cipher context and buffer belong to the stream's owner.
    private let context: OpaquePointer
    private var buffer: [UInt64] = []
    private var position = 0

    /// `seed` must be 16 bytes.
    public init(seed: [UInt8]) {
        precondition(seed.count == 16, "AESPRG: the seed must be 16 bytes, got \(seed.count)")
        guard let ctx = EVP_CIPHER_CTX_new() else { fatalError("AESPRG: EVP_CIPHER_CTX_new failed") }
        let iv = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nil, seed, iv) == 1 else {
            fatalError("AESPRG: EVP_EncryptInit_ex failed (error \(ERR_get_error()))")
        }
        context = ctx
    }

    /// A fresh random seed from ``SecureRandom``.
    public static func randomSeed() -> [UInt8] { SecureRandom.bytes(16) }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Overwrites `bytes` with the next `bytes.count` bytes of the stream.
    public func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // CTR keystream = encryption of zeroes, read from a shared zero block rather than
        // zeroing the destination first (one pass over the memory instead of two).
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, aesZeroBytes)
            var written: Int32 = 0
            let p = base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            guard EVP_EncryptUpdate(context, p, &written, aesZeroes, Int32(chunk)) == 1, Int(written) == chunk else {
                fatalError("AESPRG: EVP_EncryptUpdate failed (error \(ERR_get_error()))")
            }
            offset += chunk
        }
    }

    /// The next `count` 64-bit words of the stream.
    public func words(_ count: Int) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { out, initialised in
            fill(UnsafeMutableRawBufferPointer(out))
            initialised = count
        }
    }

    /// The next `count` bytes.
    public func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { out, initialised in
            fill(UnsafeMutableRawBufferPointer(out))
            initialised = count
        }
    }

    public func next() -> UInt64 {
        if position == buffer.count {
            buffer = words(512)
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }
}

/// Zeroes for the CTR keystream (read only).
private let aesZeroBytes = 1 << 16
nonisolated(unsafe) private let aesZeroes: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: aesZeroBytes)
    p.initialize(repeating: 0, count: aesZeroBytes)
    return UnsafePointer(p)
}()

/// AES-128 with a fixed, public key, as the random permutation π of fixed-key hashing in OT
/// extension (TacitMPC's `TweakableHash` builds Guo et al. 2020's TCCR hash from it). Blocks
/// are 16 bytes; encryption is in place over whole buffers (AES-NI pipelines
/// independent blocks). Not thread-safe: one instance per task.
public final class FixedKeyAES {
    // Not Sendable: the cipher context belongs to its owner.
    private let context: OpaquePointer

    public init(key: [UInt8] = Array("Tacit fixed key!".utf8)) {
        precondition(key.count == 16, "FixedKeyAES: the key must be 16 bytes")
        guard let ctx = EVP_CIPHER_CTX_new() else { fatalError("FixedKeyAES: EVP_CIPHER_CTX_new failed") }
        guard EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nil, key, nil) == 1 else {
            fatalError("FixedKeyAES: EVP_EncryptInit_ex failed (error \(ERR_get_error()))")
        }
        EVP_CIPHER_CTX_set_padding(ctx, 0)
        context = ctx
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Encrypts `blocks` (a multiple of 16 bytes) in place.
    public func encrypt(inPlace blocks: UnsafeMutableRawBufferPointer) {
        precondition(blocks.count % 16 == 0, "FixedKeyAES: whole 16-byte blocks only")
        guard let base = blocks.baseAddress, blocks.count > 0 else { return }
        var offset = 0
        while offset < blocks.count {
            let chunk = min(blocks.count - offset, 1 << 30)
            var written: Int32 = 0
            let p = base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            guard EVP_EncryptUpdate(context, p, &written, p, Int32(chunk)) == 1, Int(written) == chunk else {
                fatalError("FixedKeyAES: EVP_EncryptUpdate failed (error \(ERR_get_error()))")
            }
            offset += chunk
        }
    }
}
