import Crypto
public import Foundation
import SwiftASN1
import TacitBytes
import TacitCrypto
public import X509

/// A member's signing key: Ed25519 (RFC 8032), certified by the consortium CA.
public struct SigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    public static func generate() -> SigningKey { SigningKey(key: .init()) }

    public init(rawRepresentation: [UInt8]) throws {
        do { key = try .init(rawRepresentation: rawRepresentation) } catch {
            throw LedgerError(.keyFile, "an Ed25519 secret key must be 32 bytes; the key file is corrupt")
        }
    }
    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    public var publicKey: VerifyingKey { VerifyingKey(key: key.publicKey) }
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    func sign(_ message: [UInt8]) -> [UInt8] {
        // Ed25519 signing is deterministic and cannot fail for a valid key.
        Array(try! key.signature(for: message))
    }
}

/// An Ed25519 public key.
public struct VerifyingKey: Sendable, Hashable {
    let key: Curve25519.Signing.PublicKey
    /// Kept beside `key`: every verification needs the bytes, and `key` makes a new copy each time.
    public let rawRepresentation: [UInt8]

    init(key: Curve25519.Signing.PublicKey) {
        self.key = key
        rawRepresentation = Array(key.rawRepresentation)
    }
    public init(rawRepresentation: [UInt8]) throws {
        do { key = try .init(rawRepresentation: rawRepresentation) } catch {
            throw LedgerError(.malformed, "an Ed25519 public key must be 32 bytes")
        }
        self.rawRepresentation = rawRepresentation
    }

    /// libsodium's verifier (`TacitCrypto.Ed25519`): stricter than swift-crypto's, about 1.5×
    /// as fast, and the ledger's largest CPU cost.
    func isValid(signature: [UInt8], for message: [UInt8]) -> Bool {
        Ed25519.isValidSignature(signature, for: message, publicKey: rawRepresentation)
    }

    public static func == (a: VerifyingKey, b: VerifyingKey) -> Bool { a.rawRepresentation == b.rawRepresentation }
    public func hash(into h: inout Hasher) { h.combine(rawRepresentation) }
}

/// A member's key for fields encrypted to it: X25519.
public struct EncryptionKey: Sendable {
    let key: Curve25519.KeyAgreement.PrivateKey
    public static func generate() -> EncryptionKey { EncryptionKey(key: .init()) }
    public init(rawRepresentation: [UInt8]) throws {
        do { key = try .init(rawRepresentation: rawRepresentation) } catch {
            throw LedgerError(.keyFile, "an X25519 secret key must be 32 bytes; the key file is corrupt")
        }
    }
    init(key: Curve25519.KeyAgreement.PrivateKey) { self.key = key }
    public var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }
}

/// The consortium certificate authority: an Ed25519 key and a self-signed X.509 CA
/// certificate. It certifies each member's signing key; the ledger's genesis block pins it.
public enum ConsortiumCA {
    public static func create(name: String, validDays: Int = 3650, now: Date = Date()) throws -> (SigningKey, Certificate) {
        let key = SigningKey.generate()
        let dn = try DistinguishedName { CommonName(name); OrganizationName("Tacit consortium") }
        let cert = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(Double(validDays) * 86400),
            issuer: dn,
            subject: dn,
            signatureAlgorithm: .ed25519,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(key.key)
        )
        return (key, cert)
    }

    /// Certifies `memberKey` as the signing key of member `name`.
    public static func issue(
        name: String, memberKey: VerifyingKey, caKey: SigningKey, caCertificate: Certificate,
        validDays: Int = 825, now: Date = Date()
    ) throws -> Certificate {
        guard caCertificate.publicKey == Certificate.PublicKey(caKey.key.publicKey) else {
            throw LedgerError(.invalidCertificate, "the CA key does not belong to the CA certificate; pass the matching ca.key")
        }
        return try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(memberKey.key),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(Double(validDays) * 86400),
            issuer: caCertificate.subject,
            subject: try memberSubject(name),
            signatureAlgorithm: .ed25519,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
            },
            issuerPrivateKey: .init(caKey.key)
        )
    }

    static func memberSubject(_ name: String) throws -> DistinguishedName {
        try DistinguishedName { CommonName(name); OrganizationalUnitName("Tacit member") }
    }

    /// Checks that `der` is a certificate the CA issued to member `name` for an Ed25519 key,
    /// valid at `time`, and returns that key.
    public static func verifyMember(
        certificateDER der: [UInt8], name: String, ca: Certificate, at time: Date
    ) throws -> VerifyingKey {
        let cert: Certificate
        do { cert = try Certificate(derEncoded: der) } catch {
            throw LedgerError(.invalidCertificate, "certificate of member \(name) is not valid DER X.509: \(error)")
        }
        guard cert.issuer == ca.subject, ca.publicKey.isValidSignature(cert.signature, for: cert) else {
            throw LedgerError(
                .invalidCertificate,
                "certificate of member \(name) was not issued by the consortium CA; issue it with `tacit ca issue`")
        }
        guard cert.subject == (try memberSubject(name)) else {
            throw LedgerError(.invalidCertificate, "certificate of member \(name) names another subject (\(cert.subject))")
        }
        guard cert.notValidBefore <= time, time <= cert.notValidAfter else {
            throw LedgerError(
                .invalidCertificate,
                "certificate of member \(name) is not valid at \(time) (valid \(cert.notValidBefore) to \(cert.notValidAfter))")
        }
        guard let key = Curve25519.Signing.PublicKey(cert.publicKey) else {
            throw LedgerError(.invalidCertificate, "certificate of member \(name) does not hold an Ed25519 key")
        }
        return VerifyingKey(key: key)
    }

    public static func der(_ cert: Certificate) throws -> [UInt8] {
        var s = DER.Serializer()
        try s.serialize(cert)
        return s.serializedBytes
    }

    public static func parse(der: [UInt8]) throws -> Certificate {
        do { return try Certificate(derEncoded: der) } catch {
            throw LedgerError(.invalidCertificate, "not a DER X.509 certificate: \(error)")
        }
    }
}

/// Key and certificate files. Secret keys are one line, `ed25519:` or `x25519:` and base64 of
/// the 32 raw bytes, mode 0600; certificates are PEM.
public enum LedgerKeyFiles {
    public static func writeSecret(_ raw: [UInt8], kind: String, path: String) throws {
        let text = "\(kind):\(Data(raw).base64EncodedString())\n"
        do { try SecretFile.create(atPath: path, contents: Array(text.utf8)) } catch { throw LedgerError(.keyFile, error.message) }
    }

    /// Reads a secret key file, refusing one that group or others may access.
    public static func readSecret(kind: String, path: String) throws -> [UInt8] {
        do { try SecretFile.requirePrivate(atPath: path) } catch { throw LedgerError(.keyFile, error.message) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgerError(.keyFile, "cannot read key file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("\(kind):"), let raw = Data(base64Encoded: String(text.dropFirst(kind.count + 1))),
            raw.count == 32
        else { throw LedgerError(.keyFile, "\(path) is not a \(kind) secret key file (expected '\(kind):' and base64 of 32 bytes)") }
        return Array(raw)
    }

    public static func writeCertificate(_ cert: Certificate, path: String) throws {
        let pem = try cert.serializeAsPEM().pemString + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(pem.utf8)) else {
            throw LedgerError(.keyFile, "cannot write \(path)")
        }
    }

    public static func readCertificate(path: String) throws -> Certificate {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgerError(.keyFile, "cannot read certificate \(path)")
        }
        do { return try Certificate(pemEncoded: String(decoding: data, as: UTF8.self)) } catch {
            throw LedgerError(.invalidCertificate, "\(path) is not a PEM certificate: \(error)")
        }
    }
}
