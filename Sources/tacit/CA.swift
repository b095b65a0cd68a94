import ArgumentParser
import Foundation
import TacitLedger

extension Tacit {
    struct CA: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ca",
            abstract: "The consortium certificate authority that certifies members' ledger signing keys.",
            subcommands: [Init.self, Issue.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create the consortium CA: ca.key (Ed25519, mode 0600; keep it offline) and ca.crt (X.509).")
            @Option(help: "Directory for ca.key and ca.crt (created if missing).") var dir: String = "."
            @Option(help: "The CA's common name.") var name: String = "Tacit consortium CA"
            @Option(help: "Validity in days.") var days: Int = 3650

            func run() throws {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                guard !FileManager.default.fileExists(atPath: "\(dir)/ca.key") else {
                    throw ValidationError("\(dir)/ca.key exists; refusing to overwrite a CA key")
                }
                do {
                    let (key, cert) = try ConsortiumCA.create(name: name, validDays: days)
                    try LedgerKeyFiles.writeSecret(key.rawRepresentation, kind: "ed25519", path: "\(dir)/ca.key")
                    try LedgerKeyFiles.writeCertificate(cert, path: "\(dir)/ca.crt")
                    print("CA key: \(dir)/ca.key (mode 0600; keep offline)\nCA certificate: \(dir)/ca.crt")
                } catch let e as LedgerError { throw ValidationError(e.description) }
            }
        }

        struct Issue: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Certify a member's ledger signing key (generating its keys here unless --public-key is given).",
                discussion: """
                    With --public-key NAME.signing.pub (from `tacit ledger keys` on the member's machine), writes only                     NAME.crt: the member's secret keys never leave its machine. Without it, also generates                     NAME.signing.key (Ed25519) and NAME.enc.key (X25519, for sealed fields) into --out, to be handed                     to the member over a channel that keeps them secret.
                    """)
            @Option(help: "Directory holding ca.key and ca.crt.") var ca: String = "."
            @Option(help: "The member's name, as in the consortium.") var member: String
            @Option(help: "Output directory.") var out: String = "."
            @Option(help: "Validity in days.") var days: Int = 825
            @Option(help: "The member's public signing key file (NAME.signing.pub from `tacit ledger keys`).") var publicKey: String?

            func run() throws {
                do {
                    let caKey = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(ca)/ca.key"))
                    let caCert = try LedgerKeyFiles.readCertificate(path: "\(ca)/ca.crt")
                    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                    if let publicKey {
                        guard let d = FileManager.default.contents(atPath: publicKey) else { throw ValidationError("cannot read \(publicKey)") }
                        let text = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                        let prefix = "ed25519-public:"
                        guard text.hasPrefix(prefix), let raw = Data(base64Encoded: String(text.dropFirst(prefix.count))) else {
                            throw ValidationError("\(publicKey) is not a public key file from `tacit ledger keys` (ed25519-public:BASE64)")
                        }
                        let key = try VerifyingKey(rawRepresentation: Array(raw))
                        let cert = try ConsortiumCA.issue(name: member, memberKey: key, caKey: caKey, caCertificate: caCert, validDays: days)
                        try LedgerKeyFiles.writeCertificate(cert, path: "\(out)/\(member).crt")
                        print("\(out)/\(member).crt certifies \(member)'s key from \(publicKey)")
                        return
                    }
                    let sk = SigningKey.generate()
                    let ek = EncryptionKey.generate()
                    let cert = try ConsortiumCA.issue(name: member, memberKey: sk.publicKey, caKey: caKey, caCertificate: caCert, validDays: days)
                    try LedgerKeyFiles.writeSecret(sk.rawRepresentation, kind: "ed25519", path: "\(out)/\(member).signing.key")
                    try LedgerKeyFiles.writeSecret(ek.rawRepresentation, kind: "x25519", path: "\(out)/\(member).enc.key")
                    try LedgerKeyFiles.writeCertificate(cert, path: "\(out)/\(member).crt")
                    print("\(out)/\(member).signing.key, \(out)/\(member).enc.key (mode 0600), \(out)/\(member).crt")
                } catch let e as LedgerError { throw ValidationError(e.description) }
            }
        }
    }
}
