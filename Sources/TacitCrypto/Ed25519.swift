internal import CSodium

/// Ed25519 signature verification (RFC 8032) through libsodium.
///
/// The ledger verifies every transaction, proposal and vote on every member, and that is
/// most of its CPU: libsodium's verifier (radix 2^51 field arithmetic) does about 1.5× as
/// many per second on this project's machines as the portable one in swift-crypto's
/// BoringSSL. It is also the stricter of the two: besides S < L it refuses public keys and
/// R values of small order and non-canonical encodings. So whatever it accepts, BoringSSL's
/// verifier (and an auditor's RFC 8032 tool) accepts too; honest signatures verify in both.
/// Signing stays with swift-crypto.
public enum Ed25519 {
    public static let publicKeyBytes = 32
    public static let signatureBytes = 64

    /// True iff `signature` is a valid signature of `message` under `publicKey`. Wrong lengths
    /// are simply invalid: both come from peers and the ledger.
    public static func isValidSignature(_ signature: [UInt8], for message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureBytes, publicKey.count == publicKeyBytes else { return false }
        Sodium.ready()
        // An empty message has no buffer address: libsodium reads nothing of it, but wants one.
        let m = message.isEmpty ? [0] : message
        return signature.withUnsafeBufferPointer { s in
            m.withUnsafeBufferPointer { mb in
                publicKey.withUnsafeBufferPointer { k in
                    guard let sp = s.baseAddress, let mp = mb.baseAddress, let kp = k.baseAddress else { return false }
                    return crypto_sign_verify_detached(sp, mp, UInt64(message.count), kp) == 0
                }
            }
        }
    }
}
