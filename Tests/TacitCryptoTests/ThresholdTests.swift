import Testing
import TacitCrypto
import TacitMath

@Suite("Paillier: threshold decryption")
struct ThresholdTests {
    func everySubsetDecrypts(_ dealt: (Paillier.ThresholdPublicKey, [Paillier.ThresholdKeyShare])) throws {
        let (tk, shares) = dealt
        let pk = tk.publicKey
        for m in [BigInt(0), 1, -1, pk.maxSignedPlaintext, -pk.maxSignedPlaintext, BigInt(987_654_321)] {
            let c = try pk.encrypt(m)
            let partials = shares.map { $0.decrypt(c) }
            for subset in subsets(partials, size: tk.threshold) {
                #expect(try tk.combine(subset, for: c) == m, "subset \(subset.map(\.index))")
            }
            // More than t shares also work (the first t are used after all are verified).
            #expect(try tk.combine(partials, for: c) == m)
            // Fewer than t do not.
            #expect(throws: PaillierError.self) { try tk.combine(Array(partials.prefix(tk.threshold - 1)), for: c) }
        }
    }

    @Test func twoOfThree() throws { try everySubsetDecrypts(Keys.threshold2of3) }
    @Test func threeOfFive() throws { try everySubsetDecrypts(Keys.threshold3of5) }

    @Test func homomorphicSumThenThresholdDecrypt() throws {
        let (tk, shares) = Keys.threshold3of5
        let pk = tk.publicKey
        let sum = pk.add(try pk.encrypt(-40), try pk.add(try pk.encrypt(100), plaintext: 2))
        #expect(try tk.combine([shares[4], shares[0], shares[2]].map { $0.decrypt(sum) }, for: sum) == 62)
    }

    func rejection(_ shares: [Paillier.DecryptionShare], _ tk: Paillier.ThresholdPublicKey, _ c: Paillier.Ciphertext) -> PaillierError? {
        do { _ = try tk.combine(shares, for: c) } catch let error as PaillierError { return error } catch { return nil }
        return nil
    }

    @Test func corruptedSharesNameTheParty() throws {
        let (tk, keyShares) = Keys.threshold3of5
        let pk = tk.publicKey
        let c = try pk.encrypt(31337)
        let good = keyShares.map { $0.decrypt(c) }
        for victim in 0..<5 {
            let s = good[victim]
            let forgeries = [
                // Wrong value, honest proof.
                Paillier.DecryptionShare(index: s.index, value: (s.value * 2).modulo(pk.nSquared), challenge: s.challenge, response: s.response),
                // Right value, bad proof.
                Paillier.DecryptionShare(index: s.index, value: s.value, challenge: s.challenge, response: s.response + 1),
                Paillier.DecryptionShare(index: s.index, value: s.value, challenge: (s.challenge + 1).modulo(BigInt(1) << 256), response: s.response),
                // A value outside Z*_{n²}.
                Paillier.DecryptionShare(index: s.index, value: pk.n, challenge: s.challenge, response: s.response),
                // Another party's valid share relabelled.
                Paillier.DecryptionShare(index: s.index, value: good[(victim + 1) % 5].value, challenge: good[(victim + 1) % 5].challenge, response: good[(victim + 1) % 5].response),
                // A share for another ciphertext.
                keyShares[victim].decrypt(try pk.encrypt(31337)),
            ]
            for (f, forged) in forgeries.enumerated() {
                var set = Array(good.prefix(3))
                if victim < 3 { set[victim] = forged } else { set.append(forged) }
                let error = rejection(set, tk, c)
                #expect(error?.code == .invalidDecryptionShare, "victim \(victim + 1), forgery \(f)")
                #expect(error?.party == victim + 1, "victim \(victim + 1), forgery \(f)")
                #expect(error?.message.contains("party \(victim + 1)") == true)
            }
        }
        // Robust path: drop the cheater, combine the rest.
        var mixed = good
        mixed[1] = Paillier.DecryptionShare(index: 2, value: good[1].value, challenge: good[1].challenge, response: good[1].response + 1)
        let (valid, rejected) = tk.sortShares(mixed, for: c)
        #expect(rejected.map(\.party) == [2])
        #expect(try tk.combine(valid, for: c) == 31337)
        // Duplicates and unknown parties.
        #expect(rejection([good[0], good[0], good[1]], tk, c)?.code == .inconsistentShares)
        let stranger = Paillier.DecryptionShare(index: 9, value: good[0].value, challenge: good[0].challenge, response: good[0].response)
        #expect(rejection([good[0], good[1], stranger], tk, c)?.party == 9)
    }

    @Test func shareWireFormat() throws {
        let (tk, keyShares) = Keys.threshold2of3
        let pk = tk.publicKey
        let c = try pk.encrypt(5)
        let shares = try keyShares.map { try Paillier.Wire.decodeDecryptionShare(Paillier.Wire.encode($0.decrypt(c), publicKey: pk), publicKey: pk) }
        #expect(try tk.combine(shares, for: c) == 5)
        let bytes = Paillier.Wire.encode(shares[0], publicKey: pk)
        #expect(throws: PaillierError.self) { try Paillier.Wire.decodeDecryptionShare(Array(bytes.dropLast()), publicKey: pk) }
        #expect(throws: PaillierError.self) { try Paillier.Wire.decodeDecryptionShare(bytes + [1], publicKey: pk) }
    }

    @Test func dealingChecks() throws {
        let policy = Keys.policy
        #expect(throws: PaillierError.self) { try Paillier.dealThresholdKey(bits: 512, threshold: 4, parties: 3, policy: policy) }
        #expect(throws: PaillierError.self) { try Paillier.dealThresholdKey(bits: 512, threshold: 0, parties: 3, policy: policy) }
        let p = BigInt.probablePrime(bits: 256), q = BigInt.probablePrime(bits: 256)
        // Ordinary primes are almost never safe primes.
        if !((p - 1) / 2).isProbablePrime() || !((q - 1) / 2).isProbablePrime() {
            #expect(throws: PaillierError.self) { try Paillier.dealThresholdKey(p: p, q: q, threshold: 2, parties: 3, policy: policy) }
        }
        // A stored share is checked against its verification key.
        let (tk, shares) = Keys.threshold2of3
        _ = try Paillier.ThresholdKeyShare(thresholdKey: tk, index: 2, secret: shares[1].secretShare)
        #expect(throws: PaillierError.self) { try Paillier.ThresholdKeyShare(thresholdKey: tk, index: 2, secret: shares[0].secretShare) }
        #expect(throws: PaillierError.self) { try Paillier.ThresholdKeyShare(thresholdKey: tk, index: 4, secret: shares[0].secretShare) }
    }
}

/// The threshold public key's wire form, as the ledger's `KeyRegistered` carries it.
@Suite("Paillier: threshold public key wire form")
struct ThresholdWireTests {
    @Test("round trip: the decoded key verifies the same shares and decrypts with them")
    func roundTrip() throws {
        let (tk, shares) = Keys.threshold2of3
        let bytes = Paillier.Wire.encode(tk)
        let back = try Paillier.Wire.decodeThresholdPublicKey(bytes, policy: Keys.policy)
        #expect(back.publicKey.n == tk.publicKey.n && back.threshold == 2 && back.parties == 3)
        #expect(back.verificationBase == tk.verificationBase && back.verificationKeys == tk.verificationKeys)
        #expect(Paillier.Wire.encode(back) == bytes, "one encoding per key")
        let c = try tk.publicKey.encrypt(4242)
        #expect(try back.combine([shares[2], shares[0]].map { $0.decrypt(c) }, for: c) == 4242)
        // 2048-bit policy: a 512-bit key is refused by default.
        #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(bytes) }
    }

    @Test("truncated, extended, inconsistent or out-of-range forms are refused with a PaillierError")
    func malformed() throws {
        let (tk, _) = Keys.threshold2of3
        let bytes = Paillier.Wire.encode(tk)
        for cut in [0, 4, 5, 7, 70, bytes.count - 1] {
            #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(Array(bytes.prefix(cut)), policy: Keys.policy) }
        }
        #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(bytes + [0], policy: Keys.policy) }
        let k = tk.publicKey.n.byteCount
        var badT = bytes
        badT[5 + 2 + k] = 0; badT[5 + 2 + k + 1] = 9  // threshold 9 of 3
        let e = #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(badT, policy: Keys.policy) }
        #expect(e?.code == .invalidThresholdParameters)
        var manyParties = bytes
        manyParties[5 + 2 + k + 2] = 0xff  // claims far more verification keys than bytes
        #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(manyParties, policy: Keys.policy) }
        var zeroTheta = bytes
        for i in (bytes.count - 2 - k)..<(bytes.count - 2) { zeroTheta[i] = 0 }  // θ = 0 is no unit
        let t = #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(zeroTheta, policy: Keys.policy) }
        #expect(t?.code == .invalidKey)
        var zeroKey = bytes
        for i in (bytes.count - 2 - 3 * k)..<(bytes.count - 2 - k) { zeroKey[i] = 0 }  // the last verification key is 0
        let z = #expect(throws: PaillierError.self) { _ = try Paillier.Wire.decodeThresholdPublicKey(zeroKey, policy: Keys.policy) }
        #expect(z?.code == .invalidKey)
    }
}
