import Foundation
import TacitLedger
import TacitNet

/// Founding a consortium across machines, with every secret key generated where it is used:
///
///     member:  TransportKeys.generate                  (`tacit keys generate`: CURVE transport pair)
///     member:  LedgerKeys.generate                     (`tacit ledger keys`: Ed25519 + X25519, and the public key file)
///     CA:      CertificateAuthority.issue(publicKeyFile:)   (`tacit ca issue --public-key`: NAME.crt only)
///     member:  ConsortiumSetup.writeMemberRecord       (`tacit ledger member`: public values only)
///     anyone:  ConsortiumSetup.assembleGenesis         (`tacit ledger genesis`: unsigned)
///     each founder in turn:  GenesisSigning.prepare, then sign   (`tacit ledger sign-genesis`)
public enum ConsortiumSetup {
    /// A founding member as the genesis lists it.
    public struct Founder: Sendable, Hashable {
        public var name: String
        public var endpoint: String
        public var roles: [String]
    }

    /// What a genesis holds, for the operator to check before signing it.
    public struct GenesisSummary: Sendable, Hashable {
        /// The genesis hash (hex): the chain's id.
        public var id: String
        public var chain: String
        public var founders: [Founder]
        /// The founders who have signed it so far.
        public var signedBy: [String]

        init(_ g: Genesis) {
            id = g.hash.hex
            chain = g.chainName
            founders = g.members.map { Founder(name: $0.name, endpoint: $0.endpoint, roles: $0.roles) }
            signedBy = g.signatures.map(\.member)
        }
    }

    /// A member's public record as a file, assembled on the member's machine from its own keys.
    struct MemberFile: Codable {
        var format = "tacit.ledger-member.v1"
        var name: String
        /// Base64 of the DER certificate.
        var certificate: String
        var curveKey: String
        var endpoint: String
        var roles: [String]
        /// Base64 of the 32-byte X25519 public key.
        var encryptionKey: String
    }

    /// Writes a member's public record for the genesis to `out`: its certificate (checked to
    /// certify the signing key in `keysDirectory` under the CA), CURVE key, encryption key,
    /// endpoint and roles. Reads the member's secret keys; writes only public values.
    public static func writeMemberRecord(name: String, keysDirectory keys: String, certificate cert: String, caCertificate ca: String,
                                         endpoint: String, roles: [String], to out: String) throws {
        do {
            let curve = CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(keys)/\(name).key"))
            let sk = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(keys)/\(name).signing.key"))
            let ek = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(keys)/\(name).enc.key"))
            let certificate = try LedgerKeyFiles.readCertificate(path: cert)
            let der = try ConsortiumCA.der(certificate)
            let inCert = try ConsortiumCA.verifyMember(
                certificateDER: der, name: name, ca: try LedgerKeyFiles.readCertificate(path: ca), at: Date())
            guard inCert == sk.publicKey else {
                throw NodeError(.setup, "\(cert) certifies another signing key than \(keys)/\(name).signing.key")
            }
            let file = MemberFile(
                name: name, certificate: Data(der).base64EncodedString(), curveKey: curve.publicKey.z85, endpoint: endpoint,
                roles: roles, encryptionKey: Data(ek.publicKey).base64EncodedString())
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            guard FileManager.default.createFile(atPath: out, contents: try enc.encode(file)) else { throw NodeError(.setup, "cannot write \(out)") }
        } catch let e as LedgerError { throw NodeError.setup(e) } catch let e as NetError { throw NodeError.setup(e) }
    }

    /// Assembles the unsigned genesis of chain `chain` from the CA certificate and every
    /// founding member's record (from `writeMemberRecord`), checking each, and writes it to
    /// `out`. Each founder then signs it (`GenesisSigning`).
    public static func assembleGenesis(caCertificate ca: String, memberRecords: [String], chain: String, to out: String) throws -> GenesisSummary {
        do {
            let caCert = try LedgerKeyFiles.readCertificate(path: ca)
            var records: [MemberRecord] = []
            for path in memberRecords {
                guard let data = FileManager.default.contents(atPath: path) else { throw NodeError(.setup, "cannot read \(path)") }
                let f: MemberFile
                do { f = try JSONDecoder().decode(MemberFile.self, from: data) } catch {
                    throw NodeError(.setup, "\(path) is not a member record from `tacit ledger member`: \(error)")
                }
                guard let der = Data(base64Encoded: f.certificate).map(Array.init) else {
                    throw NodeError(.setup, "\(path): certificate is not base64 DER")
                }
                _ = try ConsortiumCA.verifyMember(certificateDER: der, name: f.name, ca: caCert, at: Date())
                guard let ek = Data(base64Encoded: f.encryptionKey), ek.count == 32 else {
                    throw NodeError(.setup, "\(path): encryptionKey is not base64 of 32 bytes")
                }
                _ = try CurvePublicKey(z85: f.curveKey)
                if records.contains(where: { $0.name == f.name }) { throw NodeError(.setup, "member \(f.name) is given twice") }
                records.append(MemberRecord(
                    name: f.name, certificateDER: der, curveKey: f.curveKey, endpoint: f.endpoint, roles: f.roles, encryptionKey: Array(ek)))
            }
            let g = Genesis(
                chainName: chain, timestamp: TacitLedger.Transaction.now(), caCertificateDER: try ConsortiumCA.der(caCert), members: records,
                policies: .init())
            guard FileManager.default.createFile(atPath: out, contents: Data(g.encoded)) else { throw NodeError(.setup, "cannot write \(out)") }
            return GenesisSummary(g)
        } catch let e as LedgerError { throw NodeError.setup(e) } catch let e as NetError { throw NodeError.setup(e) }
    }

    /// A whole local consortium in one directory (`tacit ledger testnet`): CA, member keys
    /// and certificates, and a genesis signed by every member. Returns the genesis id (hex).
    public static func createTestnet(directory: String, members: [(name: String, endpoint: String)]) throws -> String {
        do { return try LedgerFiles.createTestnet(dir: directory, members: members).hash.hex } catch let e as LedgerError { throw NodeError.setup(e) }
    }
}

/// One founder's signature on the genesis, in two steps so that the operator sees what it
/// signs: `prepare` reads the genesis and the founder's key and checks that the genesis
/// certifies that key; `sign` adds the signature to the file in place.
public struct GenesisSigning: Sendable {
    /// The genesis as it is before this signature.
    public let genesis: ConsortiumSetup.GenesisSummary
    let file: String
    let decoded: Genesis
    let identity: SigningIdentity

    public static func prepare(genesisFile: String, name: String, keyFile key: String) throws -> GenesisSigning {
        do {
            guard let data = FileManager.default.contents(atPath: genesisFile) else { throw NodeError(.setup, "cannot read \(genesisFile)") }
            let g = try Genesis(decoding: Array(data))
            guard let rec = g.members.first(where: { $0.name == name }) else {
                throw NodeError(.setup, "\(name) is not a founding member of this genesis (\(g.members.map(\.name).joined(separator: ", ")))")
            }
            let sk = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: key))
            let ca = try ConsortiumCA.parse(der: g.caCertificateDER)
            let certified = try ConsortiumCA.verifyMember(
                certificateDER: rec.certificateDER, name: name, ca: ca, at: Date(timeIntervalSince1970: Double(g.timestamp) / 1000))
            guard certified == sk.publicKey else { throw NodeError(.setup, "\(key) is not the key \(name)'s certificate in the genesis certifies") }
            return GenesisSigning(genesis: .init(g), file: genesisFile, decoded: g, identity: SigningIdentity(name: name, key: sk))
        } catch let e as LedgerError { throw NodeError.setup(e) }
    }

    /// Signs and rewrites the genesis file; returns the founders still to sign (none: the
    /// genesis is complete and verifies).
    public func sign() throws -> [String] {
        do {
            let signed = decoded.signed(by: identity)
            guard FileManager.default.createFile(atPath: file, contents: Data(signed.encoded)) else { throw NodeError(.setup, "cannot write \(file)") }
            let have = Set(signed.signatures.map(\.member))
            let missing = signed.members.map(\.name).filter { !have.contains($0) }
            if missing.isEmpty { _ = try signed.verify() }
            return missing
        } catch let e as LedgerError { throw NodeError.setup(e) }
    }
}
