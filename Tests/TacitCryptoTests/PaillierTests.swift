import Testing
import TacitCrypto
import TacitMath

@Suite("Paillier: round trips and homomorphic identities")
struct PaillierCoreTests {
    let key = Keys.k1024
    var pk: Paillier.PublicKey { key.publicKey }

    func edgeValues() -> [BigInt] {
        let max = pk.maxSignedPlaintext
        return [0, 1, -1, 2, -2, max, -max, max - 1, -(max - 1), BigInt(Int64.max), BigInt(Int64.min)]
            + (0..<6).map { _ in BigInt.random(below: max) - BigInt.random(below: max) }
    }

    @Test func roundTripEveryMethod() throws {
        for m in edgeValues() {
            for method in [Paillier.PublicKey.EncryptionMethod.automatic, .fast, .textbook] {
                #expect(key.decrypt(try pk.encrypt(m, method: method)) == m)
            }
            #expect(key.decrypt(try key.encrypt(m)) == m)
        }
    }

    @Test func residueEdges() throws {
        let n = pk.n
        for r in [BigInt(0), 1, n - 1, (n - 1) / 2, (n + 1) / 2] {
            let c = try pk.encrypt(residue: r)
            #expect(key.decryptResidue(c) == r)
        }
        // n − 1 is −1 in the signed reading; (n+1)/2 is the most negative value.
        #expect(key.decrypt(try pk.encrypt(residue: n - 1)) == -1)
        #expect(key.decrypt(try pk.encrypt(residue: (n + 1) / 2)) == -pk.maxSignedPlaintext)
    }

    @Test func encryptionIsRandomised() throws {
        let a = try pk.encrypt(42), b = try pk.encrypt(42)
        #expect(a != b)
        let r = try pk.rerandomize(a)
        #expect(r != a)
        #expect(key.decrypt(r) == 42)
        #expect(key.decrypt(try pk.rerandomize(a, method: .textbook)) == 42)
    }

    @Test func homomorphicIdentities() throws {
        let values = edgeValues()
        let half = pk.maxSignedPlaintext / 2
        for (i, a) in values.enumerated() {
            let b = values[(i * 7 + 3) % values.count]
            let ca = try pk.encrypt(a), cb = try pk.encrypt(b)
            #expect(key.decrypt(pk.negate(ca)) == -a)
            if (a + b).magnitude <= pk.maxSignedPlaintext {
                #expect(key.decrypt(pk.add(ca, cb)) == a + b)
                #expect(key.decrypt(try pk.add(ca, plaintext: b)) == a + b)
                #expect(key.decrypt(Paillier.Evaluator(publicKey: pk).add(ca, cb)) == a + b)
            }
            if (a - b).magnitude <= pk.maxSignedPlaintext {
                #expect(key.decrypt(pk.subtract(ca, cb)) == a - b)
            }
            for k in [BigInt(0), 1, -1, 3, -7, BigInt(UInt64.max), -BigInt(Int64.max)] where (a * k).magnitude <= pk.maxSignedPlaintext {
                #expect(key.decrypt(try pk.multiply(ca, by: k)) == a * k)
            }
            if a.magnitude < half {
                #expect(key.decrypt(try pk.multiply(ca, by: 2)) == 2 * a)
            }
        }
        // Wrap-around is modular and documented: max + 1 becomes −max.
        let wrapped = try pk.add(try pk.encrypt(pk.maxSignedPlaintext), plaintext: 1)
        #expect(key.decrypt(wrapped) == -pk.maxSignedPlaintext)
    }

    @Test func overflowDetection() throws {
        let c = try pk.encrypt(pk.maxSignedPlaintext)
        #expect(throws: PaillierError.self) { try key.decrypt(c, bound: BigInt(Int64.max)) }
        #expect(try key.decrypt(try pk.encrypt(-5), bound: 5) == -5)
        #expect(throws: PaillierError.self) { try pk.checkNoOverflow(terms: 3, magnitude: pk.maxSignedPlaintext / 2) }
        try pk.checkNoOverflow(terms: 1_000_000, magnitude: BigInt(Int64.max))
        #expect(pk.maxMagnitude(forSumOf: 2) == pk.maxSignedPlaintext / 2)
    }

    @Test func fixedPoint() throws {
        let cents = FixedPointFormat(fractionalDigits: 2, bits: 64)
        let a = try pk.encrypt("1234.56", format: cents), b = try pk.encrypt("-0.07", format: cents)
        #expect(try key.decrypt(pk.add(a, b), format: cents) == "1234.49")
        #expect(try key.decrypt(try pk.multiply(b, by: -3), format: cents) == "0.21")
        // A result outside the format (here: an overflowing product) is detected.
        let big = try pk.multiply(a, by: BigInt(1) << 80)
        #expect(throws: PaillierError.self) { try key.decrypt(big, format: cents) }
        #expect(throws: PaillierError.self) { try pk.encrypt("0.001", format: cents) }
    }

    @Test func outOfRangePlaintexts() throws {
        let over = pk.maxSignedPlaintext + 1
        for bad in [over, -over, pk.n] {
            #expect(throws: PaillierError.self) { try pk.encrypt(bad) }
            #expect(throws: PaillierError.self) { try pk.add(try pk.encrypt(1), plaintext: bad) }
            #expect(throws: PaillierError.self) { try pk.multiply(try pk.encrypt(1), by: bad) }
        }
        #expect(throws: PaillierError.self) { try pk.encrypt(residue: -1) }
        #expect(throws: PaillierError.self) { try pk.encrypt(residue: pk.n) }
    }

    @Test func randomizerPoolAndBatches() async throws {
        let pool = Paillier.RandomizerPool(publicKey: pk)
        await pool.refill(8)
        #expect(pool.count == 8)
        let pooled = try pool.encrypt(-99)
        #expect(pool.count == 7)
        #expect(key.decrypt(pooled) == -99)

        let values: [BigInt] = (0..<40).map { BigInt($0 * 1000 - 17_000) }
        let cs = try await pk.encrypt(values)
        #expect(await key.decrypt(cs) == values)
        let doubled = await pk.add(cs, cs)
        #expect(await key.decrypt(doubled) == values.map { 2 * $0 })
        let sum = await pk.sum(cs)
        #expect(key.decrypt(sum) == values.reduce(BigInt(0), +))
        let scaled = try await pk.multiply(cs, by: values.map { _ in BigInt(-3) })
        #expect(await key.decryptResidues(scaled) == values.map { try! pk.residue(signed: -3 * $0) })
        await #expect(throws: PaillierError.self) { try await pk.encrypt([1, pk.n]) }
        #expect(key.decrypt(await pk.sum([])) == 0)
    }

    @Test func keyWithoutFastBaseFallsBack() throws {
        let plain = try Paillier.PublicKey(n: pk.n, policy: Keys.policy)
        #expect(plain.hs == nil)
        #expect(key.decrypt(try plain.encrypt(5)) == 5)
        #expect(throws: PaillierError.self) { try plain.encrypt(5, method: .fast) }
        let fresh = plain.withFastEncryptionBase()
        #expect(key.decrypt(try fresh.encrypt(6, method: .fast)) == 6)
        #expect(key.decrypt(try pk.withFastEncryptionWindow(4).encrypt(7, method: .fast)) == 7)
    }

    @Test func fixedBaseTableMatchesPower() {
        let modulus = pk.nSquared
        let base = BigInt.random(below: modulus)
        for window in [1, 3, 5, 8] {
            let table = FixedBasePowerTable(base: base, modulus: modulus, exponentBits: 200, window: window)
            for e in [BigInt(0), 1, 255, 256, (BigInt(1) << 200) - 1, BigInt.random(bits: 200), BigInt(1) << 63, BigInt(1) << 64] {
                #expect(table.power(e) == base.power(e, modulus: modulus))
            }
        }
    }

    @Test func roundTrip2048() throws {
        let big = try Paillier.PrivateKey.generate()
        #expect(big.publicKey.bits == 2048)
        #expect(big.p.bitWidth == 1024 && big.q.bitWidth == 1024)
        for m in [BigInt(0), -1, big.publicKey.maxSignedPlaintext, BigInt.random(bits: 2000)] {
            #expect(big.decrypt(try big.publicKey.encrypt(m)) == m)
        }
        let a = try big.publicKey.encrypt(123_456_789), b = try big.encrypt(-1_000)
        #expect(big.decrypt(big.publicKey.add(a, b)) == 123_455_789)
    }
}
