public import TacitMath
import TacitBytes

extension Paillier.PublicKey {
    /// How an encryption obtains its randomiser `r^n mod n²` (or DJN's `hs^r'`).
    public enum EncryptionMethod: Sendable, Hashable {
        /// DJN fast encryption when the key has hs, textbook otherwise (the default).
        case automatic
        /// `r^n mod n²` for r uniform in Z*_n: one full exponentiation.
        case textbook
        /// `hs^r'` with r' uniform of ⌈|n|/2⌉ bits, by fixed-base table lookups. Needs hs.
        case fast
    }

    /// Encrypts a signed plaintext in `(−n/2, n/2)`.
    public func encrypt(_ plaintext: BigInt, method: EncryptionMethod = .automatic) throws -> Paillier.Ciphertext {
        try encrypt(residue: residue(signed: plaintext), method: method)
    }

    public func encrypt(_ plaintext: Int, method: EncryptionMethod = .automatic) throws -> Paillier.Ciphertext {
        try encrypt(BigInt(plaintext), method: method)
    }

    /// Encrypts a decimal amount in a fixed-point format (cents, basis points, ...); the
    /// encoded integer must fit both the format and `(−n/2, n/2)`.
    public func encrypt(_ amount: String, format: FixedPointFormat) throws -> Paillier.Ciphertext {
        let value: BigInt
        do {
            value = try format.encode(amount)
        } catch let error as MathError {
            throw PaillierError(.plaintextOutOfRange, "the amount cannot be encoded: \(error.message)")
        }
        return try encrypt(value)
    }

    /// Encrypts a raw residue `0 ≤ m < n`.
    public func encrypt(residue m: BigInt, method: EncryptionMethod = .automatic) throws -> Paillier.Ciphertext {
        try checkResidue(m)
        let randomizer = try makeRandomizer(method: method)
        return Paillier.Ciphertext(unchecked: (encodeNude(m) * randomizer).modulo(nSquared))
    }

    /// Encrypts with a caller-supplied randomiser (from a ``Paillier/RandomizerPool``, or
    /// `r^n mod n²` computed elsewhere). The randomiser must be an n-th residue in Z*_{n²}
    /// and must never be used twice.
    public func encrypt(residue m: BigInt, randomizer: BigInt) throws -> Paillier.Ciphertext {
        try checkResidue(m)
        return Paillier.Ciphertext(unchecked: (encodeNude(m) * randomizer).modulo(nSquared))
    }

    /// `g^m = 1 + m·n mod n²` (g = n + 1); below n² for m < n, so no reduction is needed.
    func encodeNude(_ m: BigInt) -> BigInt {
        m * n + 1
    }

    /// A fresh randomiser: `hs^r'` (fast) or `r^n mod n²` (textbook).
    public func makeRandomizer(method: EncryptionMethod = .automatic) throws -> BigInt {
        switch method {
        case .automatic:
            if let fast { return fast.randomizer() }
            return textbookRandomizer()
        case .fast:
            guard let fast else {
                throw PaillierError(.invalidKey, "this public key has no fast-encryption base hs (keys imported from python-paillier have none): call withFastEncryptionBase() or use textbook encryption")
            }
            return fast.randomizer()
        case .textbook:
            return textbookRandomizer()
        }
    }

    func textbookRandomizer() -> BigInt {
        textbookRandomizer(r: randomUnit(below: n))
    }

    func textbookRandomizer(r: BigInt) -> BigInt {
        r.power(n, modulus: nSquared)
    }

    /// Textbook encryption `g^m · r^n mod n²` with a given r, as python-paillier's
    /// `raw_encrypt(m, r_value=r)`: for known-answer tests only (r must be fresh and secret).
    @_spi(Testing) public func encrypt(residue m: BigInt, r: BigInt) throws -> Paillier.Ciphertext {
        guard r.signum > 0, r < n, r.gcd(n) == 1 else {
            throw PaillierError(.plaintextOutOfRange, "r must lie in Z*_n")
        }
        return try encrypt(residue: m, randomizer: textbookRandomizer(r: r))
    }

    /// The trivial encryption of a residue, with randomiser 1: deterministic, **not hiding**;
    /// only for adding a public constant or as a sum's starting point.
    public func trivialEncryption(residue m: BigInt) throws -> Paillier.Ciphertext {
        try checkResidue(m)
        return Paillier.Ciphertext(unchecked: encodeNude(m))
    }
}

extension Paillier.PrivateKey {
    /// Key-holder encryption: the randomiser `r^n mod n²` is computed by CRT modulo p² and
    /// q² (about three times faster than textbook; the fixed-base path is faster still when the
    /// key has hs).
    public func encrypt(_ plaintext: BigInt) throws -> Paillier.Ciphertext {
        try encrypt(plaintext, r: randomUnit(below: publicKey.n))
    }

    /// Key-holder encryption with a given r ∈ Z*_n: the same ciphertext as textbook
    /// encryption with that r. For known-answer tests only (r must be fresh and secret).
    @_spi(Testing) public func encrypt(_ plaintext: BigInt, r: BigInt) throws -> Paillier.Ciphertext {
        let m = try publicKey.residue(signed: plaintext)
        let randomizer = powerModNSquared(r, exponent: publicKey.n)
        return Paillier.Ciphertext(unchecked: (publicKey.encodeNude(m) * randomizer).modulo(publicKey.nSquared))
    }

    public func encrypt(_ plaintext: Int) throws -> Paillier.Ciphertext {
        try encrypt(BigInt(plaintext))
    }
}

extension Paillier {
    /// Precomputed randomisers for bursty loads: fill it while idle (on every core), then each
    /// encryption costs one multiplication. Thread-safe; each randomiser is handed out once
    /// and then forgotten.
    public final class RandomizerPool: Sendable {
        public let publicKey: PublicKey
        private let stock = Locked<[BigInt]>([])

        public init(publicKey: PublicKey) {
            self.publicKey = publicKey
        }

        /// How many randomisers are ready.
        public var count: Int { stock.withLock { $0.count } }

        /// Adds `count` randomisers, computed in parallel on every core.
        public func refill(_ count: Int) async {
            let key = publicKey
            let made = await parallelChunks(count: count) { range in
                range.map { _ in (try? key.makeRandomizer()) ?? key.textbookRandomizer() }
            }
            stock.withLock { $0.append(contentsOf: made) }
        }

        /// Takes one randomiser, or computes one now when the pool is empty.
        public func take() -> BigInt {
            if let r = stock.withLock({ $0.popLast() }) { return r }
            return (try? publicKey.makeRandomizer()) ?? publicKey.textbookRandomizer()
        }

        /// Encrypts a signed plaintext with a pooled randomiser.
        public func encrypt(_ plaintext: BigInt) throws -> Ciphertext {
            try publicKey.encrypt(residue: publicKey.residue(signed: plaintext), randomizer: take())
        }
    }
}
