public import TacitMath

/// Homomorphic operations. Arithmetic is modulo n: a result whose true value leaves
/// `(−n/2, n/2)` wraps around silently (see `Docs/TacitCrypto.md`, "Overflow", for the bounds
/// that rule this out and the checked decryptions that detect it).
extension Paillier.PublicKey {
    /// E(a + b) = E(a) · E(b).
    public func add(_ a: Paillier.Ciphertext, _ b: Paillier.Ciphertext) -> Paillier.Ciphertext {
        Paillier.Ciphertext(unchecked: (a.value * b.value).modulo(nSquared))
    }

    /// E(a − b) = E(a) · E(b)^(−1).
    public func subtract(_ a: Paillier.Ciphertext, _ b: Paillier.Ciphertext) -> Paillier.Ciphertext {
        add(a, negate(b))
    }

    /// E(−a) = E(a)^(−1) mod n².
    public func negate(_ a: Paillier.Ciphertext) -> Paillier.Ciphertext {
        // a is in Z*_{n²} (checked at ingress or by construction), so the inverse exists.
        Paillier.Ciphertext(unchecked: a.value.inverse(nSquared)!)
    }

    /// E(a + k) = E(a) · (1 + k·n) for a signed plaintext k in `(−n/2, n/2)`.
    public func add(_ a: Paillier.Ciphertext, plaintext k: BigInt) throws -> Paillier.Ciphertext {
        let m = try residue(signed: k)
        return Paillier.Ciphertext(unchecked: (a.value * encodeNude(m)).modulo(nSquared))
    }

    public func add(_ a: Paillier.Ciphertext, plaintext k: Int) throws -> Paillier.Ciphertext {
        try add(a, plaintext: BigInt(k))
    }

    /// E(a · k) = E(a)^k for a signed plaintext k in `(−n/2, n/2)`; a negative k uses the
    /// inverse, so its cost follows |k|'s length.
    public func multiply(_ a: Paillier.Ciphertext, by k: BigInt) throws -> Paillier.Ciphertext {
        guard k.magnitude <= maxSignedPlaintext else {
            throw PaillierError(.plaintextOutOfRange, "the constant lies outside the signed range (−n/2, n/2) of this \(bits)-bit key")
        }
        let base = k.isNegative ? a.value.inverse(nSquared)! : a.value
        return Paillier.Ciphertext(unchecked: base.power(k.magnitude, modulus: nSquared))
    }

    public func multiply(_ a: Paillier.Ciphertext, by k: Int) throws -> Paillier.Ciphertext {
        try multiply(a, by: BigInt(k))
    }

    /// The same plaintext under a fresh randomiser: unlinkable to `a` for anyone without the
    /// private key.
    public func rerandomize(_ a: Paillier.Ciphertext, method: EncryptionMethod = .automatic) throws -> Paillier.Ciphertext {
        try Paillier.Ciphertext(unchecked: (a.value * makeRandomizer(method: method)).modulo(nSquared))
    }

    /// The largest magnitude each of `terms` summed plaintexts may have so that the sum stays
    /// inside `(−n/2, n/2)` and decrypts exactly: `⌊(n−1)/2 / terms⌋`.
    public func maxMagnitude(forSumOf terms: Int) -> BigInt {
        precondition(terms >= 1, "maxMagnitude(forSumOf:): at least one term")
        return maxSignedPlaintext / BigInt(terms)
    }

    /// Throws ``PaillierError/Code/overflow`` unless a sum of `terms` values, each of
    /// magnitude at most `magnitude`, and each multiplied by a constant of magnitude at most
    /// `scale`, is guaranteed to stay inside `(−n/2, n/2)`. Call before an aggregation whose
    /// inputs are bounded by policy (a fixed-point format, say).
    public func checkNoOverflow(terms: Int, magnitude: BigInt, scale: BigInt = 1) throws {
        guard BigInt(terms) * magnitude * scale <= maxSignedPlaintext else {
            throw PaillierError(.overflow, "\(terms) terms of this magnitude could overflow the \(bits)-bit plaintext range: use fewer terms, smaller values or a larger key")
        }
    }
}

extension Paillier {
    /// Homomorphic arithmetic for hot loops: one context per task, results written without
    /// intermediate allocation. Not thread-safe.
    public final class Evaluator {
        public let publicKey: PublicKey
        let context: ModularContext

        public init(publicKey: PublicKey) {
            self.publicKey = publicKey
            context = ModularContext(modulus: publicKey.nSquared)
        }

        public func add(_ a: Ciphertext, _ b: Ciphertext) -> Ciphertext {
            var result = context.makeResult()
            context.multiply(a.value, b.value, into: &result)
            return Ciphertext(unchecked: result)
        }

        /// `accumulator += b`, in place.
        public func accumulate(_ accumulator: inout BigInt, _ b: Ciphertext) {
            context.multiply(&accumulator, by: b.value)
        }
    }
}
