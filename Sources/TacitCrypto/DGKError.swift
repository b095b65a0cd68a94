/// An error from DGK encryption: what was wrong and what to do about it. Messages never
/// contain secret values (plaintexts, primes, randomness).
public struct DGKError: Error, Hashable, CustomStringConvertible, Sendable {
    public enum Code: Hashable, Sendable {
        /// A modulus of a size the policy does not allow, or not a possible DGK modulus (even,
        /// prime, of another width than stated).
        case invalidKeySize
        /// A plaintext modulus u that is not a small prime in range, or too large for the key.
        case invalidPlaintextModulus
        /// A randomness length t outside what the policy allows or the key can hold.
        case invalidRandomnessLength
        /// Key elements (g, h) outside `2..<n` or not coprime to n, or private key material
        /// that does not match its public key.
        case invalidKey
        /// A ciphertext outside `1..<n`.
        case ciphertextOutOfRange
        /// A plaintext outside `0..<u`.
        case plaintextOutOfRange
        /// A ciphertext that is not an encryption of any m < u under this key.
        case notDecryptable
        /// Bytes that do not parse as the message they claim to be.
        case malformedEncoding
    }

    public let code: Code
    public let message: String
    public let fileID: String
    public let line: Int

    init(_ code: Code, _ message: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.fileID = fileID
        self.line = line
    }

    public var description: String { message }

    /// Errors compare on their code only, so tests match on what went wrong, not on wording.
    public static func == (lhs: DGKError, rhs: DGKError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
