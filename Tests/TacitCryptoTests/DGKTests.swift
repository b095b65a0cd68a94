import Foundation
import Testing
import TacitCrypto
import TacitMath
import TacitBytes

/// Keys shared by the DGK tests (generated once per process): small, so the suite is quick;
/// the known-answer keys come from Python.
enum DGKKeys {
    static let policy = DGK.KeySizePolicy.insecureAnySizeForTesting
    static let small: DGK.PrivateKey = try! DGK.PrivateKey.generate(bits: 512, u: 19, t: 40, policy: policy)
}

func dgkCode(_ body: () throws -> Void) -> DGKError.Code? {
    do { try body() } catch let error as DGKError { return error.code } catch { return nil }
    return nil
}

/// Vectors computed by `Fixtures/dgk_vectors.py` with Python's integers and `pow` only (no
/// Tacit code): `python3 Tests/TacitCryptoTests/Fixtures/dgk_vectors.py > Tests/TacitCryptoTests/Fixtures/dgk-kat.json`.
@Suite("DGK: known answers from Python's pow")
struct DGKKnownAnswerTests {
    struct Case { let m: Int, r: BigInt, c: BigInt, zero: Bool }
    struct Key {
        let bits: Int, u: Int, t: Int
        let n: BigInt, p: BigInt, q: BigInt, vp: BigInt, vq: BigInt, g: BigInt, h: BigInt
        let cases: [Case], sumC: BigInt, sumM: Int, wire: [UInt8]
    }

    static func load() throws -> [Key] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dgk-kat.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func text(_ o: [String: Any], _ k: String) throws -> String { try #require(o[k] as? String) }
        func int(_ o: [String: Any], _ k: String) throws -> Int { try #require(o[k] as? Int) }
        func list(_ o: [String: Any], _ k: String) throws -> [[String: Any]] { try #require(o[k] as? [[String: Any]]) }
        func big(_ o: [String: Any], _ k: String) throws -> BigInt { try BigInt(parsing: try text(o, k)) }
        return try list(root, "keys").map { k in
            let cases = try list(k, "cases").map { c in
                Case(m: try int(c, "m"), r: try big(c, "r"), c: try big(c, "c"), zero: try #require(c["zero"] as? Bool))
            }
            let sum = try #require(k["sum"] as? [String: Any])
            let wire = try #require(Hex.decode(try text(k, "publicKeyWire")))
            return Key(bits: try int(k, "bits"), u: try int(k, "u"), t: try int(k, "t"),
                       n: try big(k, "n"), p: try big(k, "p"), q: try big(k, "q"), vp: try big(k, "vp"), vq: try big(k, "vq"),
                       g: try big(k, "g"), h: try big(k, "h"), cases: cases, sumC: try big(sum, "c"),
                       sumM: try int(sum, "m"), wire: wire)
        }
    }

    @Test("Python's keys validate; g^m·h^r, the zero test and decryption match Python for every m < u")
    func matchesPython() throws {
        let keys = try Self.load()
        #expect(keys.map(\.bits) == [512, 1024])
        for k in keys {
            let pk = try DGK.PublicKey(n: k.n, u: k.u, t: k.t, g: k.g, h: k.h, policy: DGKKeys.policy)
            let sk = try DGK.PrivateKey(p: k.p, q: k.q, vp: k.vp, vq: k.vq, publicKey: pk)
            #expect(k.cases.count == k.u + 8)
            #expect(Set(k.cases.map(\.m)) == Set(0..<k.u))
            for c in k.cases {
                let mine = try pk.encrypt(c.m, r: c.r)
                #expect(mine.value == c.c, "\(k.bits) bits, m = \(c.m)")
                let theirs = try pk.ciphertext(c.c)
                #expect(sk.isZero(theirs) == c.zero)
                #expect(c.zero == (c.m == 0))
                #expect(try sk.decrypt(theirs) == c.m)
            }
            #expect(try sk.decrypt(try pk.ciphertext(k.sumC)) == k.sumM)
            // The wire bytes Python wrote from the documented layout decode to the same key,
            // and this build writes the same bytes.
            #expect(try DGK.Wire.decodePublicKey(k.wire, policy: DGKKeys.policy) == pk)
            #expect(DGK.Wire.encode(pk) == k.wire)
        }
    }
}

@Suite("DGK: encryption, homomorphic operations and the zero test")
struct DGKPropertyTests {
    let key = DGKKeys.small
    var pk: DGK.PublicKey { key.publicKey }

    @Test("every m < u decrypts, fresh, pooled and re-randomised; only 0 passes the zero test")
    func everyPlaintext() throws {
        var pool = DGK.RandomizerPool(publicKey: pk)
        pool.topUp(to: pk.u)
        #expect(pool.count == pk.u)
        let decryptor = key.makeDecryptor()
        for m in 0..<pk.u {
            for c in [try pk.encrypt(m), try pool.encrypt(m), pk.rerandomize(try pk.encrypt(m))] {
                #expect(try decryptor.decrypt(c) == m)
                #expect(decryptor.isZero(c) == (m == 0))
            }
        }
        #expect(pool.count == 0)
        #expect(pool.madeOnDemand == 0)
        _ = try pool.encrypt(1)
        #expect(pool.madeOnDemand == 1)
        // Two encryptions of the same m differ (fresh randomness).
        #expect(try pk.encrypt(3) != pk.encrypt(3))
    }

    @Test("the key holder's CRT randomisers lie in the subgroup of h, differ, and encrypt like the public ones")
    func holderRandomizers() throws {
        let order = key.vp * key.vq
        var seen = Set<BigInt>()
        for m in 0..<pk.u {
            let r = key.randomizer()
            #expect(r > 0 && r < pk.n)
            #expect(r.power(order, modulus: pk.n) == 1)
            #expect(r != 1)
            seen.insert(r)
            #expect(try key.decrypt(pk.encrypt(m, randomizer: r)) == m)
            #expect(try key.decrypt(key.encrypt(m)) == m)
            #expect(key.isZero(try key.encrypt(m)) == (m == 0))
        }
        #expect(seen.count == pk.u)
        // The public randomisers lie in the same subgroup.
        #expect(pk.randomizer().power(order, modulus: pk.n) == 1)
    }

    @Test("add, scalar multiply (public and secret), negate and subtract work mod u")
    func homomorphic() throws {
        let u = pk.u
        for a in [0, 1, 2, 7, u - 1] {
            for b in [0, 1, 5, u - 2, u - 1] {
                let ca = try pk.encrypt(a), cb = try pk.encrypt(b)
                #expect(try key.decrypt(pk.add(ca, cb)) == (a + b) % u)
                #expect(try key.decrypt(pk.subtract(ca, cb)) == ((a - b) % u + u) % u)
                #expect(try key.decrypt(pk.multiply(ca, by: b)) == (a * b) % u)
                #expect(try key.decrypt(pk.multiply(ca, bySecret: b)) == (a * b) % u)
                #expect(try key.decrypt(pk.multiply(ca, by: -b)) == ((-a * b) % u + u) % u)
            }
            #expect(try key.decrypt(pk.negate(try pk.encrypt(a))) == (u - a) % u)
            #expect(try key.decrypt(pk.constant(a)) == a)
            #expect(try key.decrypt(pk.constant(-a)) == (u - a) % u)
        }
    }

    @Test("a generated key passes its own validation, at the requested sizes")
    func generatedKeyValidates() throws {
        #expect(pk.bits == 512)
        #expect(key.vp.bitWidth == 40 && key.vq.bitWidth == 40)
        #expect(pk.randomBits == 100)
        let again = try DGK.PrivateKey(p: key.p, q: key.q, vp: key.vp, vq: key.vq, publicKey: pk)
        #expect(try again.decrypt(pk.encrypt(5)) == 5)
        #expect(try DGK.Wire.decodePublicKey(DGK.Wire.encode(pk), policy: DGKKeys.policy) == pk)
    }

    @Test("a 2048-bit key with t = 160 under the standard policy")
    func standardKey() throws {
        let k = try DGK.PrivateKey.generate(u: 67)
        #expect(k.publicKey.bits == 2048 && k.publicKey.t == 160 && k.publicKey.randomBits == 400)
        #expect(try k.decrypt(k.publicKey.encrypt(66)) == 66)
        #expect(k.isZero(try k.publicKey.encrypt(0)))
        #expect(try DGK.Wire.decodePublicKey(DGK.Wire.encode(k.publicKey)) == k.publicKey)
    }
}

@Suite("DGK: refused keys, ciphertexts and encodings")
struct DGKValidationTests {
    let key = DGKKeys.small
    var pk: DGK.PublicKey { key.publicKey }
    let policy = DGKKeys.policy

    @Test func ciphertextRange() throws {
        #expect(dgkCode { _ = try pk.ciphertext(0) } == .ciphertextOutOfRange)
        #expect(dgkCode { _ = try pk.ciphertext(-1) } == .ciphertextOutOfRange)
        #expect(dgkCode { _ = try pk.ciphertext(pk.n) } == .ciphertextOutOfRange)
        #expect(dgkCode { _ = try pk.ciphertext(pk.n + 1) } == .ciphertextOutOfRange)
        #expect(dgkCode { _ = try pk.ciphertext(1) } == nil)
        #expect(dgkCode { _ = try pk.ciphertext(pk.n - 1) } == nil)
        // A multiple of p is in range but no encryption: it decrypts to nothing and is not zero.
        let bad = try pk.ciphertext(key.p)
        #expect(!key.isZero(bad))
        #expect(dgkCode { _ = try key.decrypt(bad) } == .notDecryptable)
    }

    @Test func plaintextRange() {
        #expect(dgkCode { _ = try pk.encrypt(-1) } == .plaintextOutOfRange)
        #expect(dgkCode { _ = try pk.encrypt(pk.u) } == .plaintextOutOfRange)
        #expect(dgkCode { _ = try pk.multiply(pk.constant(1), bySecret: pk.u) } == .plaintextOutOfRange)
    }

    @Test func publicKeyFields() {
        let (n, u, t, g, h) = (pk.n, pk.u, pk.t, pk.g, pk.h)
        func make(n: BigInt? = nil, u: Int? = nil, t: Int? = nil, g: BigInt? = nil, h: BigInt? = nil, policy: DGK.KeySizePolicy? = nil) -> DGKError.Code? {
            dgkCode { _ = try DGK.PublicKey(n: n ?? pk.n, u: u ?? pk.u, t: t ?? pk.t, g: g ?? pk.g, h: h ?? pk.h, policy: policy ?? self.policy) }
        }
        #expect(make() == nil)
        #expect(make(policy: .standard) == .invalidKeySize)  // 512 bits
        #expect(make(n: n + 1) == .invalidKeySize)  // even
        #expect(make(n: 0) == .invalidKeySize)
        #expect(make(n: BigInt.probablePrime(bits: 512), g: 2, h: 3) == .invalidKeySize)  // prime
        #expect(make(n: n >> 300) == .invalidKeySize)  // too small
        #expect(make(u: 1) == .invalidPlaintextModulus)
        #expect(make(u: 21) == .invalidPlaintextModulus)  // not prime
        #expect(make(u: 65537) == .invalidPlaintextModulus)  // prime but too large
        #expect(make(t: 8) == .invalidRandomnessLength)
        #expect(make(t: 200) == .invalidRandomnessLength)
        #expect(make(g: 1) == .invalidKey)
        #expect(make(g: n) == .invalidKey)
        #expect(make(h: 0) == .invalidKey)
        #expect(make(h: n + 5) == .invalidKey)
        #expect(make(g: key.p) == .invalidKey)  // shares a factor with n
        #expect(make(h: key.q * 3) == .invalidKey)
        _ = (u, t, g, h)
    }

    @Test func privateKeyAgainstPublicKey() throws {
        let (p, q, vp, vq) = (key.p, key.q, key.vp, key.vq)
        func make(p: BigInt? = nil, q: BigInt? = nil, vp: BigInt? = nil, vq: BigInt? = nil, pk: DGK.PublicKey? = nil) -> DGKError.Code? {
            dgkCode { _ = try DGK.PrivateKey(p: p ?? key.p, q: q ?? key.q, vp: vp ?? key.vp, vq: vq ?? key.vq, publicKey: pk ?? self.pk) }
        }
        #expect(make() == nil)
        #expect(make(p: q, q: p, vp: vq, vq: vp) == nil)  // the roles of p and q swap with their v's
        #expect(make(p: p + 2) == .invalidKey)
        #expect(make(vp: vq) == .invalidKey)
        #expect(make(vp: BigInt.probablePrime(bits: 40)) == .invalidKey)
        #expect(make(vp: vp * 2 + 1) == .invalidKey)
        // Another key's public part, or this key with a generator of the wrong order.
        let other = DGKKeys.small.publicKey
        let wrongG = try DGK.PublicKey(n: pk.n, u: pk.u, t: pk.t, g: pk.h, h: pk.h, policy: policy)
        #expect(make(pk: wrongG) == .invalidKey)
        let wrongH = try DGK.PublicKey(n: pk.n, u: pk.u, t: pk.t, g: pk.g, h: pk.g, policy: policy)
        #expect(make(pk: wrongH) == .invalidKey)
        let wrongU = try DGK.PublicKey(n: pk.n, u: 23, t: pk.t, g: pk.g, h: pk.h, policy: policy)
        #expect(make(pk: wrongU) == .invalidKey)
        _ = other
    }

    @Test("malformed, truncated, trailing and out-of-range encodings are refused with their codes")
    func encodings() throws {
        let good = DGK.Wire.encode(pk)
        func decode(_ b: [UInt8]) -> DGKError.Code? { dgkCode { _ = try DGK.Wire.decodePublicKey(b, policy: policy) } }
        #expect(decode(good) == nil)
        #expect(decode([]) == .malformedEncoding)
        #expect(decode(Array(good.dropLast())) == .malformedEncoding)
        #expect(decode(good + [0]) == .malformedEncoding)
        var badMagic = good; badMagic[0] = 0x55
        #expect(decode(badMagic) == .malformedEncoding)
        var badKind = good; badKind[2] = 2
        #expect(decode(badKind) == .malformedEncoding)
        var badVersion = good; badVersion[3] = 9
        #expect(decode(badVersion) == .malformedEncoding)
        var badFlags = good; badFlags[4] = 1
        #expect(decode(badFlags) == .malformedEncoding)
        let k = pk.n.byteCount
        var evenN = good; evenN[7 + k - 1] ^= 1
        #expect(decode(evenN) == .invalidKeySize)
        var leadingZero = good; leadingZero[7] = 0
        #expect(decode(leadingZero) == .malformedEncoding)
        var badU = good; badU[7 + k] = 0; badU[7 + k + 1] = 20
        #expect(decode(badU) == .invalidPlaintextModulus)
        var bigG = good; for i in 0..<k { bigG[7 + k + 4 + i] = 0xff }
        #expect(decode(bigG) == .invalidKey)

        let c = try pk.encrypt(4)
        let cb = DGK.Wire.encode(c, publicKey: pk)
        #expect(try key.decrypt(DGK.Wire.decodeCiphertext(cb, publicKey: pk)) == 4)
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertext(Array(cb.dropLast()), publicKey: pk) } == .malformedEncoding)
        var ff = cb; for i in 7..<cb.count { ff[i] = 0xff }
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertext(ff, publicKey: pk) } == .ciphertextOutOfRange)
        var zero = cb; for i in 7..<cb.count { zero[i] = 0 }
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertext(zero, publicKey: pk) } == .ciphertextOutOfRange)

        let list = try (0..<5).map { try pk.encrypt($0) }
        let lb = DGK.Wire.encode(list, publicKey: pk)
        #expect(try DGK.Wire.decodeCiphertexts(lb, publicKey: pk).map { try key.decrypt($0) } == [0, 1, 2, 3, 4])
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertexts(Array(lb.dropLast(3)), publicKey: pk) } == .malformedEncoding)
        var hugeCount = lb; hugeCount[7] = 0xff
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertexts(hugeCount, publicKey: pk) } == .malformedEncoding)
        var otherWidth = lb; otherWidth[6] &+= 1
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertexts(otherWidth, publicKey: pk) } == .malformedEncoding)
        var third = lb; for i in 0..<k { third[11 + 2 * k + i] = 0xff }
        #expect(dgkCode { _ = try DGK.Wire.decodeCiphertexts(third, publicKey: pk) } == .ciphertextOutOfRange)
    }
}
