public import TacitCrypto
public import TacitLedger
public import TacitJob
import TacitBytes
import TacitNet

/// The consortium's threshold Paillier key as the ledger records it (`KeyRegistered`, scheme
/// `paillier-threshold-v1`), and the checks a node makes before it uses its share: a share
/// dealt or generated for another consortium, or for an older key, is never used.
public enum PaillierKeyRegistration {
    /// The ledger record of `key` whose share i + 1 `holders[i]` holds.
    public static func record(_ key: Paillier.ThresholdPublicKey, holders: [String]) -> ThresholdKeyRecord {
        ThresholdKeyRecord(scheme: ThresholdKeyRecord.paillierScheme, publicKey: Paillier.Wire.encode(key), holders: holders)
    }

    /// The fingerprint operators compare (`tacit node status`), in OpenSSL's colon form.
    public static func fingerprint(_ key: Paillier.ThresholdPublicKey, holders: [String]) -> String {
        Fingerprint.sha256(record(key, holders: holders).fingerprint.bytes)
    }

    /// The registration signed by every holder at once, for a set-up that holds every
    /// signing key (`tacit init`, tests). Nonce 0: submitted before the author's first
    /// transaction, it never collides with the nonces the author's node picks later.
    public static func signedByAll(_ record: ThresholdKeyRecord, chainID: Hash256, identities: [SigningIdentity]) throws -> Transaction {
        let byName = Dictionary(identities.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let signers = try record.holders.map { h -> SigningIdentity in
            guard let id = byName[h] else { throw NodeError(.setup, "no signing key for key holder \(h)") }
            return id
        }
        guard let author = signers.first else { throw NodeError(.setup, "a key needs at least one holder") }
        return Transaction(chainID: chainID, author: author, nonce: 0, body: .keyRegistered(record), endorsers: Array(signers.dropFirst()))
    }

    /// Why `share` (held by `me`, at `holders`' index) must not be used with the ledger's
    /// current key `registered`; nil when it may. No key on the ledger yet is a problem too:
    /// nothing then says which consortium the share belongs to.
    public static func problem(share: Paillier.ThresholdKeyShare, holders: [String], me: String, registered: RegisteredKey?) -> String? {
        let mine = record(share.thresholdKey, holders: holders)
        guard let registered else {
            return "no Paillier key is registered on the ledger yet, so no share can be used; the holders register it with `tacit paillier keygen` (or the node submits the registration its share file carries)"
        }
        guard registered.record.fingerprint == mine.fingerprint else {
            return "\(me)'s Paillier share belongs to key \(Fingerprint.sha256(mine.fingerprint.bytes).prefix(23))…, not to the key registered on the ledger at block \(registered.height) (\(Fingerprint.sha256(registered.record.fingerprint.bytes).prefix(23))…); use the share generated for this consortium"
        }
        guard registered.record.holders == holders else {
            return "\(me)'s share file lists the holders \(holders.joined(separator: ", ")), the ledger's key \(registered.record.holders.joined(separator: ", "))"
        }
        guard registered.record.shareIndex(of: me) == share.index else {
            return "\(me) holds share \(share.index), but the ledger's key gives \(me) \(registered.record.shareIndex(of: me).map { "share \($0)" } ?? "no share")"
        }
        return nil
    }
}

extension PaillierKeyRegistration {
    /// Why a job cannot run with the consortium's Paillier key, for a protocol that declares
    /// it needs a key share: no key on the ledger, or a party of the job holding no share.
    /// Checked before the job is proposed and when a proposal is read from the ledger, so
    /// nobody approves or commits inputs to a job that cannot decrypt.
    public static func jobProblems(_ spec: JobSpec, registry: JobProtocolRegistry, registered: RegisteredKey?) -> [String] {
        guard let proto = registry.lookup(spec.protocolName), proto.descriptor.needs.contains(.paillierKeyShare) else { return [] }
        guard let registered else {
            return ["\(spec.protocolName) needs the consortium's threshold Paillier key, and none is registered on the ledger; its holders generate one with `tacit paillier keygen`"]
        }
        let holders = Set(registered.record.holders)
        return spec.partyNames.filter { !holders.contains($0.name) }.map {
            "\($0) holds no share of the consortium's Paillier key (holders: \(registered.record.holders.joined(separator: ", "))); \(spec.protocolName) needs every party of the job to hold one"
        }
    }
}
