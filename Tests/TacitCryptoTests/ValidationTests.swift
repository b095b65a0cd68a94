import Testing
import TacitCrypto
import TacitMath

@Suite("Paillier: validation of keys, ciphertexts and encodings")
struct PaillierValidationTests {
    let key = Keys.k1024
    var pk: Paillier.PublicKey { key.publicKey }

    func code(_ body: () throws -> Void) -> PaillierError.Code? {
        do { try body() } catch let error as PaillierError { return error.code } catch { return nil }
        return nil
    }

    @Test func ciphertextsOutsideTheGroup() {
        #expect(code { _ = try pk.ciphertext(0) } == .ciphertextOutOfRange)
        #expect(code { _ = try pk.ciphertext(-5) } == .ciphertextOutOfRange)
        #expect(code { _ = try pk.ciphertext(pk.nSquared) } == .ciphertextOutOfRange)
        #expect(code { _ = try pk.ciphertext(pk.nSquared + 1) } == .ciphertextOutOfRange)
        #expect(code { _ = try pk.ciphertext(key.p) } == .ciphertextNotInvertible)
        #expect(code { _ = try pk.ciphertext(key.q * 12345) } == .ciphertextNotInvertible)
        #expect(code { _ = try pk.ciphertext(pk.n) } == .ciphertextNotInvertible)
        #expect(code { _ = try pk.ciphertext(1) } == nil)
    }

    @Test func keySizes() {
        // The standard policy refuses 1024 bits, and odd sizes.
        #expect(code { _ = try Paillier.PublicKey(n: pk.n) } == .invalidKeySize)
        #expect(code { _ = try Paillier.PrivateKey.generate(bits: 1024) } == .invalidKeySize)
        #expect(code { _ = try Paillier.PrivateKey.generate(bits: 2047) } == .invalidKeySize)
        #expect(code { _ = try Paillier.PublicKey(n: pk.n + 1, policy: Keys.policy) } == .invalidKeySize)  // even
        #expect(code { _ = try Paillier.PublicKey(n: key.p, policy: Keys.policy) } == .invalidKeySize)  // prime (and small)
        #expect(code { _ = try Paillier.PublicKey(n: BigInt.probablePrime(bits: 1024), policy: Keys.policy) } == .invalidKeySize)
        #expect(code { _ = try Paillier.PublicKey(n: 0, policy: Keys.policy) } == .invalidKeySize)
        #expect(code { _ = try Paillier.PublicKey(n: pk.n, hs: pk.n, policy: Keys.policy) } == .invalidKey)
        #expect(code { _ = try Paillier.PublicKey(n: pk.n, hs: 0, policy: Keys.policy) } == .invalidKey)
    }

    @Test func privateKeyChecks() {
        let p = key.p, q = key.q
        #expect(code { _ = try Paillier.PrivateKey(p: p, q: p, policy: Keys.policy) } == .invalidKey)
        #expect(code { _ = try Paillier.PrivateKey(p: p, q: q + 2, policy: Keys.policy) } == .invalidKey)
        #expect(code { _ = try Paillier.PrivateKey(p: p, q: BigInt.probablePrime(bits: 400), policy: Keys.policy) } == .invalidKey)
        let other = BigInt.probablePrime(bits: 512)
        #expect(code { _ = try Paillier.PrivateKey(p: p, q: other, publicKey: pk, policy: Keys.policy) } == .invalidKey)
        #expect(code { _ = try Paillier.PrivateKey(p: p, q: q, publicKey: pk, policy: Keys.policy) } == nil)
    }

    @Test func wireRoundTrips() throws {
        let c = try pk.encrypt(-12345)
        let bytes = Paillier.Wire.encode(c, publicKey: pk)
        #expect(bytes.count == 5 + 2 + 2 * pk.n.byteCount)
        #expect(key.decrypt(try Paillier.Wire.decodeCiphertext(bytes, publicKey: pk)) == -12345)
        let keyBytes = Paillier.Wire.encode(pk)
        #expect(try Paillier.Wire.decodePublicKey(keyBytes, policy: Keys.policy) == pk)
        let plain = try Paillier.PublicKey(n: pk.n, policy: Keys.policy)
        #expect(try Paillier.Wire.decodePublicKey(Paillier.Wire.encode(plain), policy: Keys.policy) == plain)
        let list = try (0..<3).map { try pk.encrypt($0) }
        let decoded = try Paillier.Wire.decodeCiphertexts(Paillier.Wire.encode(list, publicKey: pk), publicKey: pk)
        #expect(decoded == list)
    }

    @Test func malformedWire() throws {
        let c = try pk.encrypt(1)
        let good = Paillier.Wire.encode(c, publicKey: pk)
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("short header", Array(good.prefix(3))),
            ("bad magic", [0x00] + good.dropFirst()),
            ("wrong kind", Array(good.prefix(2)) + [1] + good.dropFirst(3)),
            ("unknown kind", Array(good.prefix(2)) + [9] + good.dropFirst(3)),
            ("version", Array(good.prefix(3)) + [2] + good.dropFirst(4)),
            ("flags", Array(good.prefix(4)) + [1] + good.dropFirst(5)),
            ("truncated", Array(good.dropLast())),
            ("trailing", good + [0]),
            ("width", Array(good.prefix(5)) + [0x00, 0x10] + good.dropFirst(7)),
        ]
        for (name, bytes) in cases {
            #expect(code { _ = try Paillier.Wire.decodeCiphertext(bytes, publicKey: pk) } == .malformedEncoding, "\(name)")
        }
        // Well-formed bytes, but the value is outside Z*_{n²}.
        var zero = good
        for i in 7..<zero.count { zero[i] = 0 }
        #expect(code { _ = try Paillier.Wire.decodeCiphertext(zero, publicKey: pk) } == .ciphertextOutOfRange)
        var allOnes = good
        for i in 7..<allOnes.count { allOnes[i] = 0xff }
        #expect(code { _ = try Paillier.Wire.decodeCiphertext(allOnes, publicKey: pk) } == .ciphertextOutOfRange)
        let multipleOfP = Array(good.prefix(7)) + (try key.p.bigEndianBytes(width: 2 * pk.n.byteCount))
        #expect(code { _ = try Paillier.Wire.decodeCiphertext(multipleOfP, publicKey: pk) } == .ciphertextNotInvertible)
        // Lists: a count larger than the bytes hold, and one bad element named by index.
        var list = Paillier.Wire.encode([c, c], publicKey: pk)
        list[10] = 9
        #expect(code { _ = try Paillier.Wire.decodeCiphertexts(list, publicKey: pk) } == .malformedEncoding)
        let badList = Paillier.Wire.encode([c], publicKey: pk) + []
        var badElement = badList
        for i in 11..<badElement.count { badElement[i] = 0 }
        do {
            _ = try Paillier.Wire.decodeCiphertexts(badElement, publicKey: pk)
            Issue.record("a zero ciphertext in a list was accepted")
        } catch let error as PaillierError {
            #expect(error.code == .ciphertextOutOfRange)
            #expect(error.message.contains("ciphertext 0"))
        }
        // Public keys: truncated, and a standard-policy reader refusing a 1024-bit key.
        let keyBytes = Paillier.Wire.encode(pk)
        #expect(code { _ = try Paillier.Wire.decodePublicKey(Array(keyBytes.dropLast()), policy: Keys.policy) } == .malformedEncoding)
        #expect(code { _ = try Paillier.Wire.decodePublicKey(keyBytes) } == .invalidKeySize)
    }

    @Test func malformedJSON() throws {
        let cases = [
            "", "{", "[1,2]", "{\"public_key\": 5}", "{\"public_key\": {\"g\": 1}}",
            "{\"public_key\": {\"n\": \"12x\"}, \"values\": []}",
            "{\"public_key\": {\"n\": \(pk.n)}}",
            "{\"public_key\": {\"n\": \(pk.n), \"g\": \(pk.n)}, \"values\": []}",
            "{\"public_key\": {\"n\": \(pk.n)}, \"values\": [[\"1\"]]}",
            "{\"public_key\": {\"n\": \(pk.n)}, \"values\": [[\"1\", \"x\"]]}",
            "{\"public_key\": {\"n\": \(pk.n)}, \"values\": [[\"0\", 0]]}",
            "{\"public_key\": {\"n\": \(pk.n)}, \"values\": [] } trailing",
        ]
        for json in cases {
            #expect(throws: PaillierError.self, "\(json.prefix(60))") {
                _ = try Paillier.PHE.decodeMessage(json, policy: Keys.policy)
            }
        }
        #expect(throws: PaillierError.self) { try Paillier.PHE.decodePublicKey("{\"kty\": \"DAJ\", \"n\": \"!!\"}", policy: Keys.policy) }
        #expect(throws: PaillierError.self) { try Paillier.PHE.decodeJWKPrivateKey("{\"kty\": \"RSA\"}", policy: Keys.policy) }
        // A negative phe exponent (a float) is refused with a clear error; 0 and positive work.
        let c = try pk.encrypt(3)
        let float = try Paillier.PHE.decodeEncryptedNumber(Paillier.PHE.encodeEncryptedNumber(c, exponent: -32), publicKey: pk)
        #expect(code { _ = try float.integerCiphertext(publicKey: pk) } == .unsupportedExponent)
        let scaled = try Paillier.PHE.decodeEncryptedNumber(Paillier.PHE.encodeEncryptedNumber(c, exponent: 2), publicKey: pk)
        #expect(key.decrypt(try scaled.integerCiphertext(publicKey: pk)) == 3 * 256)
    }

    @Test func jsonRoundTrips() throws {
        let cs = try [-5, 0, 7].map { try pk.encrypt($0) }
        let json = Paillier.PHE.encodeMessage(publicKey: pk, ciphertexts: cs)
        let (key2, numbers) = try Paillier.PHE.decodeMessage(json, policy: Keys.policy)
        #expect(key2 == pk)
        #expect(numbers.map { key.decrypt($0.ciphertext) } == [-5, 0, 7])
        let jwk = Paillier.PHE.encodeJWKPublicKey(pk)
        #expect(try Paillier.PHE.decodePublicKey(jwk, policy: Keys.policy).n == pk.n)
        let priv = try Paillier.PHE.decodeJWKPrivateKey(Paillier.PHE.encodeJWKPrivateKey(key), policy: Keys.policy)
        #expect(priv.p == key.p && priv.q == key.q)
        #expect(try Paillier.PHE.decodePublicKey(Paillier.PHE.encodePublicKey(pk), policy: Keys.policy) == pk)
    }
}
