import Testing
import TacitCrypto
import TacitMath

/// A dealer-free key (TacitKeygen) shares d = β·φ(n), so θ = d mod n is a random unit rather
/// than 1, and its shares are integers longer than 2·|n| bits. These tests build such a key
/// from a dealt one (shares θ·s_i are shares of θ·d, and θ·d ≡ θ mod n) and check that the
/// existing decryption, proofs and combination handle it.
@Suite("Paillier: threshold keys with a public θ")
struct ThresholdThetaTests {
    static func scaled(_ dealt: (Paillier.ThresholdPublicKey, [Paillier.ThresholdKeyShare]), by theta: BigInt) throws
        -> (Paillier.ThresholdPublicKey, [Paillier.ThresholdKeyShare]) {
        let (tk, shares) = dealt
        let nSquared = tk.publicKey.nSquared
        let shareBits = 2 * tk.publicKey.n.bitWidth + theta.bitWidth
        let scaledKey = try Paillier.ThresholdPublicKey(
            publicKey: tk.publicKey, threshold: tk.threshold, parties: tk.parties, verificationBase: tk.verificationBase,
            verificationKeys: tk.verificationKeys.map { $0.power(theta, modulus: nSquared) },
            theta: theta, shareBits: shareBits)
        let scaledShares = try shares.map {
            try Paillier.ThresholdKeyShare(thresholdKey: scaledKey, index: $0.index, secret: $0.secretShare * theta)
        }
        return (scaledKey, scaledShares)
    }

    @Test("every t-subset decrypts under a key with θ ≠ 1 and long integer shares")
    func thetaKeyDecrypts() throws {
        let n = Keys.threshold3of5.0.publicKey.n
        var theta = BigInt.random(below: n)
        while theta.gcd(n) != 1 || theta == 1 { theta = BigInt.random(below: n) }
        let (tk, shares) = try Self.scaled(Keys.threshold3of5, by: theta)
        #expect(tk.theta == theta)
        #expect(shares.allSatisfy { $0.secretShare.bitWidth > 2 * n.bitWidth })
        for m in [BigInt(0), 1, -1, BigInt(987_654_321), tk.publicKey.maxSignedPlaintext] {
            let c = try tk.publicKey.encrypt(m)
            let partials = shares.map { $0.decrypt(c) }
            for subset in subsets(partials, size: tk.threshold) {
                #expect(try tk.combine(subset, for: c) == m, "subset \(subset.map(\.index))")
            }
        }
    }

    @Test("combining with the wrong θ gives a wrong plaintext: θ is really divided out")
    func thetaMatters() throws {
        let (tk, shares) = Keys.threshold2of3
        // The dealt key's shares combined as if θ were 2: the result is m/2 mod n, not m.
        let wrong = try Paillier.ThresholdPublicKey(
            publicKey: tk.publicKey, threshold: tk.threshold, parties: tk.parties, verificationBase: tk.verificationBase,
            verificationKeys: tk.verificationKeys, theta: 2)
        let c = try tk.publicKey.encrypt(residue: 1000)
        let partials = shares.map { $0.decrypt(c) }
        #expect(try tk.combineResidue(partials, for: c) == 1000)
        #expect(try wrong.combineResidue(partials, for: c) == 500)
    }

    @Test("a θ that is not a unit mod n, or an absurd share bound, is refused with its code")
    func badThetaOrBound() throws {
        let (tk, _) = Keys.threshold2of3
        let n = tk.publicKey.n
        func build(theta: BigInt = 1, shareBits: Int? = nil) throws {
            _ = try Paillier.ThresholdPublicKey(
                publicKey: tk.publicKey, threshold: tk.threshold, parties: tk.parties, verificationBase: tk.verificationBase,
                verificationKeys: tk.verificationKeys, theta: theta, shareBits: shareBits)
        }
        for theta in [BigInt(0), n, n + 1, -1] {
            let error = #expect(throws: PaillierError.self) { try build(theta: theta) }
            #expect(error?.code == .invalidKey)
        }
        for bits in [2 * n.bitWidth - 1, 4 * n.bitWidth + 4097, Int.max] {
            let error = #expect(throws: PaillierError.self) { try build(shareBits: bits) }
            #expect(error?.code == .invalidThresholdParameters)
        }
        // A share longer than the key's bound is refused even if it matches its verification key.
        let long = try Paillier.ThresholdPublicKey(
            publicKey: tk.publicKey, threshold: tk.threshold, parties: tk.parties, verificationBase: tk.verificationBase,
            verificationKeys: tk.verificationKeys, theta: 1, shareBits: 2 * n.bitWidth)
        let error = #expect(throws: PaillierError.self) {
            try Paillier.ThresholdKeyShare(thresholdKey: long, index: 1, secret: BigInt(1) << (2 * n.bitWidth + 1))
        }
        #expect(error?.code == .invalidKey)
    }
}
