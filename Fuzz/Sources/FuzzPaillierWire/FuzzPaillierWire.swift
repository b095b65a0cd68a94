// Paillier's binary wire form (TacitCrypto/Paillier-wire.swift): public keys, ciphertexts,
// ciphertext lists and decryption shares, as peers send them in Paillier aggregation.
// Input: one selector byte, then the message.
import FuzzSupport
import TacitCrypto
import TacitMath

// 2 of 3, dealt once per process; a share's proof is checked against it as a node does.
let threshold = try! Paillier.dealThresholdKey(
    p: SmallPaillier.p, q: SmallPaillier.q, threshold: 2, parties: 3, policy: .insecureAnySizeForTesting)
let ciphertext = try! threshold.0.publicKey.encrypt(BigInt(42))

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        let big = try Paillier.PrivateKey.generate(bits: 2048)
        let pk = threshold.0.publicKey
        let c = try (1...3).map { try pk.encrypt(BigInt($0)) }
        return [
            ("public-key-2048", [0] + Paillier.Wire.encode(big.publicKey)),
            ("public-key-2048-fast", [0] + Paillier.Wire.encode(big.publicKey.withFastEncryptionBase())),
            ("ciphertext", [1] + Paillier.Wire.encode(c[0], publicKey: pk)),
            ("ciphertext-list", [2] + Paillier.Wire.encode(c, publicKey: pk)),
            ("ciphertext-list-empty", [2] + Paillier.Wire.encode([], publicKey: pk)),
            ("decryption-share", [3] + Paillier.Wire.encode(threshold.1[0].decrypt(ciphertext), publicKey: pk)),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let selector = input.byte() % 4
    let bytes = input.rest
    let pk = threshold.0.publicKey
    switch selector {
    case 0:
        _ = try? Paillier.Wire.decodePublicKey(bytes)
    case 1:
        if let c = try? Paillier.Wire.decodeCiphertext(bytes, publicKey: pk) {
            precondition(Paillier.Wire.encode(c, publicKey: pk) == bytes, "a decoded ciphertext does not re-encode to its bytes")
        }
    case 2:
        if let list = try? Paillier.Wire.decodeCiphertexts(bytes, publicKey: pk) {
            precondition(Paillier.Wire.encode(list, publicKey: pk) == bytes, "a decoded ciphertext list does not re-encode to its bytes")
        }
    default:
        if let share = try? Paillier.Wire.decodeDecryptionShare(bytes, publicKey: pk) {
            _ = try? threshold.0.verify(share, for: ciphertext)
        }
    }
    return 0
}
