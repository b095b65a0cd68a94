import TacitBytes

/// A consortium's threshold key on the ledger (`KeyRegistered`): the public part of a key whose
/// secret exists only as shares held by members, e.g. the threshold Paillier key. The ledger
/// checks who registered it (every holder signs, as author or endorser) and keeps the latest
/// per scheme; it does not interpret `publicKey`, whose format the scheme defines (for
/// `paillier-threshold-v1`, TacitCrypto's wire form of `Paillier.ThresholdPublicKey`) and
/// which each node validates before use.
public struct ThresholdKeyRecord: Sendable, Equatable {
    public static let paillierScheme = "paillier-threshold-v1"

    public var scheme: String
    public var publicKey: [UInt8]
    /// `holders[i]` holds share i + 1.
    public var holders: [String]

    public init(scheme: String, publicKey: [UInt8], holders: [String]) {
        self.scheme = scheme
        self.publicKey = publicKey
        self.holders = holders
    }

    /// SHA-256 over a domain tag, the scheme and the public key: what `tacit node status`
    /// prints and operators compare.
    public var fingerprint: Hash256 {
        var w = ByteWriter()
        w.string(scheme)
        w.data(publicKey)
        return Hash256.tagged(.thresholdKey, w.bytes)
    }

    /// The 1-based share index of `member`, if it holds one.
    public func shareIndex(of member: String) -> Int? { holders.firstIndex(of: member).map { $0 + 1 } }

    func encode(_ w: inout ByteWriter) {
        w.string(scheme)
        w.data(publicKey)
        w.strings(holders)
    }

    static func decode(_ r: inout LedgerReader) throws -> ThresholdKeyRecord {
        ThresholdKeyRecord(
            scheme: try r.string("key scheme", max: 64), publicKey: try r.data("public key", max: 1 << 16),
            holders: try r.strings("key holders"))
    }
}

/// A registered key as the ledger state keeps it.
public struct RegisteredKey: Sendable, Equatable {
    public let record: ThresholdKeyRecord
    /// The block that registered it.
    public let height: UInt64

    public init(record: ThresholdKeyRecord, height: UInt64) {
        self.record = record
        self.height = height
    }
}
