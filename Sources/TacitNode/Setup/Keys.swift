import Foundation
import TacitLedger
import TacitNet

/// A party's CURVE transport keys (`tacit keys`): NAME.key (secret, mode 0600) and NAME.pub
/// (Z85), which the other members put in their consortium file.
public enum TransportKeys {
    public struct Files: Sendable, Hashable {
        public var secretKey: String
        public var publicKey: String
        /// The public key in Z85, as it goes into a consortium file.
        public var publicKeyZ85: String
    }

    /// Generates a key pair into `directory` (created if missing).
    public static func generate(name: String, directory: String) throws -> Files {
        do {
            let pair = try CurveKeyPair.generate()
            let paths = try KeyFiles.write(name: name, keyPair: pair, directory: directory)
            return Files(secretKey: paths.secretPath, publicKey: paths.publicPath, publicKeyZ85: pair.publicKey.z85)
        } catch let e as NetError { throw NodeError(.keys, e.reason) }
    }

    /// The public key (Z85) that belongs to a secret key file.
    public static func publicKey(ofSecretKeyFile path: String) throws -> String {
        do { return try KeyFiles.readSecretKey(path: path).publicKey.z85 } catch let e as NetError { throw NodeError(.keys, e.reason) }
    }
}

/// A member's ledger keys, generated on its own machine (`tacit ledger keys`): an Ed25519
/// signing key and an X25519 encryption key (mode 0600), and the public signing key the
/// consortium CA certifies.
public enum LedgerKeys {
    public struct Files: Sendable, Hashable {
        public var signingKey: String
        public var encryptionKey: String
        /// NAME.signing.pub: `ed25519-public:BASE64`, for `CertificateAuthority.issue`.
        public var publicSigningKey: String
    }

    static let publicKeyPrefix = "ed25519-public:"

    /// Writes NAME.signing.key, NAME.enc.key and NAME.signing.pub into `directory` (created
    /// mode 0700 if missing); refuses to replace an existing key.
    public static func generate(name: String, directory out: String) throws -> Files {
        let fm = FileManager.default
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for f in ["\(name).signing.key", "\(name).enc.key"] where fm.fileExists(atPath: "\(out)/\(f)") {
            throw NodeError(.setup, "\(out)/\(f) exists; refusing to replace a key (move it away first)")
        }
        let files = Files(signingKey: "\(out)/\(name).signing.key", encryptionKey: "\(out)/\(name).enc.key",
                          publicSigningKey: "\(out)/\(name).signing.pub")
        do {
            let sk = SigningKey.generate()
            let ek = EncryptionKey.generate()
            try LedgerKeyFiles.writeSecret(sk.rawRepresentation, kind: "ed25519", path: files.signingKey)
            try LedgerKeyFiles.writeSecret(ek.rawRepresentation, kind: "x25519", path: files.encryptionKey)
            let pub = "\(publicKeyPrefix)\(Data(sk.publicKey.rawRepresentation).base64EncodedString())\n"
            guard fm.createFile(atPath: files.publicSigningKey, contents: Data(pub.utf8)) else {
                throw NodeError(.setup, "cannot write \(files.publicSigningKey)")
            }
        } catch let e as LedgerError { throw NodeError.setup(e) }
        return files
    }

    /// Reads a NAME.signing.pub file written by `generate`.
    static func readPublicKeyFile(_ path: String) throws -> VerifyingKey {
        guard let d = FileManager.default.contents(atPath: path) else { throw NodeError(.setup, "cannot read \(path)") }
        let text = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(publicKeyPrefix), let raw = Data(base64Encoded: String(text.dropFirst(publicKeyPrefix.count))) else {
            throw NodeError(.setup, "\(path) is not a public key file from `tacit ledger keys` (ed25519-public:BASE64)")
        }
        return try VerifyingKey(rawRepresentation: Array(raw))
    }
}
