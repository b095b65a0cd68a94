public import TacitMath

extension Paillier.PrivateKey {
    /// Decrypts to the residue `0 ≤ m < n`.
    ///
    /// CRT over p² and q²: `m_p = L_p(c^(p−1) mod p²) · h_p mod p`, the same for q, then
    /// recombination. Both exponentiations use GMP's side-channel-silent `mpn_sec_powm` with the
    /// public bound |p| on the exponent's length, because p − 1 and q − 1 are secret.
    public func decryptResidue(_ ciphertext: Paillier.Ciphertext) -> BigInt {
        let scratch = DecryptionScratch(key: self)
        return scratch.decrypt(ciphertext.value)
    }

    /// Decrypts to a signed value in `(−n/2, n/2)`.
    public func decrypt(_ ciphertext: Paillier.Ciphertext) -> BigInt {
        publicKey.signedValue(residue: decryptResidue(ciphertext))
    }

    /// Decrypts and checks that the value is at most `bound` in magnitude: the way to detect
    /// overflow when the inputs are known to be bounded (a wrapped result lands far outside).
    public func decrypt(_ ciphertext: Paillier.Ciphertext, bound: BigInt) throws -> BigInt {
        let value = decrypt(ciphertext)
        guard value.magnitude <= bound else {
            throw PaillierError(.overflow, "the decrypted value exceeds the expected bound: the computation overflowed the plaintext range (or its inputs were not bounded as assumed)")
        }
        return value
    }

    /// Decrypts a fixed-point amount; a value outside the format's range (the sign of an
    /// overflow) throws.
    public func decrypt(_ ciphertext: Paillier.Ciphertext, format: FixedPointFormat) throws -> String {
        do {
            return try format.decode(decrypt(ciphertext))
        } catch let error as MathError {
            throw PaillierError(.overflow, "the decrypted value is outside the fixed-point format: \(error.message)")
        }
    }
}

/// Per-task decryption state: modular contexts for p² and q² with their constant-time
/// exponentiation scratch. Not thread-safe; batch decryption gives each task its own.
final class DecryptionScratch {
    let key: Paillier.PrivateKey
    let contextP: ModularContext
    let contextQ: ModularContext
    private var up: BigInt
    private var uq: BigInt

    init(key: Paillier.PrivateKey) {
        self.key = key
        contextP = ModularContext(modulus: key.pSquared)
        contextQ = ModularContext(modulus: key.qSquared)
        up = contextP.makeResult()
        uq = contextQ.makeResult()
    }

    func decrypt(_ c: BigInt) -> BigInt {
        let p = key.p, q = key.q
        contextP.constantTimePower(c, key.pMinusOne, exponentBits: p.bitWidth, into: &up)
        contextQ.constantTimePower(c, key.qMinusOne, exponentBits: q.bitWidth, into: &uq)
        let mp = (((up - 1) / p) * key.hp).modulo(p)
        let mq = (((uq - 1) / q) * key.hq).modulo(q)
        return mp + p * ((mq - mp) * key.pInverseModQ).modulo(q)
    }
}
