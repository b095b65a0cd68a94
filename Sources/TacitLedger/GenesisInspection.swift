import Crypto
public import Foundation
import SwiftASN1
import TacitBytes
import TacitNet
public import X509

/// What a founder reads before signing a genesis, and an operator before starting a node on
/// it: every value that decides who is a member, as fingerprints that can be read aloud and
/// compared with other tools (`openssl x509 -noout -fingerprint -sha256` for certificates).
/// Unlike `verify()` it never throws for an incomplete or wrong genesis: it lists what is wrong.
public struct GenesisInspection: Sendable {
    public struct Member: Sendable {
        public var name: String
        public var endpoint: String
        public var roles: [String]
        public var curveKey: String
        public var curveKeyFingerprint: String?
        public var certificateFingerprint: String
        public var certificateSubject: String?
        public var certificateIssuer: String?
        public var validFrom: Date?
        public var validUntil: Date?
        /// The Ed25519 key the certificate certifies, when it verifies under the CA.
        public var signingKeyFingerprint: String?
        public var encryptionKeyFingerprint: String
        /// Why the record would be refused (certificate, key sizes, name); nil if it is fine.
        public var problem: String?
    }

    public var chainName: String
    public var chainID: Hash256
    public var created: Date
    public var caSubject: String?
    public var caFingerprint: String
    public var policies: Policies
    public var members: [Member]
    /// Founders whose signature verifies.
    public var signedBy: [String]
    /// Founders who have not signed yet.
    public var unsigned: [String]
    /// Everything that keeps the genesis from verifying, other than missing signatures.
    public var problems: [String]

    /// Complete: every founder signed and nothing is wrong; a node will accept it.
    public var isComplete: Bool { unsigned.isEmpty && problems.isEmpty }

    /// One member record as an operator reads it, its certificate checked against `ca` at
    /// `date`; the verified signing key when the certificate verifies.
    static func describe(_ rec: MemberRecord, ca: Certificate?, at date: Date) -> (Member, VerifyingKey?) {
        var m = Member(
            name: rec.name, endpoint: rec.endpoint, roles: rec.roles, curveKey: rec.curveKey,
            curveKeyFingerprint: Fingerprint.curveKey(z85: rec.curveKey),
            certificateFingerprint: Fingerprint.sha256(rec.certificateDER),
            encryptionKeyFingerprint: Fingerprint.sha256(rec.encryptionKey))
        var verified: VerifyingKey?
        if let cert = try? Certificate(derEncoded: rec.certificateDER) {
            m.certificateSubject = cert.subject.description
            m.certificateIssuer = cert.issuer.description
            m.validFrom = cert.notValidBefore
            m.validUntil = cert.notValidAfter
        }
        if m.curveKeyFingerprint == nil { m.problem = "its CURVE key is not a 40-character Z85 key" }
        if let ca {
            do {
                let key = try ConsortiumCA.verifyMember(certificateDER: rec.certificateDER, name: rec.name, ca: ca, at: date)
                m.signingKeyFingerprint = Fingerprint.sha256(key.rawRepresentation)
                verified = key
            } catch {
                m.problem = (error as? LedgerError)?.reason ?? "\(error)"
            }
        }
        if let problem = Membership.validateName(rec.name) { m.problem = "name '\(rec.name)' \(problem)" }
        if rec.encryptionKey.count != 32 { m.problem = "its encryption key is not 32 bytes" }
        return (m, verified)
    }

    public init(_ g: Genesis) {
        chainName = g.chainName
        chainID = g.hash
        let created = Date(timeIntervalSince1970: Double(g.timestamp) / 1000)
        self.created = created
        caFingerprint = Fingerprint.sha256(g.caCertificateDER)
        policies = g.policies
        problems = []
        let ca: Certificate?
        do {
            let c = try ConsortiumCA.parse(der: g.caCertificateDER)
            ca = c
            caSubject = c.subject.description
        } catch {
            ca = nil
            caSubject = nil
            problems.append("the CA certificate cannot be read: \((error as? LedgerError)?.reason ?? "\(error)")")
        }
        var keys: [String: VerifyingKey] = [:]
        members = g.members.map { rec in
            let (m, key) = Self.describe(rec, ca: ca, at: created)
            if let key { keys[rec.name] = key }
            return m
        }
        for m in members { if let p = m.problem { problems.append("member \(m.name): \(p)") } }
        let message = DomainTag.genesis.bytes + g.hash.bytes
        var signed: [String] = []
        for s in g.signatures {
            guard let key = keys[s.member] else {
                if !g.members.contains(where: { $0.name == s.member }) {
                    problems.append("signed by \(s.member), who is not a founding member")
                }
                continue
            }
            if key.isValid(signature: s.signature, for: message) { signed.append(s.member) } else {
                problems.append("the signature of \(s.member) does not verify")
            }
        }
        signedBy = signed
        unsigned = g.members.map(\.name).filter { !signed.contains($0) }
        if g.members.isEmpty { problems.append("it lists no members") }
    }

    /// Whether `caCertificateDER` is the CA this genesis was issued under.
    public func isIssued(underCA der: [UInt8]) -> Bool { Fingerprint.sha256(der) == caFingerprint }
}

/// SHA-256 fingerprints as OpenSSL prints them: upper-case hex bytes joined by colons.
public enum Fingerprint {
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// Of the 32 raw bytes of a Z85 CURVE key; nil if it is not one.
    public static func curveKey(z85 text: String) -> String? {
        guard let key = try? CurvePublicKey(z85: text) else { return nil }
        return sha256(key.rawBytes)
    }
}

extension Membership {
    /// The current members as an operator reads them (certificate subject, issuer, validity,
    /// fingerprints), certificates checked against the consortium CA at `date`.
    public func described(at date: Date = Date()) -> [GenesisInspection.Member] {
        names.compactMap { records[$0] }.map { GenesisInspection.describe($0, ca: ca, at: date).0 }
    }
}

extension MemberRecord {
    /// The member's certificate as PEM, to check with other tools (`openssl x509 -text`).
    public var certificatePEM: String {
        let b64 = Data(certificateDER).base64EncodedString()
        var lines = ["-----BEGIN CERTIFICATE-----"]
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[i..<j]))
            i = j
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
