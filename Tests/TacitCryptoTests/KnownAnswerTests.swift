import Foundation
import Testing
@_spi(Testing) import TacitCrypto
import TacitMath

/// Ciphertexts computed by python-paillier (phe 1.5), not by Tacit: `Fixtures/paillier-kat.json`
/// was written by `Scripts/gen_paillier_kat.py` (fixed seed; `make py-deps`, then
/// `.build-venv/bin/python Scripts/gen_paillier_kat.py > Tests/TacitCryptoTests/Fixtures/paillier-kat.json`),
/// from phe's `raw_encrypt(m, r_value=r)` and, for signed values, `encrypt(v, r_value=r)`.
/// Reading the committed file needs no Python.
@Suite("Paillier: known-answer ciphertexts from python-paillier")
struct KnownAnswerTests {
    struct Case { let kind: String, m: BigInt, r: BigInt, c: BigInt }
    struct Key { let bits: Int, n: BigInt, p: BigInt, q: BigInt, cases: [Case] }

    static func load() throws -> [Key] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/paillier-kat.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let keys = try #require(root["keys"] as? [[String: Any]])
        func big(_ o: [String: Any], _ k: String) throws -> BigInt { try BigInt(parsing: try #require(o[k] as? String)) }
        return try keys.map { k in
            let cases = try #require(k["cases"] as? [[String: Any]]).map { c in
                Case(kind: try #require(c["kind"] as? String), m: try big(c, "m"), r: try big(c, "r"), c: try big(c, "c"))
            }
            return Key(bits: try #require(k["bits"] as? Int), n: try big(k, "n"), p: try big(k, "p"), q: try big(k, "q"), cases: cases)
        }
    }

    @Test("textbook and key-holder encryption with phe's r give phe's ciphertext, which decrypts to m")
    func matchesPhe() throws {
        let keys = try Self.load()
        #expect(keys.map(\.bits) == [1024, 2048])
        for k in keys {
            let policy: Paillier.KeySizePolicy = k.bits >= 2048 ? .standard : .insecureAnySizeForTesting
            let pk = try Paillier.PublicKey(n: k.n, policy: policy)
            let sk = try Paillier.PrivateKey(p: k.p, q: k.q, publicKey: pk, policy: policy)
            #expect(k.cases.count == 8)
            for c in k.cases {
                let residue = c.kind == "raw" ? c.m : try pk.residue(signed: c.m)
                #expect(try pk.encrypt(residue: residue, r: c.r).value == c.c, "\(k.bits) bits, \(c.kind) m = \(c.m)")
                #expect(try sk.encrypt(pk.signedValue(residue: residue), r: c.r).value == c.c, "key-holder, \(k.bits) bits, m = \(c.m)")
                let theirs = try pk.ciphertext(c.c)
                #expect(sk.decryptResidue(theirs) == residue)
                if c.kind == "signed" { #expect(sk.decrypt(theirs) == c.m) }
            }
        }
    }
}
