public import TacitMath

extension DGK.PublicKey {
    /// `h^r mod n` for a fresh random r of ``randomBits`` bits, from the fixed-base table:
    /// the value-independent half of an encryption, to make ahead of time.
    ///
    /// The table lookups depend on r's digits (see ``FixedBasePowerTable``): r is a one-time
    /// value, which is the accepted use of that table.
    public func randomizer() -> BigInt {
        engine.hTable.power(BigInt.random(bits: randomBits))
    }

    func checkPlaintext(_ m: Int) throws {
        guard m >= 0, m < u else {
            throw DGKError(.plaintextOutOfRange, "a DGK plaintext must lie in 0..<u = \(u)")
        }
    }

    /// `E(m) = g^m · h^r mod n` with a fresh r.
    ///
    /// - Throws: ``DGKError/Code/plaintextOutOfRange`` unless `0 ≤ m < u`.
    public func encrypt(_ m: Int) throws -> DGK.Ciphertext {
        try encrypt(m, randomizer: randomizer())
    }

    /// `E(m) = g^m · randomizer mod n`: one multiplication, with a randomiser made ahead of
    /// time by ``randomizer()`` or taken from a ``DGK/RandomizerPool``. Each randomiser must
    /// be used once.
    public func encrypt(_ m: Int, randomizer: BigInt) throws -> DGK.Ciphertext {
        try checkPlaintext(m)
        if m == 0 { return DGK.Ciphertext(unchecked: randomizer) }
        return DGK.Ciphertext(unchecked: (engine.gPowers[m] * randomizer).modulo(n))
    }

    /// `E(m) = g^m · h^r mod n` with the given r (≥ 0): for known-answer tests against other
    /// implementations. Anything real uses a fresh r (``encrypt(_:)``).
    public func encrypt(_ m: Int, r: BigInt) throws -> DGK.Ciphertext {
        try checkPlaintext(m)
        precondition(!r.isNegative, "DGK.encrypt(_:r:): r must not be negative")
        return DGK.Ciphertext(unchecked: (engine.gPowers[m] * h.power(r, modulus: n)).modulo(n))
    }

    /// `g^(m mod u) mod n` for any integer m (−1 included): the trivial (not hiding)
    /// encryption of a public constant, for homomorphic steps whose result is re-randomised
    /// before it leaves. A table lookup.
    public func constant(_ m: Int) -> DGK.Ciphertext {
        DGK.Ciphertext(unchecked: engine.gPowers[((m % u) + u) % u])
    }

    // MARK: Homomorphic operations (plaintexts mod u)

    /// E(a + b mod u).
    public func add(_ a: DGK.Ciphertext, _ b: DGK.Ciphertext) -> DGK.Ciphertext {
        DGK.Ciphertext(unchecked: (a.value * b.value).modulo(n))
    }

    /// E(k · a mod u) for a public scalar k (any integer, reduced mod u).
    public func multiply(_ a: DGK.Ciphertext, by k: Int) -> DGK.Ciphertext {
        let e = ((k % u) + u) % u
        if e == 0 { return DGK.Ciphertext(unchecked: BigInt(1)) }
        return DGK.Ciphertext(unchecked: a.value.power(BigInt(e), modulus: n))
    }

    /// E(k · a mod u) for a secret scalar `0 ≤ k < u`, in time independent of k (the blinding
    /// factor of a comparison, say).
    public func multiply(_ a: DGK.Ciphertext, bySecret k: Int) throws -> DGK.Ciphertext {
        try checkPlaintext(k)
        return DGK.Ciphertext(unchecked: a.value.constantTimePower(BigInt(k), modulus: n, exponentBits: BigInt(u - 1).bitWidth))
    }

    /// E(−a mod u), as a^(u−1): no inverse needed, and defined for every element of `1..<n`.
    public func negate(_ a: DGK.Ciphertext) -> DGK.Ciphertext {
        multiply(a, by: u - 1)
    }

    /// E(a − b mod u).
    public func subtract(_ a: DGK.Ciphertext, _ b: DGK.Ciphertext) -> DGK.Ciphertext {
        add(a, negate(b))
    }

    /// The same plaintext under fresh randomness (a fresh r, or a pooled randomiser).
    public func rerandomize(_ a: DGK.Ciphertext, randomizer: BigInt? = nil) -> DGK.Ciphertext {
        DGK.Ciphertext(unchecked: (a.value * (randomizer ?? self.randomizer())).modulo(n))
    }
}

extension DGK {
    /// Randomisers `h^r` made ahead of time (offline), so that an online encryption is one
    /// multiplication (none for a 0) and a re-randomisation one multiplication.
    ///
    /// A value owned by one task: take from it serially; fill it from several tasks with
    /// ``PublicKey/randomizers(count:)`` and ``add(_:)``. When it runs dry it makes one on
    /// demand and counts it in ``madeOnDemand``.
    public struct RandomizerPool: Sendable {
        public let publicKey: PublicKey
        private var items: [BigInt] = []
        /// Randomisers made inside ``take()`` because the pool was empty.
        public private(set) var madeOnDemand = 0

        public init(publicKey: PublicKey) { self.publicKey = publicKey }

        public var count: Int { items.count }

        /// Makes randomisers until the pool holds at least `count`.
        public mutating func topUp(to count: Int) {
            if items.count < count { add(publicKey.randomizers(count: count - items.count)) }
        }

        /// Adds randomisers made elsewhere (by another task, under the same key).
        public mutating func add(_ more: [BigInt]) { items.append(contentsOf: more) }

        /// One randomiser, never handed out twice.
        public mutating func take() -> BigInt {
            if let r = items.popLast() { return r }
            madeOnDemand += 1
            return publicKey.randomizer()
        }

        /// E(m) with a pooled randomiser.
        public mutating func encrypt(_ m: Int) throws -> Ciphertext {
            try publicKey.encrypt(m, randomizer: take())
        }
    }
}

extension DGK.PublicKey {
    /// `count` fresh randomisers (see ``randomizer()``).
    public func randomizers(count: Int) -> [BigInt] {
        (0..<max(count, 0)).map { _ in randomizer() }
    }
}

extension DGK.PrivateKey {
    /// A randomiser `h^r mod n` made by the key holder by CRT (see ``DGK/PublicKey/randomizer()``
    /// for anyone else): uniform in the subgroup generated by h, about five times faster.
    ///
    /// Its exponents are one-time secrets looked up in fixed-base tables, the accepted use of
    /// ``FixedBasePowerTable``.
    public func randomizer() -> BigInt { holder.randomizer() }

    /// `E(m)` with a key-holder randomiser.
    public func encrypt(_ m: Int) throws -> DGK.Ciphertext {
        try publicKey.encrypt(m, randomizer: randomizer())
    }

    /// Builds the key holder's fixed-base tables now rather than at the first randomiser.
    public func precompute() { _ = holder.tables }

    /// Whether `c` encrypts 0: `c^{v_p} mod p == 1`, with the secret v_p in constant time.
    public func isZero(_ c: DGK.Ciphertext) -> Bool {
        makeDecryptor().isZero(c)
    }

    /// The plaintext `m < u` of `c`.
    ///
    /// - Throws: ``DGKError/Code/notDecryptable`` if `c^{v_p} mod p` is not a power of
    ///   `g^{v_p}`: c was not made under this key.
    public func decrypt(_ c: DGK.Ciphertext) throws -> Int {
        try makeDecryptor().decrypt(c)
    }

    /// A context for many zero tests or decryptions in one task, reusing its scratch space.
    public func makeDecryptor() -> DGK.Decryptor { DGK.Decryptor(key: self) }
}

extension DGK {
    /// Zero tests and decryptions with reused scratch space. Not thread-safe (it owns mutable
    /// scratch): one per task; making one is cheap.
    public final class Decryptor {
        let key: PrivateKey
        private let context: ModularContext
        private var reduced = BigInt()
        private var result = BigInt()

        init(key: PrivateKey) {
            self.key = key
            context = ModularContext(modulus: key.p)
            result = context.makeResult()
            reduced = context.makeResult()
        }

        /// `c^{v_p} mod p`, or nil when c ≡ 0 mod p (no ciphertext made under the key is).
        private func project(_ c: Ciphertext) -> BigInt? {
            context.reduce(c.value, into: &reduced)
            if reduced.isZero { return nil }
            context.constantTimePower(reduced, key.vp, exponentBits: key.publicKey.t, into: &result)
            return result
        }

        /// Whether `c` encrypts 0 (see ``PrivateKey/isZero(_:)``).
        public func isZero(_ c: Ciphertext) -> Bool {
            guard let x = project(c) else { return false }
            return x == 1
        }

        /// The plaintext of `c` (see ``PrivateKey/decrypt(_:)``).
        public func decrypt(_ c: Ciphertext) throws -> Int {
            guard let x = project(c), let m = key.decryptionTable[x] else {
                throw DGKError(.notDecryptable, "the ciphertext does not decrypt to any m < u under this key: it was made under another key or corrupted")
            }
            return m
        }
    }
}
