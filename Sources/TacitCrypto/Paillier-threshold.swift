public import TacitMath

// Threshold Paillier after Shoup (RSA, 2000) as adapted to Paillier by Damgård–Jurik (2001),
// with s = 1: n = pq for safe primes p = 2p' + 1, q = 2q' + 1, m = p'q'; the secret
// d ≡ 0 (mod m), d ≡ 1 (mod n) is shared with a polynomial of degree t − 1 over Z_{nm};
// party i publishes c_i = c^(2Δ s_i) with a Fiat–Shamir proof that
// log_{c⁴}(c_i²) = log_v(v_i), where v_i = v^(Δ s_i) is its public verification key and
// Δ = parties!. Any t valid shares give c^(4Δ² d) = (1 + n)^(4Δ² θ x), hence x, where
// θ = d mod n is public: 1 for a dealt key (d ≡ 1 mod n), and a random unit for a key
// generated without a dealer (d = β·φ(n), Nishide–Sakurai; see TacitKeygen), whose shares
// are integer Shamir shares of d rather than shares mod nm, hence the public `shareBits`.

extension Paillier {
    /// The public side of a threshold key: the Paillier public key, the threshold, and every
    /// party's verification key.
    public struct ThresholdPublicKey: Sendable, Hashable {
        public let publicKey: PublicKey
        /// Shares needed to decrypt (t).
        public let threshold: Int
        /// Parties holding shares (ℓ), numbered 1...parties.
        public let parties: Int
        /// v: a random square in Z*_{n²}.
        public let verificationBase: BigInt
        /// `verificationKeys[i − 1] = v^(Δ s_i) mod n²` for party i.
        public let verificationKeys: [BigInt]
        /// θ = d mod n for the shared exponent d (d ≡ 0 mod the group order's non-n part):
        /// 1 for a dealt key; β·φ(n) mod n for a dealer-free one. Combining divides it out.
        public let theta: BigInt
        /// The public bound on a share's bit length, which the constant-time exponentiations
        /// and the proof's nonce size use: 2·|n| for a dealt key (s_i < nm), larger for the
        /// integer shares of a dealer-free key.
        public let shareBits: Int

        /// Δ = parties!.
        public var delta: BigInt { Self.factorial(parties) }

        static func factorial(_ k: Int) -> BigInt {
            var result = BigInt(1)
            if k > 1 { for i in 2...k { result *= BigInt(i) } }
            return result
        }

        /// The largest `shareBits` accepted: far above what any honest generation uses
        /// (|n|·2 plus a few hundred bits of statistical slack), so a decoded key cannot make
        /// every decryption share exponentiate with an absurdly long exponent.
        static func maximumShareBits(_ n: BigInt) -> Int { 4 * n.bitWidth + 4096 }

        /// Rebuilds and validates a threshold public key received from a dealer or from a
        /// dealer-free generation (`theta`, `shareBits`: see those properties; the defaults
        /// are a dealt key's).
        public init(publicKey: PublicKey, threshold: Int, parties: Int, verificationBase: BigInt,
                    verificationKeys: [BigInt], theta: BigInt = 1, shareBits: Int? = nil) throws {
            guard parties >= 1, threshold >= 1, threshold <= parties else {
                throw PaillierError(.invalidThresholdParameters, "a threshold of \(threshold) of \(parties) parties is impossible: need 1 ≤ t ≤ parties")
            }
            guard verificationKeys.count == parties else {
                throw PaillierError(.invalidThresholdParameters, "there are \(verificationKeys.count) verification keys for \(parties) parties")
            }
            for (i, key) in ([verificationBase] + verificationKeys).enumerated() {
                guard key > 0, key < publicKey.nSquared, key.gcd(publicKey.n) == 1 else {
                    throw PaillierError(.invalidKey, i == 0 ? "the verification base is not in Z*_{n²}" : "the verification key of party \(i) is not in Z*_{n²}", party: i == 0 ? nil : i)
                }
            }
            guard theta > 0, theta < publicKey.n, theta.gcd(publicKey.n) == 1 else {
                throw PaillierError(.invalidKey, "θ (the shared exponent mod n) is not a unit mod n: the key was generated or stored wrongly; generate it again")
            }
            let bits = shareBits ?? 2 * publicKey.n.bitWidth
            guard bits >= 2 * publicKey.n.bitWidth, bits <= Self.maximumShareBits(publicKey.n) else {
                throw PaillierError(.invalidThresholdParameters, "a share bound of \(bits) bits is outside \(2 * publicKey.n.bitWidth)...\(Self.maximumShareBits(publicKey.n)) for a \(publicKey.n.bitWidth)-bit modulus")
            }
            self.init(unchecked: publicKey, threshold: threshold, parties: parties,
                      verificationBase: verificationBase, verificationKeys: verificationKeys, theta: theta, shareBits: bits)
        }

        init(unchecked publicKey: PublicKey, threshold: Int, parties: Int, verificationBase: BigInt,
             verificationKeys: [BigInt], theta: BigInt = 1, shareBits: Int? = nil) {
            self.publicKey = publicKey
            self.threshold = threshold
            self.parties = parties
            self.verificationBase = verificationBase
            self.verificationKeys = verificationKeys
            self.theta = theta
            self.shareBits = shareBits ?? 2 * publicKey.n.bitWidth
        }
    }

    /// One party's share of the decryption key. Secret: keep it with the party.
    public struct ThresholdKeyShare: Sendable {
        public let thresholdKey: ThresholdPublicKey
        /// 1-based party index.
        public let index: Int
        /// s_i = f(i) mod nm (dealt), or the integer share of d (dealer-free).
        let secret: BigInt
        /// The public bound on |s_i|'s length (the key's `shareBits`), so timing does not
        /// depend on it.
        let secretBits: Int

        /// Rebuilds a share (from storage), checking it against the party's verification key.
        public init(thresholdKey: ThresholdPublicKey, index: Int, secret: BigInt) throws {
            guard (1...thresholdKey.parties).contains(index) else {
                throw PaillierError(.invalidThresholdParameters, "party index \(index) is outside 1...\(thresholdKey.parties)", party: index)
            }
            guard !secret.isNegative, secret.bitWidth <= thresholdKey.shareBits else {
                throw PaillierError(.invalidKey, "the key share of party \(index) is out of range", party: index)
            }
            let expected = thresholdKey.verificationBase.power(thresholdKey.delta * secret, modulus: thresholdKey.publicKey.nSquared)
            guard expected == thresholdKey.verificationKeys[index - 1] else {
                throw PaillierError(.invalidKey, "the key share of party \(index) does not match its verification key", party: index)
            }
            self.init(unchecked: thresholdKey, index: index, secret: secret)
        }

        init(unchecked thresholdKey: ThresholdPublicKey, index: Int, secret: BigInt) {
            self.thresholdKey = thresholdKey
            self.index = index
            self.secret = secret
            secretBits = thresholdKey.shareBits
        }

        /// The secret share s_i, for storing it (protect it as a private key).
        public var secretShare: BigInt { secret }
    }

    /// A partial decryption with its proof of correctness.
    public struct DecryptionShare: Sendable, Hashable {
        /// The 1-based party index.
        public let index: Int
        /// c_i = c^(2Δ s_i) mod n².
        public let value: BigInt
        /// The Fiat–Shamir challenge e (256 bits) and response z = r + e·Δ s_i.
        public let challenge: BigInt
        public let response: BigInt

        public init(index: Int, value: BigInt, challenge: BigInt, response: BigInt) {
            self.index = index
            self.value = value
            self.challenge = challenge
            self.response = response
        }
    }

    /// Deals a t-of-ℓ threshold key with a **trusted dealer** (who sees the whole key and
    /// must forget it): fresh safe primes of `bits/2` bits each. 1024-bit safe primes (for a
    /// 2048-bit n) take tens of seconds to minutes.
    public static func dealThresholdKey(bits: Int = 2048, threshold: Int, parties: Int,
                                        policy: KeySizePolicy = .standard) throws -> (ThresholdPublicKey, [ThresholdKeyShare]) {
        try policy.check(bits: bits)
        guard bits % 2 == 0 else {
            throw PaillierError(.invalidKeySize, "the modulus size must be even so that p and q have equal size")
        }
        while true {
            let p = BigInt.safePrime(bits: bits / 2)
            let q = BigInt.safePrime(bits: bits / 2)
            guard p != q, (p * q).bitWidth == bits else { continue }
            return try dealThresholdKey(p: p, q: q, threshold: threshold, parties: parties, policy: policy)
        }
    }

    /// Deals a threshold key from given safe primes (checked), as above.
    public static func dealThresholdKey(p: BigInt, q: BigInt, threshold: Int, parties: Int,
                                        policy: KeySizePolicy = .standard) throws -> (ThresholdPublicKey, [ThresholdKeyShare]) {
        guard parties >= 1, threshold >= 1, threshold <= parties else {
            throw PaillierError(.invalidThresholdParameters, "a threshold of \(threshold) of \(parties) parties is impossible: need 1 ≤ t ≤ parties")
        }
        let privateKey = try PrivateKey(p: p, q: q, policy: policy)
        let pPrime = (p - 1) >> 1, qPrime = (q - 1) >> 1
        guard pPrime.isProbablePrime(rounds: 25), qPrime.isProbablePrime(rounds: 25) else {
            throw PaillierError(.invalidKey, "threshold Paillier needs safe primes (p = 2p' + 1 with p' prime); p or q is not one")
        }
        let n = privateKey.publicKey.n
        let nSquared = privateKey.publicKey.nSquared
        guard BigInt(parties) < min(pPrime, qPrime) else {
            throw PaillierError(.invalidThresholdParameters, "too many parties for a modulus this small")
        }
        let m = pPrime * qPrime
        let nm = n * m
        // d ≡ 0 (mod m), d ≡ 1 (mod n).
        let d = m * m.inverse(n)!
        var coefficients = [d]
        for _ in 1..<threshold { coefficients.append(BigInt.random(below: nm)) }
        let shares: [BigInt] = (1...parties).map { i in
            var value = BigInt()
            for coefficient in coefficients.reversed() { value = value * BigInt(i) + coefficient }
            return value.modulo(nm)
        }
        let v = randomUnit(below: nSquared).power(2, modulus: nSquared)
        let delta = ThresholdPublicKey.factorial(parties)
        let verificationKeys = shares.map { v.power(delta * $0, modulus: nSquared) }
        let h = randomUnit(below: n)
        let hs = privateKey.powerModNSquared(h, exponent: n)
        let publicKey = PublicKey(validatedN: n, nSquared: nSquared, hs: hs)
        let thresholdKey = ThresholdPublicKey(unchecked: publicKey, threshold: threshold, parties: parties,
                                              verificationBase: v, verificationKeys: verificationKeys)
        let keyShares = shares.enumerated().map { ThresholdKeyShare(unchecked: thresholdKey, index: $0.offset + 1, secret: $0.element) }
        return (thresholdKey, keyShares)
    }
}

extension Paillier.ThresholdKeyShare {
    /// This party's partial decryption of `ciphertext`, with a proof that it used the share
    /// behind its verification key. The exponentiations with the secret share (and the proof's
    /// secret nonce) are constant-time.
    public func decrypt(_ ciphertext: Paillier.Ciphertext) -> Paillier.DecryptionShare {
        let key = thresholdKey
        let nSquared = key.publicKey.nSquared
        let context = ModularContext(modulus: nSquared)
        let x = key.delta * secret                       // Δ s_i
        let xBits = key.delta.bitWidth + secretBits
        var ci = context.makeResult()
        context.constantTimePower(ciphertext.value, 2 * x, exponentBits: xBits + 1, into: &ci)
        // Proof of log_{c⁴}(c_i²) = log_v(v_i) = x.
        let c4 = ciphertext.value.power(4, modulus: nSquared)
        let ci2 = ci.power(2, modulus: nSquared)
        let rBits = xBits + 256 + 128
        let r = BigInt.random(bits: rBits)
        var a = context.makeResult(), b = context.makeResult()
        context.constantTimePower(c4, r, exponentBits: rBits, into: &a)
        context.constantTimePower(key.verificationBase, r, exponentBits: rBits, into: &b)
        let e = key.challenge(index: index, c4: c4, ci2: ci2, a: a, b: b)
        let z = r + e * x
        return Paillier.DecryptionShare(index: index, value: ci, challenge: e, response: z)
    }
}

extension Paillier.ThresholdPublicKey {
    func challenge(index: Int, c4: BigInt, ci2: BigInt, a: BigInt, b: BigInt) -> BigInt {
        var transcript = TranscriptBuilder(domain: "tacit.paillier.threshold.dleq.v1")
        transcript.append(publicKey.n)
        transcript.append(threshold)
        transcript.append(parties)
        transcript.append(index)
        transcript.append(verificationBase)
        transcript.append(verificationKeys[index - 1])
        transcript.append(c4)
        transcript.append(ci2)
        transcript.append(a)
        transcript.append(b)
        return BigInt(bigEndianBytes: transcript.digest())
    }

    /// The bound on an honest response z: |r| + 1 bits.
    var responseBits: Int { delta.bitWidth + shareBits + 1 + 256 + 128 + 1 }

    /// Checks one share's proof against `ciphertext`; throws
    /// ``PaillierError/Code/invalidDecryptionShare`` naming the party if it fails.
    public func verify(_ share: Paillier.DecryptionShare, for ciphertext: Paillier.Ciphertext) throws {
        let i = share.index
        guard (1...parties).contains(i) else {
            throw PaillierError(.invalidDecryptionShare, "a decryption share claims party \(i), outside 1...\(parties)", party: i)
        }
        let nSquared = publicKey.nSquared
        guard share.value > 0, share.value < nSquared, share.value.gcd(publicKey.n) == 1 else {
            throw PaillierError(.invalidDecryptionShare, "party \(i)'s decryption share is not in Z*_{n²}: party \(i) is faulty or cheating", party: i)
        }
        guard !share.challenge.isNegative, share.challenge.bitWidth <= 256,
              !share.response.isNegative, share.response.bitWidth <= responseBits else {
            throw PaillierError(.invalidDecryptionShare, "party \(i)'s proof has out-of-range numbers: party \(i) is faulty or cheating", party: i)
        }
        let c4 = ciphertext.value.power(4, modulus: nSquared)
        let ci2 = share.value.power(2, modulus: nSquared)
        let context = ModularContext(modulus: nSquared)
        // a = (c⁴)^z · (c_i²)^(−e), b = v^z · v_i^(−e)
        let a = context.multiply(c4.power(share.response, modulus: nSquared),
                                 ci2.inverse(nSquared)!.power(share.challenge, modulus: nSquared))
        let b = context.multiply(verificationBase.power(share.response, modulus: nSquared),
                                 verificationKeys[i - 1].inverse(nSquared)!.power(share.challenge, modulus: nSquared))
        guard challenge(index: i, c4: c4, ci2: ci2, a: a, b: b) == share.challenge else {
            throw PaillierError(.invalidDecryptionShare, "party \(i)'s decryption share fails its proof of correctness: party \(i) is faulty or cheating; exclude it and combine other shares", party: i)
        }
    }

    /// Splits shares into those whose proofs verify and the rejected ones, with the reason
    /// (for robust decryption: drop the cheaters, combine the rest).
    public func sortShares(_ shares: [Paillier.DecryptionShare], for ciphertext: Paillier.Ciphertext)
        -> (valid: [Paillier.DecryptionShare], rejected: [PaillierError]) {
        var valid: [Paillier.DecryptionShare] = []
        var rejected: [PaillierError] = []
        for share in shares {
            do {
                try verify(share, for: ciphertext)
                valid.append(share)
            } catch let error as PaillierError {
                rejected.append(error)
            } catch {
                rejected.append(PaillierError(.invalidDecryptionShare, "party \(share.index)'s share failed verification", party: share.index))
            }
        }
        return (valid, rejected)
    }

    /// Verifies every share, then combines the first `threshold` of them into the signed
    /// plaintext. Throws naming the first party whose share is invalid, or if there are too
    /// few shares or two from one party.
    public func combine(_ shares: [Paillier.DecryptionShare], for ciphertext: Paillier.Ciphertext) throws -> BigInt {
        try publicKey.signedValue(residue: combineResidue(shares, for: ciphertext))
    }

    public func combineResidue(_ shares: [Paillier.DecryptionShare], for ciphertext: Paillier.Ciphertext) throws -> BigInt {
        var seen = Set<Int>()
        for share in shares {
            guard seen.insert(share.index).inserted else {
                throw PaillierError(.inconsistentShares, "two decryption shares claim party \(share.index)", party: share.index)
            }
        }
        guard shares.count >= threshold else {
            throw PaillierError(.notEnoughShares, "\(shares.count) decryption shares given; this key needs \(threshold)")
        }
        for share in shares { try verify(share, for: ciphertext) }
        let used = Array(shares.prefix(threshold))
        let n = publicKey.n, nSquared = publicKey.nSquared
        let delta = self.delta
        let context = ModularContext(modulus: nSquared)
        var product = BigInt(1)
        for share in used {
            // μ_i = Δ · Π_{j ≠ i} j / (j − i): an integer.
            var numerator = delta, denominator = BigInt(1)
            for other in used where other.index != share.index {
                numerator *= BigInt(other.index)
                denominator *= BigInt(other.index - share.index)
            }
            let mu = numerator / denominator
            var term = share.value.power(2 * mu.magnitude, modulus: nSquared)
            if mu.isNegative { term = term.inverse(nSquared)! }
            context.multiply(&product, by: term)
        }
        // product = (1 + n)^(4Δ² θ x) mod n²
        let l = (product - 1) / n
        // θ is a unit (checked when the key is built) and 4Δ² is too (Δ < p, q), so the
        // inverse exists.
        guard let scale = (4 * delta * delta * theta).inverse(n) else {
            throw PaillierError(.invalidKey, "4Δ²θ is not invertible mod n: the threshold key is malformed")
        }
        return (l * scale).modulo(n)
    }
}
