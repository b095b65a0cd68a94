// DGK's binary wire form (TacitCrypto/DGK-wire.swift): the public key and ciphertexts the
// millionaires job's HE path receives from its peer. Input: one selector byte, then the message.
import FuzzSupport
import TacitCrypto

// A small key, made once per process: ciphertexts are checked against a real key's modulus.
let key = try! DGK.PrivateKey.generate(bits: 512, u: 19, t: 32, policy: .insecureAnySizeForTesting)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        let big = try DGK.PrivateKey.generate(bits: 2048, u: 19)
        let pk = key.publicKey
        let c = try (0..<3).map { try pk.encrypt($0) }
        return [
            ("public-key-2048", [0] + DGK.Wire.encode(big.publicKey)),
            ("public-key-512", [1] + DGK.Wire.encode(pk)),
            ("ciphertext", [2] + DGK.Wire.encode(c[0], publicKey: pk)),
            ("ciphertext-list", [3] + DGK.Wire.encode(c, publicKey: pk)),
            ("ciphertext-list-empty", [3] + DGK.Wire.encode([], publicKey: pk)),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let selector = input.byte() % 4
    let bytes = input.rest
    switch selector {
    case 0: _ = try? DGK.Wire.decodePublicKey(bytes)
    case 1: _ = try? DGK.Wire.decodePublicKey(bytes, policy: .insecureAnySizeForTesting)
    case 2: _ = try? DGK.Wire.decodeCiphertext(bytes, publicKey: key.publicKey)
    default: _ = try? DGK.Wire.decodeCiphertexts(bytes, publicKey: key.publicKey)
    }
    return 0
}
