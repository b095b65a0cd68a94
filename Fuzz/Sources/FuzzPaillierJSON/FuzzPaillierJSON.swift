// Paillier's JSON forms (TacitCrypto/Paillier-json.swift, python-paillier compatible): the
// application message, public keys (plain and JWK), one encrypted number, a JWK private key.
// Input: one selector byte, then the JSON text.
import FuzzSupport
import TacitCrypto
import TacitMath

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        let big = try Paillier.PrivateKey.generate(bits: 2048)
        let pk = SmallPaillier.publicKey
        let c = try (1...2).map { try big.publicKey.encrypt(BigInt($0)) }
        let t = FuzzSeeds.text
        return [
            ("message", [0] + t(Paillier.PHE.encodeMessage(publicKey: big.publicKey, ciphertexts: c))),
            ("message-fast", [0] + t(Paillier.PHE.encodeMessage(publicKey: big.publicKey.withFastEncryptionBase(), ciphertexts: c))),
            ("public-key", [1] + t(Paillier.PHE.encodePublicKey(big.publicKey))),
            ("public-key-jwk", [1] + t(Paillier.PHE.encodeJWKPublicKey(big.publicKey))),
            ("encrypted-number", [2] + t(Paillier.PHE.encodeEncryptedNumber(try pk.encrypt(BigInt(7)), exponent: 0))),
            ("encrypted-number-exponent", [2] + t(Paillier.PHE.encodeEncryptedNumber(try pk.encrypt(BigInt(-3)), exponent: 2))),
            ("private-key-jwk", [3] + t(Paillier.PHE.encodeJWKPrivateKey(big))),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let selector = input.byte() % 4
    let text = String(decoding: input.rest, as: UTF8.self)
    switch selector {
    case 0:
        _ = try? Paillier.PHE.decodeMessage(text)
    case 1:
        _ = try? Paillier.PHE.decodePublicKey(text)
    case 2:
        // What the node does next with a value it read: bring it to exponent 0.
        let pk = SmallPaillier.publicKey
        if let v = try? Paillier.PHE.decodeEncryptedNumber(text, publicKey: pk) { _ = try? v.integerCiphertext(publicKey: pk) }
    default:
        _ = try? Paillier.PHE.decodeJWKPrivateKey(text)
    }
    return 0
}
