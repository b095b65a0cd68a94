import Foundation
import TacitLedger

/// The consortium certificate authority that certifies members' ledger signing keys
/// (`tacit ca`). Its key is an Ed25519 key file (mode 0600) that a real consortium keeps
/// offline; its certificate is X.509.
public enum CertificateAuthority {
    /// Where `create` wrote the CA.
    public struct Files: Sendable, Hashable {
        public var key: String
        public var certificate: String
    }

    /// What `issue` wrote: the member's certificate, and its secret keys when they were
    /// generated here.
    public struct IssuedMember: Sendable, Hashable {
        public var certificate: String
        /// The Ed25519 signing key and X25519 encryption key, when generated here (nil when
        /// only a public key was certified).
        public var signingKey: String?
        public var encryptionKey: String?
    }

    /// Creates `directory/ca.key` and `directory/ca.crt`; refuses to replace an existing key.
    public static func create(directory: String, name: String, validDays: Int) throws -> Files {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = Files(key: "\(directory)/ca.key", certificate: "\(directory)/ca.crt")
        guard !FileManager.default.fileExists(atPath: files.key) else {
            throw NodeError(.setup, "\(files.key) exists; refusing to overwrite a CA key")
        }
        do {
            let (key, cert) = try ConsortiumCA.create(name: name, validDays: validDays)
            try LedgerKeyFiles.writeSecret(key.rawRepresentation, kind: "ed25519", path: files.key)
            try LedgerKeyFiles.writeCertificate(cert, path: files.certificate)
        } catch let e as LedgerError { throw NodeError.setup(e) }
        return files
    }

    /// Certifies `member`'s ledger signing key with the CA in `caDirectory`. With
    /// `publicKeyFile` (NAME.signing.pub from `LedgerKeys.generate`) only the certificate is
    /// written: the member's secret keys never leave its machine. Without it, the member's
    /// signing and encryption keys are generated here too.
    public static func issue(caDirectory: String, member: String, outputDirectory out: String, validDays: Int,
                             publicKeyFile: String?) throws -> IssuedMember {
        do {
            let caKey = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(caDirectory)/ca.key"))
            let caCert = try LedgerKeyFiles.readCertificate(path: "\(caDirectory)/ca.crt")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let certificate = "\(out)/\(member).crt"
            if let publicKeyFile {
                let key = try LedgerKeys.readPublicKeyFile(publicKeyFile)
                let cert = try ConsortiumCA.issue(name: member, memberKey: key, caKey: caKey, caCertificate: caCert, validDays: validDays)
                try LedgerKeyFiles.writeCertificate(cert, path: certificate)
                return IssuedMember(certificate: certificate)
            }
            let sk = SigningKey.generate()
            let ek = EncryptionKey.generate()
            let cert = try ConsortiumCA.issue(name: member, memberKey: sk.publicKey, caKey: caKey, caCertificate: caCert, validDays: validDays)
            let signingKey = "\(out)/\(member).signing.key", encryptionKey = "\(out)/\(member).enc.key"
            try LedgerKeyFiles.writeSecret(sk.rawRepresentation, kind: "ed25519", path: signingKey)
            try LedgerKeyFiles.writeSecret(ek.rawRepresentation, kind: "x25519", path: encryptionKey)
            try LedgerKeyFiles.writeCertificate(cert, path: certificate)
            return IssuedMember(certificate: certificate, signingKey: signingKey, encryptionKey: encryptionKey)
        } catch let e as LedgerError { throw NodeError.setup(e) }
    }
}
