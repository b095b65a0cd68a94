import Testing
import TacitBytes
import TacitCrypto
import TacitMath

/// A DJN base that arrives with a key (wire, JSON, a share file) is chosen by someone else: a
/// small-order one (here n² − 1, of order 2) makes every fast encryption `(1 + mn)·(±1)`, so
/// anyone can read m off the ciphertext. Such a base must never be used.
@Suite("Paillier: a fast-encryption base that comes with an imported key is never used")
struct ForeignKeyTests {
    let key = Keys.k1024
    var n: BigInt { key.publicKey.n }
    /// Order 2 in Z*_{n²}, and a unit, so the unit check alone accepts it.
    var evil: BigInt { key.publicKey.nSquared - 1 }

    /// Encrypts with the imported key's fast path and checks that the ciphertexts decrypt
    /// under the real private key and are not the recoverable `±(1 + mn)`.
    func expectSafe(_ imported: Paillier.PublicKey, _ how: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(imported.n == n, sourceLocation: sourceLocation)
        #expect(imported.hs != nil, "\(how): the import lost fast encryption", sourceLocation: sourceLocation)
        let kept = imported.hs == evil
        #expect(!kept, "\(how): kept the supplied base", sourceLocation: sourceLocation)
        let nSquared = key.publicKey.nSquared
        for m in [BigInt(0), 1, 424_242, -7] {
            let c = try imported.encrypt(m, method: .fast)
            #expect(key.decrypt(c) == m, sourceLocation: sourceLocation)
            let nude = (try imported.residue(signed: m) * n + 1).modulo(nSquared)
            #expect(c.value != nude && c.value != nSquared - nude, "\(how): the randomiser is ±1, m is readable", sourceLocation: sourceLocation)
        }
    }

    @Test("PublicKey(n:hs:) replaces a supplied base with one of its own")
    func initializer() throws {
        try expectSafe(try Paillier.PublicKey(n: n, hs: evil, policy: Keys.policy), "PublicKey(n:hs:)")
    }

    @Test("a key from the wire with a small-order base gets a base of its own")
    func wire() throws {
        // The wire form of a key with hs, its hs field overwritten (the last 2k bytes).
        var bytes = Paillier.Wire.encode(key.publicKey)
        let k = n.byteCount
        bytes.replaceSubrange((bytes.count - 2 * k)..., with: try evil.bigEndianBytes(width: 2 * k))
        try expectSafe(try Paillier.Wire.decodePublicKey(bytes, policy: Keys.policy), "Wire.decodePublicKey")
    }

    @Test("a key from JSON with a small-order base gets a base of its own")
    func json() throws {
        let json = "{\"g\": \(n + 1), \"n\": \(n), \"hs\": \"\(evil)\"}"
        try expectSafe(try Paillier.PHE.decodePublicKey(json, policy: Keys.policy), "PHE.decodePublicKey")
        let message = "{\"public_key\": \(json), \"values\": []}"
        try expectSafe(try Paillier.PHE.decodeMessage(message, policy: Keys.policy).0, "PHE.decodeMessage")
    }

    @Test("keys compare by n: an imported copy equals the original whatever its base")
    func equality() throws {
        let imported = try Paillier.Wire.decodePublicKey(Paillier.Wire.encode(key.publicKey), policy: Keys.policy)
        #expect(imported == key.publicKey)
        let sameBase = imported.hs == key.publicKey.hs
        #expect(!sameBase, "the imported key uses the sender's base")
        #expect(Set([imported, key.publicKey]).count == 1)
        // A ciphertext made under either decrypts under the other's private key.
        #expect(key.decrypt(try imported.encrypt(99, method: .fast)) == 99)
    }
}
