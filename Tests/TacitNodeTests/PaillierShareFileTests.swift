import Testing
import TacitCrypto
import TacitMath
import TacitNet
import TacitNode

@Suite("Paillier share files")
struct PaillierShareFileTests {
    @Test("a share file's DJN base is not used: a small-order hs in the file gives way to one of the node's own")
    func foreignBaseIsReplaced() throws {
        let (_, shares) = try Paillier.dealThresholdKey(bits: 256, threshold: 2, parties: 2, policy: .insecureAnySizeForTesting)
        var file = PaillierShareFile(share: shares[0], holders: ["alpha", "beta"])
        let n = shares[0].thresholdKey.publicKey.n
        let nSquared = n * n
        file.hs = (nSquared - 1).description  // order 2: fast ciphertexts would be ±(1 + mn)
        let (share, index) = try file.load(allowInsecureKeySizes: true)
        #expect(index == ["alpha": 1, "beta": 2])
        let pk = share.thresholdKey.publicKey
        let kept = pk.hs == nSquared - 1
        #expect(pk.hs != nil && !kept)
        let c = try pk.encrypt(5, method: .fast)
        #expect(c.value != 5 * n + 1 && c.value != nSquared - (5 * n + 1))
        let parts = [share.decrypt(c), shares[1].decrypt(c)]
        #expect(try share.thresholdKey.combine(parts, for: c) == 5)
    }
}
