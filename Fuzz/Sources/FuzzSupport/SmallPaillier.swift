import TacitCrypto
import TacitMath

/// A fixed 512-bit Paillier key from two fixed 256-bit safe primes (`openssl prime -safe`):
/// far too small for use, but decoding against it runs the same checks as against a 2048-bit
/// key, faster, and the same input always meets the same n (a crash replays).
public enum SmallPaillier {
    public static let p = BigInt("90864514082746406539015088627503497586336968590942355049018960877407183816283")!
    public static let q = BigInt("97073220551799270614790399254173898855567891972484727289172590454958465507499")!
    public static let privateKey = try! Paillier.PrivateKey(p: p, q: q, policy: .insecureAnySizeForTesting)
    public static var publicKey: Paillier.PublicKey { privateKey.publicKey }
}
