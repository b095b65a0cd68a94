internal import COpenSSL

/// The one SHA-256 entry point: ledger hashes and Merkle nodes, input commitments, result
/// digests, proof transcripts, hash-to-curve. OpenSSL's libcrypto, which every Tacit binary
/// links already (randomness, AES, P-256).
public enum SHA256Bytes {
    public static let byteCount = 32

    /// SHA-256 of `data`.
    public static func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        if let digest = data.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(data).withUnsafeBytes { hash($0) }
    }

    /// SHA-256 of the concatenation of `parts` (a domain tag then a body, a Merkle node's
    /// prefix byte then its children), without copying them together. No length prefixes:
    /// where parts could be ambiguous, frame them with ``ByteWriter/data(_:)`` first.
    public static func hash(concatenating parts: [[UInt8]]) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("SHA256Bytes: EVP_MD_CTX_new failed (out of memory)") }
        defer { EVP_MD_CTX_free(ctx) }
        var ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1
        for part in parts {
            ok = part.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) == 1 } && ok
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, nil) == 1 } && ok
        precondition(ok, "SHA256Bytes: OpenSSL's SHA-256 failed")
        return out
    }

    private static func hash(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBufferPointer { output in
            // An empty buffer may have a nil base address; SHA256 reads nothing then.
            _ = SHA256(input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, output.baseAddress)
        }
        return out
    }
}

extension SHA256Bytes {
    /// SHA-256 of many short messages, for hot loops (PSI hashes every element of a set): one
    /// OpenSSL context reused, and the algorithm fetched once. OpenSSL 3's one-shot `SHA256()`
    /// and `EVP_DigestInit_ex(…, EVP_sha256(), …)` fetch it on every call, about 1 µs, several
    /// times the hashing of a short message. Not thread-safe: one per thread.
    public final class Context {
        // Not Sendable: the OpenSSL context belongs to one thread at a time.
        private let md: OpaquePointer
        private let ctx: OpaquePointer

        public init() {
            guard let md = EVP_MD_fetch(nil, "SHA256", nil), let ctx = EVP_MD_CTX_new() else {
                fatalError("SHA256Bytes.Context: OpenSSL could not fetch SHA-256 (out of memory?)")
            }
            self.md = md
            self.ctx = ctx
        }

        deinit {
            EVP_MD_CTX_free(ctx)
            EVP_MD_free(md)
        }

        /// SHA-256 of `prefix` ‖ `message` into the first 32 bytes of `out`.
        public func hash(
            _ prefix: UnsafeRawBufferPointer, _ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
        ) {
            precondition(out.count >= byteCount, "SHA256Bytes.Context: the output needs 32 bytes")
            var ok = EVP_DigestInit_ex2(ctx, md, nil) == 1
            ok = EVP_DigestUpdate(ctx, prefix.baseAddress, prefix.count) == 1 && ok
            ok = EVP_DigestUpdate(ctx, message.baseAddress, message.count) == 1 && ok
            ok = EVP_DigestFinal_ex(ctx, out.baseAddress?.assumingMemoryBound(to: UInt8.self), nil) == 1 && ok
            precondition(ok, "SHA256Bytes.Context: OpenSSL's SHA-256 failed")
        }
    }
}
