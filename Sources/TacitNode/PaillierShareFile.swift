import Foundation
public import TacitCrypto
import TacitMath
import TacitJob
import TacitBytes
public import TacitNet
import TacitLedger

/// The threshold Paillier key share a node holds, as `tacit init` writes it (JSON, mode 0600).
/// Also records which consortium member holds which share index.
public struct PaillierShareFile: Codable, Sendable {
    public var format = "tacit.paillier-threshold-share.v1"
    public var n: String
    public var hs: String?
    public var threshold: Int
    public var verificationBase: String
    public var verificationKeys: [String]
    /// θ and the share bound of a key made without a dealer; absent for a dealt key (θ = 1).
    public var theta: String?
    public var shareBits: Int?
    /// Consortium members in share-index order (index = position + 1).
    public var holders: [String]
    public var index: Int
    public var secret: String
    /// The `KeyRegistered` transaction signed by every holder (hex), when the key was made
    /// somewhere that could collect all their signatures: the node submits it if the ledger
    /// has no Paillier key yet.
    public var registration: String?

    public init(share: Paillier.ThresholdKeyShare, holders: [String], registration: [UInt8]? = nil) {
        let k = share.thresholdKey
        n = k.publicKey.n.description
        hs = k.publicKey.hs?.description
        threshold = k.threshold
        verificationBase = k.verificationBase.description
        verificationKeys = k.verificationKeys.map(\.description)
        theta = k.theta == 1 ? nil : k.theta.description
        shareBits = k.shareBits == 2 * k.publicKey.n.bitWidth ? nil : k.shareBits
        self.holders = holders
        index = share.index
        secret = share.secretShare.description
        self.registration = registration.map { Hex.encode($0) }
    }

    /// The registration this file carries, checked to be a `KeyRegistered` of exactly this
    /// share's key and holders on this chain; nil if it carries none.
    func registrationTransaction(chainID: Hash256) throws -> TacitLedger.Transaction? {
        guard let registration else { return nil }
        guard let bytes = Hex.decode(registration), let tx = try? TacitLedger.Transaction(decoding: bytes) else {
            throw NodeError(.keys, "the key share's registration is not a ledger transaction; remove the field or regenerate the share")
        }
        let (share, _) = try load(allowInsecureKeySizes: true)
        guard tx.chainID == chainID, case .keyRegistered(let record) = tx.body,
            record == PaillierKeyRegistration.record(share.thresholdKey, holders: holders)
        else {
            throw NodeError(.keys, "the key share's registration is for another key or consortium than this share and genesis")
        }
        return tx
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
                verificationKeys: try verificationKeys.map { try big($0, "verification key") }, theta: try theta.map { try big($0, "θ") } ?? 1,
                shareBits: shareBits)
            let share = try Paillier.ThresholdKeyShare(thresholdKey: tk, index: index, secret: try big(secret, "secret"))
            var map: [PartyID: Int] = [:]
            for (i, h) in holders.enumerated() { map[PartyID(h)] = i + 1 }
            return (share, map)
        } catch let e as PaillierError {
            throw NodeError(.keys, "threshold key share: \(e.message)\(allowInsecureKeySizes ? "" : " (keys below 2048 bits need allowInsecureKeySizes: true)")")
        }
    }
}
