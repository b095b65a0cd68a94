/// An error from Paillier encryption: what was wrong and what to do about it.
///
/// Messages never contain secret values (plaintexts, primes, shares); they name the check that
/// failed and, for threshold decryption, the party whose share failed it.
public struct PaillierError: Error, Hashable, CustomStringConvertible, Sendable {
    public enum Code: Hashable, Sendable {
        /// A modulus of a size this policy does not allow, or not a valid Paillier modulus.
        case invalidKeySize
        /// Private key material that does not match its public key or is not a valid key.
        case invalidKey
        /// A ciphertext outside `1..<n²`.
        case ciphertextOutOfRange
        /// A ciphertext sharing a factor with n (not in Z*_{n²}).
        case ciphertextNotInvertible
        /// A plaintext outside the signed range `(−n/2, n/2)` or the residue range `0..<n`.
        case plaintextOutOfRange
        /// A result that would not fit the plaintext range (detected overflow).
        case overflow
        /// A byte or JSON encoding that could not be parsed.
        case malformedEncoding
        /// A python-paillier value whose float exponent Tacit cannot represent exactly.
        case unsupportedExponent
        /// Threshold parameters that make no sense (t < 1, t > parties, ...).
        case invalidThresholdParameters
        /// A decryption share whose proof of correctness does not verify, or whose value is
        /// invalid: ``PaillierError/party`` names the party.
        case invalidDecryptionShare
        /// Fewer valid shares than the threshold.
        case notEnoughShares
        /// Two shares from one party, or shares for different ciphertexts or keys.
        case inconsistentShares
    }

    public let code: Code
    public let message: String
    /// The threshold party (1-based index) this error is about, if any.
    public let party: Int?
    public let fileID: String
    public let line: Int

    init(_ code: Code, _ message: String, party: Int? = nil, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.party = party
        self.fileID = fileID
        self.line = line
    }

    public var description: String { message }

    public static func == (lhs: PaillierError, rhs: PaillierError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.party == rhs.party
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(party)
    }
}
