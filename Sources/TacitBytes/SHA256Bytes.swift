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
