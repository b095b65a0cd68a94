import Crypto
import Foundation
import TacitBytes
import Testing

@testable import TacitLedger

/// The ledger verifies with libsodium (`TacitCrypto.Ed25519`) and signs with swift-crypto: the
/// two must agree on every honest signature, and the verifier must refuse every altered one.
@Suite("Ed25519 verification through libsodium")
struct Ed25519VerifierTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }

    @Test("RFC 8032 test vectors 1 and 2 verify, and fail once altered")
    func rfc8032() throws {
        let vectors: [(String, String, String)] = [
            (
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ),
            (
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
            ),
        ]
        for (pk, msg, sig) in vectors {
            let key = try VerifyingKey(rawRepresentation: Self.bytes(pk))
            let (m, s) = (Self.bytes(msg), Self.bytes(sig))
            #expect(key.isValid(signature: s, for: m))
            var bad = s
            bad[0] ^= 1
            #expect(!key.isValid(signature: bad, for: m))
            #expect(!key.isValid(signature: s, for: m + [0]))
            #expect(!key.isValid(signature: Array(s.dropLast()), for: m))
        }
    }

    @Test("agrees with swift-crypto's verifier on 500 random signatures and their alterations")
    func agreesWithSwiftCrypto() {
        var rng = SystemRandomNumberGenerator()
        for i in 0..<500 {
            let signer = SigningKey.generate()
            let key = signer.publicKey
            let message = (0..<(i % 97)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var signature = signer.sign(message)
            #expect(key.isValid(signature: signature, for: message))
            #expect(key.key.isValidSignature(signature, for: message))
            signature[i % 64] ^= UInt8(1 << (i % 8))
            #expect(key.isValid(signature: signature, for: message) == key.key.isValidSignature(signature, for: message))
            #expect(!key.isValid(signature: signature, for: message))
        }
    }
}
