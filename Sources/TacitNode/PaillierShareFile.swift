import Foundation
public import TacitCrypto
import TacitMath
import TacitJob
public import TacitNet

/// The threshold Paillier key share a node holds, as `tacit init` writes it (JSON, mode 0600).
/// Also records which consortium member holds which share index.
public struct PaillierShareFile: Codable, Sendable {
    public var format = "tacit.paillier-threshold-share.v1"
    public var n: String
    public var hs: String?
    public var threshold: Int
    public var verificationBase: String
    public var verificationKeys: [String]
    /// Consortium members in share-index order (index = position + 1).
    public var holders: [String]
    public var index: Int
    public var secret: String

    public init(share: Paillier.ThresholdKeyShare, holders: [String]) {
        let k = share.thresholdKey
        n = k.publicKey.n.description
        hs = k.publicKey.hs?.description
        threshold = k.threshold
        verificationBase = k.verificationBase.description
        verificationKeys = k.verificationKeys.map(\.description)
        self.holders = holders
        index = share.index
        secret = share.secretShare.description
    }

    public func load(allowInsecureKeySizes: Bool) throws -> (Paillier.ThresholdKeyShare, [PartyID: Int]) {
        func big(_ s: String, _ what: String) throws -> BigInt {
            guard let v = BigInt(s) else { throw NodeError(.keys, "the key share's \(what) is not a decimal integer") }
            return v
        }
        let policy: Paillier.KeySizePolicy = allowInsecureKeySizes ? .insecureAnySizeForTesting : .standard
        do {
            let pk = try Paillier.PublicKey(n: try big(n, "n"), hs: try hs.map { try big($0, "hs") }, policy: policy)
            let tk = try Paillier.ThresholdPublicKey(
                publicKey: pk, threshold: threshold, parties: holders.count, verificationBase: try big(verificationBase, "verification base"),
                verificationKeys: try verificationKeys.map { try big($0, "verification key") })
            let share = try Paillier.ThresholdKeyShare(thresholdKey: tk, index: index, secret: try big(secret, "secret"))
            var map: [PartyID: Int] = [:]
            for (i, h) in holders.enumerated() { map[PartyID(h)] = i + 1 }
            return (share, map)
        } catch let e as PaillierError {
            throw NodeError(.keys, "threshold key share: \(e.message)\(allowInsecureKeySizes ? "" : " (keys below 2048 bits need allowInsecureKeySizes: true)")")
        }
    }
}
