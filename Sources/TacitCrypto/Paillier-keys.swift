public import TacitMath
import TacitBytes

extension Paillier {
    /// Which modulus sizes a key may have.
    public struct KeySizePolicy: Sendable, Hashable {
        /// Allowed bit widths of n, or nil for any width of at least ``minimumBits``.
        public let allowedBits: Set<Int>?
        public let minimumBits: Int

        /// 2048 (the default), 3072 or 4096 bits: what production keys must use.
        public static let standard = KeySizePolicy(allowedBits: [2048, 3072, 4096], minimumBits: 2048)

        /// Any size from 256 bits. **Insecure** below 2048 bits: for tests, small threshold
        /// keys in tests, and reading foreign keys whose size the caller checks itself.
        public static let insecureAnySizeForTesting = KeySizePolicy(allowedBits: nil, minimumBits: 256)

        public init(allowedBits: Set<Int>?, minimumBits: Int) {
            self.allowedBits = allowedBits
            self.minimumBits = minimumBits
        }

        func check(bits: Int) throws {
            if let allowedBits {
                guard allowedBits.contains(bits) else {
                    let list = allowedBits.sorted().map(String.init).joined(separator: ", ")
                    throw PaillierError(.invalidKeySize, "the modulus has \(bits) bits; this policy allows \(list) bits: generate a key of an allowed size")
                }
            }
            guard bits >= minimumBits else {
                throw PaillierError(.invalidKeySize, "the modulus has \(bits) bits, fewer than the \(minimumBits) this policy requires")
            }
        }
    }

    /// A Paillier public key: the modulus n = pq, with generator g = n + 1, and optionally the
    /// Damgård–Jurik–Nielsen fixed base hs = h^n mod n² for fast encryption.
    ///
    /// A value type; copies share the (lazily built, immutable) fixed-base table.
    public struct PublicKey: Sendable, Hashable {
        public let n: BigInt
        public let nSquared: BigInt
        /// `h^n mod n²` for a random h in Z*_n: the DJN fast-encryption base. Always chosen by
        /// this process: a key generated here keeps its own; a key built from outside values
        /// (``init(n:hs:policy:)``, the wire, JSON, a share file) gets a fresh one when a base
        /// came with it. Nil for keys imported without one (python-paillier's): see
        /// ``withFastEncryptionBase()``.
        public let hs: BigInt?
        let fast: FastEncryptionEngine?

        /// The generator, always `n + 1` (as python-paillier).
        public var g: BigInt { n + 1 }

        /// The bit width of n.
        public var bits: Int { n.bitWidth }

        /// The largest magnitude a signed plaintext may have: `(n − 1) / 2`, so that the
        /// encoding range is `(−n/2, n/2)`.
        public var maxSignedPlaintext: BigInt { (n - 1) >> 1 }

        /// Validates n (and hs, when given) and builds the key.
        ///
        /// A supplied `hs` is never used. Whoever chose it could have picked one of small
        /// order (n² − 1 has order 2), and then every fast encryption `(1 + mn)·hs^r'` would
        /// reveal m to anyone; nothing short of the factors of n can tell such a base from a
        /// good one. So when `hs` is given (it is checked, as a sign of a corrupt encoding),
        /// the key gets a fresh base of its own instead, at the cost of one exponentiation,
        /// and keeps fast encryption.
        ///
        /// - Throws: ``PaillierError/Code/invalidKeySize`` for a size the policy refuses or a
        ///   value that cannot be a Paillier modulus (even, prime, ≤ 1);
        ///   ``PaillierError/Code/invalidKey`` for an hs outside Z*_{n²}.
        public init(n: BigInt, hs: BigInt? = nil, policy: KeySizePolicy = .standard) throws {
            guard n > 1 else {
                throw PaillierError(.invalidKeySize, "the modulus must be a positive product of two primes; it is not positive")
            }
            try policy.check(bits: n.bitWidth)
            guard n.isOdd else {
                throw PaillierError(.invalidKeySize, "the modulus is even, so it is not a product of two large primes")
            }
            guard !n.isProbablePrime(rounds: 25) else {
                throw PaillierError(.invalidKeySize, "the modulus is prime, so it is not a product of two primes")
            }
            let nSquared = n * n
            if let hs {
                guard hs > 0, hs < nSquared else {
                    throw PaillierError(.invalidKey, "the fast-encryption base hs must lie in 1..<n²")
                }
                guard hs.gcd(n) == 1 else {
                    throw PaillierError(.invalidKey, "the fast-encryption base hs shares a factor with n")
                }
            }
            self.init(validatedN: n, nSquared: nSquared, hs: hs.map { _ in randomUnit(below: n).power(n, modulus: nSquared) })
        }

        init(validatedN n: BigInt, nSquared: BigInt, hs: BigInt?, window: Int? = nil) {
            self.n = n
            self.nSquared = nSquared
            self.hs = hs
            if let hs {
                fast = FastEncryptionEngine(hs: hs, modulus: nSquared,
                                            exponentBits: PublicKey.fastExponentBits(n),
                                            window: window ?? PublicKey.defaultWindow(bits: n.bitWidth))
            } else {
                fast = nil
            }
        }

        /// The bit length of DJN's random exponent r': half the modulus, rounded up.
        public var fastExponentBits: Int { PublicKey.fastExponentBits(n) }

        static func fastExponentBits(_ n: BigInt) -> Int { (n.bitWidth + 1) / 2 }

        /// Window sizes chosen by `make bench-paillier`: 9 bits at 2048 (114 · 511 residues of
        /// 512 bytes, about 30 MB per key, 12% fewer multiplications than 8 bits at 16.7 MB);
        /// 7 bits at 3072 (about 21 MB) and 6 at 4096 (about 22 MB).
        static func defaultWindow(bits: Int) -> Int {
            switch bits {
            case ...1024: return 8
            case ...2048: return 9
            case ...3072: return 7
            default: return 6
            }
        }

        /// A copy with a fresh DJN base: h random in Z*_n, hs = h^n mod n². What to do with a
        /// key imported without hs (python-paillier's), or when an encryptor prefers a base it
        /// chose itself. Costs one full exponentiation.
        public func withFastEncryptionBase() -> PublicKey {
            let h = randomUnit(below: n)
            return PublicKey(validatedN: n, nSquared: nSquared, hs: h.power(n, modulus: nSquared))
        }

        /// A copy whose fixed-base table uses `window` bits per digit (1...16); larger windows
        /// trade memory (`⌈|n|/2 / w⌉ · (2^w − 1)` residues of |n²| bits) for fewer
        /// multiplications per encryption.
        public func withFastEncryptionWindow(_ window: Int) -> PublicKey {
            PublicKey(validatedN: n, nSquared: nSquared, hs: hs, window: window)
        }

        /// Builds the fixed-base table now rather than at the first fast encryption.
        public func precomputeFastEncryption() {
            _ = fast?.table
        }

        /// Keys are equal when their moduli are: the base only speeds up encryption (each
        /// holder chooses its own), and ciphertexts under equal n are interchangeable.
        public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
            lhs.n == rhs.n
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(n)
        }

        // MARK: Plaintext encodings

        /// The residue mod n of a signed plaintext in `(−n/2, n/2)`.
        public func residue(signed value: BigInt) throws -> BigInt {
            guard value.magnitude <= maxSignedPlaintext else {
                throw PaillierError(.plaintextOutOfRange, "the plaintext lies outside the signed range (−n/2, n/2) of this \(bits)-bit key: split it or use a larger key")
            }
            return value.isNegative ? value + n : value
        }

        /// The signed value of a residue mod n: residues above n/2 are negative.
        public func signedValue(residue: BigInt) -> BigInt {
            residue > maxSignedPlaintext ? residue - n : residue
        }

        func checkResidue(_ m: BigInt) throws {
            guard !m.isNegative, m < n else {
                throw PaillierError(.plaintextOutOfRange, "a raw plaintext residue must lie in 0..<n")
            }
        }
    }

    /// A Paillier private key: the primes p and q, with the CRT constants decryption needs.
    public struct PrivateKey: Sendable {
        public let publicKey: PublicKey
        public let p: BigInt
        public let q: BigInt
        let pSquared: BigInt
        let qSquared: BigInt
        let pMinusOne: BigInt
        let qMinusOne: BigInt
        /// `L_p(g^(p−1) mod p²)^(−1) mod p`, and the same for q.
        let hp: BigInt
        let hq: BigInt
        /// `p^(−1) mod q`, for recombining residues mod n.
        let pInverseModQ: BigInt
        /// `(p²)^(−1) mod q²`, for recombining residues mod n².
        let pSquaredInverseModQSquared: BigInt

        /// Builds a private key from its primes and checks them: both probably prime, distinct,
        /// of equal bit length, with pq = n of a size the policy allows (and equal to the given
        /// public key's n, if one is given, whose hs is kept).
        public init(p: BigInt, q: BigInt, publicKey: PublicKey? = nil, policy: KeySizePolicy = .standard) throws {
            guard p > 2, q > 2, p != q else {
                throw PaillierError(.invalidKey, "p and q must be distinct odd primes")
            }
            guard p.bitWidth == q.bitWidth else {
                throw PaillierError(.invalidKey, "p and q must have the same bit length (they have \(p.bitWidth) and \(q.bitWidth))")
            }
            guard p.isProbablePrime(rounds: 25), q.isProbablePrime(rounds: 25) else {
                throw PaillierError(.invalidKey, "p or q is not prime")
            }
            let n = p * q
            try policy.check(bits: n.bitWidth)
            let pk: PublicKey
            if let publicKey {
                guard publicKey.n == n else {
                    throw PaillierError(.invalidKey, "p·q does not equal the public key's n: these primes belong to another key")
                }
                pk = publicKey
            } else {
                pk = PublicKey(validatedN: n, nSquared: n * n, hs: nil)
            }
            self.init(validatedP: p, q: q, publicKey: pk)
        }

        init(validatedP p: BigInt, q: BigInt, publicKey: PublicKey) {
            self.publicKey = publicKey
            self.p = p
            self.q = q
            pSquared = p * p
            qSquared = q * q
            pMinusOne = p - 1
            qMinusOne = q - 1
            // g = n + 1, so g^(p−1) mod p² = 1 + (p−1)n mod p², and L_p of it is (p−1)q mod p:
            // no exponentiation with the secret p − 1 is needed.
            let lp = (pMinusOne * q).modulo(p)
            let lq = (qMinusOne * p).modulo(q)
            hp = lp.inverse(p)!
            hq = lq.inverse(q)!
            pInverseModQ = p.inverse(q)!
            pSquaredInverseModQSquared = pSquared.inverse(qSquared)!
        }

        /// Generates a key: p and q random primes of `bits/2` bits each with their top two
        /// bits set (so n has exactly `bits` bits), distinct and far apart, and a fresh DJN
        /// base hs.
        public static func generate(bits: Int = 2048, policy: KeySizePolicy = .standard) throws -> PrivateKey {
            try policy.check(bits: bits)
            guard bits % 2 == 0 else {
                throw PaillierError(.invalidKeySize, "the modulus size must be even so that p and q have equal size")
            }
            while true {
                let p = BigInt.probablePrime(bits: bits / 2)
                let q = BigInt.probablePrime(bits: bits / 2)
                // Fermat factoring needs |p − q| small; demand the top 100 bits differ.
                guard (p - q).magnitude.bitWidth > bits / 2 - 100 else { continue }
                let n = p * q
                guard n.bitWidth == bits else { continue }
                let nSquared = n * n
                let h = randomUnit(below: n)
                let base = PublicKey(validatedN: n, nSquared: nSquared, hs: nil)
                var key = PrivateKey(validatedP: p, q: q, publicKey: base)
                // hs = h^n mod n², via CRT with the secret primes.
                let hs = key.powerModNSquared(h, exponent: n)
                key = PrivateKey(validatedP: p, q: q,
                                 publicKey: PublicKey(validatedN: n, nSquared: nSquared, hs: hs))
                return key
            }
        }

        /// `base^exponent mod n²` by CRT over p² and q²; the exponent is public.
        func powerModNSquared(_ base: BigInt, exponent: BigInt) -> BigInt {
            let xp = base.modulo(pSquared).power(exponent, modulus: pSquared)
            let xq = base.modulo(qSquared).power(exponent, modulus: qSquared)
            return xp + pSquared * ((xq - xp) * pSquaredInverseModQSquared).modulo(qSquared)
        }
    }

    /// A ciphertext: an element of Z*_{n²} for the key it was made or checked with.
    ///
    /// Values from outside (bytes, JSON, integers) become ciphertexts only through
    /// ``PublicKey/ciphertext(_:)``, which checks `0 < c < n²` and `gcd(c, n) = 1`; values
    /// computed by this module stay in the group by construction.
    public struct Ciphertext: Sendable, Hashable {
        public let value: BigInt

        init(unchecked value: BigInt) {
            self.value = value
        }
    }
}

extension Paillier.PublicKey {
    /// Validates an integer as a ciphertext under this key.
    ///
    /// - Throws: ``PaillierError/Code/ciphertextOutOfRange`` unless `0 < c < n²`;
    ///   ``PaillierError/Code/ciphertextNotInvertible`` if `gcd(c, n) ≠ 1` (which would also
    ///   reveal a factor of n).
    public func ciphertext(_ value: BigInt) throws -> Paillier.Ciphertext {
        guard value.signum > 0, value < nSquared else {
            throw PaillierError(.ciphertextOutOfRange, "the ciphertext is outside 1..<n² for this \(bits)-bit key: it belongs to another key or was corrupted")
        }
        guard value.gcd(n) == 1 else {
            throw PaillierError(.ciphertextNotInvertible, "the ciphertext is not in Z*_{n²} (it shares a factor with n): reject it; it was forged or corrupted")
        }
        return Paillier.Ciphertext(unchecked: value)
    }
}

/// The DJN fixed-base table, built on first use and shared by every copy of the key.
final class FastEncryptionEngine: Sendable {
    let hs: BigInt
    let modulus: BigInt
    let exponentBits: Int
    let window: Int
    private let built = Locked<FixedBasePowerTable?>(nil)

    init(hs: BigInt, modulus: BigInt, exponentBits: Int, window: Int) {
        self.hs = hs
        self.modulus = modulus
        self.exponentBits = exponentBits
        self.window = window
    }

    var table: FixedBasePowerTable {
        built.withLock { table in
            if let table { return table }
            let made = FixedBasePowerTable(base: hs, modulus: modulus, exponentBits: exponentBits, window: window)
            table = made
            return made
        }
    }

    /// hs^r' for a fresh random r' of `exponentBits` bits.
    func randomizer() -> BigInt {
        table.power(BigInt.random(bits: exponentBits))
    }
}

/// A uniformly random element of Z*_bound (rejecting the negligible non-units).
func randomUnit(below bound: BigInt) -> BigInt {
    while true {
        let r = BigInt.random(in: BigInt(1)..<bound)
        if r.gcd(bound) == 1 { return r }
    }
}
