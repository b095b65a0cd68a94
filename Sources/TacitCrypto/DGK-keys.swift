public import TacitMath
import TacitBytes

extension DGK {
    /// Which key sizes and randomness lengths a key may have.
    public struct KeySizePolicy: Sendable, Hashable {
        /// Allowed bit widths of n, or nil for any width of at least ``minimumBits``.
        public let allowedBits: Set<Int>?
        public let minimumBits: Int
        /// The smallest t (bits of v_p and v_q) allowed.
        public let minimumT: Int

        /// n of 2048 (the default), 3072 or 4096 bits and t ≥ 160: what production keys use.
        public static let standard = KeySizePolicy(allowedBits: [2048, 3072, 4096], minimumBits: 2048, minimumT: 160)

        /// Any n from 256 bits and t from 16. **Insecure**: for tests that need fast keys.
        public static let insecureAnySizeForTesting = KeySizePolicy(allowedBits: nil, minimumBits: 256, minimumT: 16)

        public init(allowedBits: Set<Int>?, minimumBits: Int, minimumT: Int) {
            self.allowedBits = allowedBits
            self.minimumBits = minimumBits
            self.minimumT = minimumT
        }

        func check(bits: Int, t: Int) throws {
            if let allowedBits, !allowedBits.contains(bits) {
                let list = allowedBits.sorted().map(String.init).joined(separator: ", ")
                throw DGKError(.invalidKeySize, "the DGK modulus has \(bits) bits; this policy allows \(list) bits: generate a key of an allowed size")
            }
            guard bits >= minimumBits else {
                throw DGKError(.invalidKeySize, "the DGK modulus has \(bits) bits, fewer than the \(minimumBits) this policy requires")
            }
            guard t >= minimumT else {
                throw DGKError(.invalidRandomnessLength, "t = \(t) bits is below the \(minimumT) this policy requires for v_p and v_q")
            }
            // p − 1 holds u·v_p and a cofactor: v_p must leave most of p's bits to the cofactor.
            guard 4 * t <= bits / 2 else {
                throw DGKError(.invalidRandomnessLength, "t = \(t) bits is too large for a \(bits)-bit modulus (at most \(bits / 8))")
            }
        }
    }

    /// The largest plaintext modulus u accepted: small enough for decryption by a table of u
    /// entries and for a short blinding exponent.
    public static let maximumPlaintextModulus = 65521

    /// A DGK public key: n, the plaintext modulus u, the randomness length t, and the
    /// generators g (order u·v_p·v_q) and h (order v_p·v_q).
    ///
    /// A value type; copies share the lazily built fixed-base table for h and the table of
    /// the powers g^m, m < u.
    public struct PublicKey: Sendable, Hashable {
        public let n: BigInt
        /// The plaintext modulus: plaintexts are residues mod u.
        public let u: Int
        /// The bit length of v_p and v_q.
        public let t: Int
        public let g: BigInt
        public let h: BigInt
        let engine: DGKPublicEngine

        /// The bit width of n.
        public var bits: Int { n.bitWidth }

        /// The length of the encryption randomness r: 2.5t bits, as the 2009 correction of
        /// the paper asks (2t bits, the original choice, was not enough for its proof).
        public var randomBits: Int { (5 * t + 1) / 2 }

        /// Validates everything and builds the key.
        ///
        /// - Throws: ``DGKError/Code/invalidKeySize`` (n even, prime, or of a size the policy
        ///   refuses), ``DGKError/Code/invalidPlaintextModulus`` (u not a prime in
        ///   3...``DGK/maximumPlaintextModulus``), ``DGKError/Code/invalidRandomnessLength``,
        ///   ``DGKError/Code/invalidKey`` (g or h outside `2..<n` or sharing a factor with n).
        public init(n: BigInt, u: Int, t: Int, g: BigInt, h: BigInt, policy: KeySizePolicy = .standard) throws {
            guard n > 1 else {
                throw DGKError(.invalidKeySize, "the DGK modulus must be a positive product of two primes; it is not positive")
            }
            try policy.check(bits: n.bitWidth, t: t)
            guard n.isOdd else {
                throw DGKError(.invalidKeySize, "the DGK modulus is even, so it is not a product of two large primes")
            }
            try Self.checkPlaintextModulus(u)
            // u | p − 1 and v_p | p − 1 with a cofactor left: u must be far smaller than p.
            guard BigInt(u).bitWidth + t + 2 < n.bitWidth / 2 else {
                throw DGKError(.invalidPlaintextModulus, "u = \(u) and t = \(t) do not fit in the primes of a \(n.bitWidth)-bit modulus")
            }
            for (name, x) in [("g", g), ("h", h)] {
                guard x >= 2, x < n else {
                    throw DGKError(.invalidKey, "the generator \(name) must lie in 2..<n")
                }
                guard x.gcd(n) == 1 else {
                    throw DGKError(.invalidKey, "the generator \(name) shares a factor with n: the key is forged or corrupt")
                }
            }
            guard !n.isProbablePrime(rounds: 25) else {
                throw DGKError(.invalidKeySize, "the DGK modulus is prime, so it is not a product of two primes")
            }
            self.init(validatedN: n, u: u, t: t, g: g, h: h)
        }

        init(validatedN n: BigInt, u: Int, t: Int, g: BigInt, h: BigInt) {
            self.n = n
            self.u = u
            self.t = t
            self.g = g
            self.h = h
            engine = DGKPublicEngine(n: n, u: u, g: g, h: h, randomBits: (5 * t + 1) / 2)
        }

        static func checkPlaintextModulus(_ u: Int) throws {
            guard u >= 3, u <= DGK.maximumPlaintextModulus, BigInt(u).isProbablePrime(rounds: 25) else {
                throw DGKError(.invalidPlaintextModulus, "the plaintext modulus u must be a prime in 3...\(DGK.maximumPlaintextModulus); it is \(u)")
            }
        }

        /// Builds the fixed-base table for h now rather than at the first randomiser.
        public func precompute() { _ = engine.hTable }

        public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
            lhs.n == rhs.n && lhs.u == rhs.u && lhs.t == rhs.t && lhs.g == rhs.g && lhs.h == rhs.h
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(n) }
    }

    /// A DGK private key: the primes p, q and the t-bit primes v_p | p − 1, v_q | q − 1.
    public struct PrivateKey: Sendable {
        public let publicKey: PublicKey
        public let p: BigInt
        public let q: BigInt
        public let vp: BigInt
        public let vq: BigInt
        /// `g^{v_p} mod p` to the m, for every m < u: c^{v_p} mod p is looked up here.
        let decryptionTable: [BigInt: Int]
        /// The key holder's fast randomisers (by CRT), shared by every copy of the key.
        let holder: DGKHolderEngine

        /// Builds a private key from its parts and checks them against `publicKey`: p and q
        /// distinct primes with pq = n; v_p, v_q primes of t bits; u·v_p | p − 1 and
        /// u·v_q | q − 1; g of order exactly u·v_p mod p and u·v_q mod q; h of order exactly
        /// v_p mod p and v_q mod q.
        ///
        /// - Throws: ``DGKError/Code/invalidKey`` naming the first check that fails.
        public init(p: BigInt, q: BigInt, vp: BigInt, vq: BigInt, publicKey: PublicKey) throws {
            let pk = publicKey
            guard p > 2, q > 2, p != q, p * q == pk.n else {
                throw DGKError(.invalidKey, "p·q does not equal the public key's n: these primes belong to another key")
            }
            guard p.isProbablePrime(rounds: 25), q.isProbablePrime(rounds: 25) else {
                throw DGKError(.invalidKey, "p or q is not prime")
            }
            guard vp.bitWidth == pk.t, vq.bitWidth == pk.t, vp != vq,
                  vp.isProbablePrime(rounds: 25), vq.isProbablePrime(rounds: 25) else {
                throw DGKError(.invalidKey, "v_p and v_q must be distinct primes of t = \(pk.t) bits")
            }
            let u = BigInt(pk.u)
            guard (p - 1).isMultiple(of: u * vp), (q - 1).isMultiple(of: u * vq) else {
                throw DGKError(.invalidKey, "u·v_p does not divide p − 1 or u·v_q does not divide q − 1")
            }
            guard Self.hasOrder(pk.g, u, vp, modulus: p), Self.hasOrder(pk.g, u, vq, modulus: q) else {
                throw DGKError(.invalidKey, "g does not have order u·v_p·v_q: decryption would fail or leak")
            }
            guard Self.hasOrder(pk.h, nil, vp, modulus: p), Self.hasOrder(pk.h, nil, vq, modulus: q) else {
                throw DGKError(.invalidKey, "h does not have order v_p·v_q: encryptions would not hide their plaintexts")
            }
            self.init(validatedP: p, q: q, vp: vp, vq: vq, publicKey: pk)
        }

        /// x of order exactly `small`·`large` (or `large`) mod the prime `modulus`, both prime.
        static func hasOrder(_ x: BigInt, _ small: BigInt?, _ large: BigInt, modulus: BigInt) -> Bool {
            // The orders involve v_p, a secret: constant-time powers throughout.
            let xm = x.modulo(modulus)
            let order = small.map { $0 * large } ?? large
            guard xm.constantTimePower(order, modulus: modulus) == 1 else { return false }
            if xm.constantTimePower(order / large, modulus: modulus) == 1 { return false }
            if let small, xm.constantTimePower(order / small, modulus: modulus) == 1 { return false }
            return true
        }

        init(validatedP p: BigInt, q: BigInt, vp: BigInt, vq: BigInt, publicKey: PublicKey) {
            self.publicKey = publicKey
            self.p = p
            self.q = q
            self.vp = vp
            self.vq = vq
            let base = publicKey.g.modulo(p).constantTimePower(vp, modulus: p, exponentBits: publicKey.t)
            var table: [BigInt: Int] = [:]
            table.reserveCapacity(publicKey.u)
            var power = BigInt(1)
            for m in 0..<publicKey.u {
                table[power] = m
                power = (power * base).modulo(p)
            }
            decryptionTable = table
            holder = DGKHolderEngine(p: p, q: q, vp: vp, vq: vq, h: publicKey.h)
        }

        /// Generates a key: v_p, v_q random t-bit primes; p = 2·u·v_p·f + 1 and q likewise,
        /// random primes of `bits/2` bits with their top two bits set (so n has exactly `bits`
        /// bits) and far apart; g and h random elements of the exact orders, by CRT.
        ///
        /// - Throws: for a size, u or t the policy or the construction refuses.
        public static func generate(bits: Int = 2048, u: Int, t: Int = 160, policy: KeySizePolicy = .standard) throws -> PrivateKey {
            try policy.check(bits: bits, t: t)
            guard bits % 2 == 0 else {
                throw DGKError(.invalidKeySize, "the modulus size must be even so that p and q have equal size")
            }
            try PublicKey.checkPlaintextModulus(u)
            guard BigInt(u).bitWidth + t + 2 < bits / 2 else {
                throw DGKError(.invalidPlaintextModulus, "u = \(u) and t = \(t) do not fit in the primes of a \(bits)-bit modulus")
            }
            let uBig = BigInt(u)
            while true {
                let vp = BigInt.probablePrime(bits: t)
                let vq = BigInt.probablePrime(bits: t)
                guard vp != vq else { continue }
                let p = dgkPrime(bits: bits / 2, u: uBig, v: vp)
                let q = dgkPrime(bits: bits / 2, u: uBig, v: vq)
                // Fermat factoring needs |p − q| small; demand the top 100 bits differ.
                guard (p - q).magnitude.bitWidth > bits / 2 - min(100, bits / 8) else { continue }
                let n = p * q
                guard n.bitWidth == bits else { continue }
                let gp = element(ofOrder: uBig, vp, modulus: p)
                let gq = element(ofOrder: uBig, vq, modulus: q)
                let hp = element(ofOrder: nil, vp, modulus: p)
                let hq = element(ofOrder: nil, vq, modulus: q)
                let pInverse = p.inverse(q)!
                func crt(_ xp: BigInt, _ xq: BigInt) -> BigInt { xp + p * ((xq - xp) * pInverse).modulo(q) }
                let pk = PublicKey(validatedN: n, u: u, t: t, g: crt(gp, gq), h: crt(hp, hq))
                return PrivateKey(validatedP: p, q: q, vp: vp, vq: vq, publicKey: pk)
            }
        }

        /// A random prime of exactly `bits` bits, top two set, with 2·u·v | p − 1.
        static func dgkPrime(bits: Int, u: BigInt, v: BigInt) -> BigInt {
            let m = 2 * u * v
            let lo = (BigInt(3) << (bits - 2)) - 1, hi = (BigInt(1) << bits) - 2
            let range = (lo + m - 1) / m ..< hi / m + 1
            while true {
                let p = m * BigInt.random(in: range) + 1
                if p.isProbablePrime(rounds: 25) { return p }
            }
        }

        /// A random element of exact order `small`·`large` (or `large`) mod the prime `modulus`.
        static func element(ofOrder small: BigInt?, _ large: BigInt, modulus: BigInt) -> BigInt {
            let order = small.map { $0 * large } ?? large
            let cofactor = (modulus - 1) / order
            while true {
                let x = BigInt.random(in: BigInt(2)..<(modulus - 1)).constantTimePower(cofactor, modulus: modulus)
                if hasOrder(x, small, large, modulus: modulus) { return x }
            }
        }
    }

    /// A ciphertext: an element of `1..<n` for the key it was made or checked with.
    ///
    /// Values from outside become ciphertexts only through ``PublicKey/ciphertext(_:)`` (or
    /// the wire), which checks the range; values computed here stay in range by construction.
    public struct Ciphertext: Sendable, Hashable {
        public let value: BigInt
        init(unchecked value: BigInt) { self.value = value }
    }
}

extension DGK.PublicKey {
    /// Validates an integer as a ciphertext under this key.
    ///
    /// Only the range is checked: coprimality with n costs a gcd per ciphertext, and a
    /// non-unit would only ever come from someone who already knows a factor of n.
    ///
    /// - Throws: ``DGKError/Code/ciphertextOutOfRange`` unless `0 < c < n`.
    public func ciphertext(_ value: BigInt) throws -> DGK.Ciphertext {
        guard value.signum > 0, value < n else {
            throw DGKError(.ciphertextOutOfRange, "the DGK ciphertext is outside 1..<n for this \(bits)-bit key: it belongs to another key or was corrupted")
        }
        return DGK.Ciphertext(unchecked: value)
    }
}

/// What every copy of a public key shares: g^m for m < u (so that encrypting any plaintext
/// is one multiplication by a randomiser), and the fixed-base table for h, built on first use.
final class DGKPublicEngine: Sendable {
    let n: BigInt
    let gPowers: [BigInt]
    let h: BigInt
    let randomBits: Int
    private let built = Locked<FixedBasePowerTable?>(nil)

    init(n: BigInt, u: Int, g: BigInt, h: BigInt, randomBits: Int) {
        self.n = n
        var powers: [BigInt] = [BigInt(1)]
        powers.reserveCapacity(u)
        for _ in 1..<u { powers.append((powers[powers.count - 1] * g).modulo(n)) }
        gPowers = powers
        self.h = h
        self.randomBits = randomBits
    }

    var hTable: FixedBasePowerTable {
        built.withLock { table in
            if let table { return table }
            let window = n.bitWidth > 1024 ? 8 : 6
            let made = FixedBasePowerTable(base: h, modulus: n, exponentBits: randomBits, window: window)
            table = made
            return made
        }
    }
}

/// What the key holder can do faster than anyone else: `h^r mod n` from `h^{r_p} mod p` and
/// `h^{r_q} mod q` with r_p < v_p, r_q < v_q (h mod p has order v_p), i.e. two t-bit
/// exponentiations modulo the half-size primes by fixed-base tables, and a CRT step. 10-bit
/// windows: at t = 160 and 1024-bit primes, 16 multiplications per table and 2 MB per prime.
final class DGKHolderEngine: Sendable {
    let p: BigInt
    let q: BigInt
    let vp: BigInt
    let vq: BigInt
    let pInverseModQ: BigInt
    private let hp: BigInt
    private let hq: BigInt
    private let t: Int
    private let built = Locked<(FixedBasePowerTable, FixedBasePowerTable)?>(nil)

    init(p: BigInt, q: BigInt, vp: BigInt, vq: BigInt, h: BigInt) {
        self.p = p
        self.q = q
        self.vp = vp
        self.vq = vq
        pInverseModQ = p.inverse(q)!
        hp = h.modulo(p)
        hq = h.modulo(q)
        t = max(vp.bitWidth, vq.bitWidth)
    }

    var tables: (FixedBasePowerTable, FixedBasePowerTable) {
        built.withLock { tables in
            if let tables { return tables }
            let made = (FixedBasePowerTable(base: hp, modulus: p, exponentBits: t, window: 10),
                        FixedBasePowerTable(base: hq, modulus: q, exponentBits: t, window: 10))
            tables = made
            return made
        }
    }

    /// A uniformly random element of the subgroup generated by h: the same distribution as
    /// `h^r` for a long random r (whose residues mod v_p and v_q are all that matter).
    func randomizer() -> BigInt {
        let (tp, tq) = tables
        let xp = tp.power(BigInt.random(below: vp))
        let xq = tq.power(BigInt.random(below: vq))
        return xp + p * ((xq - xp) * pInverseModQ).modulo(q)
    }
}
