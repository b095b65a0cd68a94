import TacitBytes
import Crypto
import Foundation

/// A transaction field encrypted to named members: a fresh content key encrypts the value
/// (ChaCha20-Poly1305, the field name as associated data); the content key is wrapped for
/// each recipient with X25519 between a per-field ephemeral key and the recipient's
/// encryption key, HKDF-SHA256 and ChaCha20-Poly1305. The ciphertext is part of the
/// transaction's signed and hashed bytes, so every member verifies its integrity without
/// being able to read it.
///
/// Key-committing: ChaCha20-Poly1305 alone is not (an author can craft one ciphertext that
/// opens under two keys, and wrap a different key for each recipient, so two members would
/// read two different values from one signed field). The field therefore carries
/// `keyCommitment = SHA-256("TACIT-LEDGER-SEAL-COMMIT-V1\0" ‖ content key)`, checked before
/// the ciphertext is opened: every recipient who opens it used the same content key, and a
/// stream cipher under one key and nonce has one plaintext per ciphertext.
public struct SealedField: Sendable, Equatable {
    public struct Recipient: Sendable, Equatable {
        public let member: String
        /// nonce (12) ‖ wrapped content key (32) ‖ tag (16).
        public let wrappedKey: [UInt8]
    }
    public let name: String
    public let ephemeralPublicKey: [UInt8]
    public let recipients: [Recipient]
    /// SHA-256 of the seal-commit tag and the content key.
    public let keyCommitment: [UInt8]
    /// nonce (12) ‖ ciphertext ‖ tag (16).
    public let ciphertext: [UInt8]

    static func commitment(to contentKey: [UInt8]) -> [UInt8] {
        SHA256Bytes.hash(concatenating: [Array("TACIT-LEDGER-SEAL-COMMIT-V1".utf8) + [0], contentKey])
    }

    public static func seal(
        name: String, value: [UInt8], to members: [String], in membership: Membership
    ) throws -> SealedField {
        try seal(name: name, value: value, to: members, in: membership, contentKeys: [:])
    }

    /// `contentKeys`: for tests only, the key wrapped for a recipient instead of the field's
    /// own (what a dishonest author could do).
    static func seal(
        name: String, value: [UInt8], to members: [String], in membership: Membership, contentKeys: [String: SymmetricKey]
    ) throws -> SealedField {
        let contentKey = SymmetricKey(size: .bits256)
        let eph = Curve25519.KeyAgreement.PrivateKey()
        var recipients: [Recipient] = []
        for m in members.sorted() {
            guard let rec = membership.records[m] else {
                throw LedgerError(.unknownMember, "cannot seal field '\(name)' to \(m): not a member")
            }
            let pub = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: rec.encryptionKey)
            let wrap = try wrappingKey(eph: eph, recipient: pub, field: name)
            let boxed = try ChaChaPoly.seal((contentKeys[m] ?? contentKey).withUnsafeBytes { Array($0) }, using: wrap)
            recipients.append(Recipient(member: m, wrappedKey: Array(boxed.combined)))
        }
        let box = try ChaChaPoly.seal(value, using: contentKey, authenticating: Array(name.utf8))
        return SealedField(
            name: name, ephemeralPublicKey: Array(eph.publicKey.rawRepresentation), recipients: recipients,
            keyCommitment: commitment(to: contentKey.withUnsafeBytes { Array($0) }), ciphertext: Array(box.combined))
    }

    /// Decrypts with `member`'s encryption key; throws if the field is not sealed to it or was
    /// altered.
    public func open(as member: String, key: EncryptionKey) throws -> [UInt8] {
        guard let r = recipients.first(where: { $0.member == member }) else {
            throw LedgerError(.notAuthorised, "field '\(name)' is not sealed to \(member)")
        }
        let ck: Data
        do {
            let eph = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: ephemeralPublicKey)
            let shared = try key.key.sharedSecretFromKeyAgreement(with: eph)
            let wrap = Self.derive(shared, ephPub: ephemeralPublicKey, recipientPub: Array(key.key.publicKey.rawRepresentation), field: name)
            ck = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: r.wrappedKey), using: wrap)
        } catch {
            throw LedgerError(.badSignature, "field '\(name)' does not decrypt for \(member): wrong key or altered ciphertext")
        }
        guard Self.commitment(to: Array(ck)) == keyCommitment else {
            throw LedgerError(
                .badSignature,
                "field '\(name)': the content key wrapped for \(member) is not the one the field commits to; its author sealed different keys to different members")
        }
        do {
            return Array(
                try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: ciphertext), using: SymmetricKey(data: ck), authenticating: Array(name.utf8)))
        } catch {
            throw LedgerError(.badSignature, "field '\(name)' does not decrypt for \(member): wrong key or altered ciphertext")
        }
    }

    private static func wrappingKey(eph: Curve25519.KeyAgreement.PrivateKey, recipient: Curve25519.KeyAgreement.PublicKey, field: String) throws -> SymmetricKey {
        let shared = try eph.sharedSecretFromKeyAgreement(with: recipient)
        return derive(shared, ephPub: Array(eph.publicKey.rawRepresentation), recipientPub: Array(recipient.rawRepresentation), field: field)
    }

    private static func derive(_ s: SharedSecret, ephPub: [UInt8], recipientPub: [UInt8], field: String) -> SymmetricKey {
        s.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: ephPub + recipientPub, sharedInfo: DomainTag.seal.bytes + Array(field.utf8), outputByteCount: 32)
    }

    func encode(_ w: inout ByteWriter) {
        w.string(name)
        w.raw(ephemeralPublicKey)
        w.u32(UInt32(recipients.count))
        for r in recipients {
            w.string(r.member)
            w.raw(r.wrappedKey)
        }
        w.raw(keyCommitment)
        w.data(ciphertext)
    }

    static func decode(_ r: inout LedgerReader) throws -> SealedField {
        let name = try r.string("sealed field name", max: 256)
        let eph = try r.raw(32, "ephemeral key")
        let n = try r.count("recipients", minSize: 64, max: 1024)
        var rs: [Recipient] = []
        for _ in 0..<n { rs.append(Recipient(member: try r.string("recipient", max: 64), wrappedKey: try r.raw(60, "wrapped key"))) }
        let commitment = try r.raw(32, "key commitment")
        let ct = try r.data("sealed ciphertext", max: LedgerLimits.maxSealedFieldBytes)
        guard ct.count >= 28 else { throw LedgerError(.malformed, "\(r.what): sealed field '\(name)' ciphertext too short") }
        return SealedField(name: name, ephemeralPublicKey: eph, recipients: rs, keyCommitment: commitment, ciphertext: ct)
    }
}
