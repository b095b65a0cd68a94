import ArgumentParser
import TacitNode

extension Tacit {
    struct CA: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ca",
            abstract: "The consortium certificate authority that certifies members' ledger signing keys.",
            subcommands: [Init.self, Issue.self, Fingerprint.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create the consortium CA: ca.key (Ed25519, mode 0600; keep it offline) and ca.crt (X.509).")
            @Option(help: "Directory for ca.key and ca.crt (created if missing).") var dir: String = "."
            @Option(help: "The CA's common name.") var name: String = "Tacit consortium CA"
            @Option(help: "Validity in days.") var days: Int = 3650

            func run() throws {
                do {
                    let files = try CertificateAuthority.create(directory: dir, name: name, validDays: days)
                    print("CA key: \(files.key) (mode 0600; keep offline)\nCA certificate: \(files.certificate)")
                } catch let e as NodeError { throw ValidationError(e.description) }
            }
        }

        struct Issue: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Certify a member's ledger signing key (generating its keys here unless --public-key is given).",
                discussion: """
                    With --public-key NAME.signing.pub (from `tacit ledger keys` on the member's machine), writes only \
                    NAME.crt: the member's secret keys never leave its machine. Without it, also generates \
                    NAME.signing.key (Ed25519) and NAME.enc.key (X25519, for sealed fields) into --out, to be handed \
                    to the member over a channel that keeps them secret.
                    """)
            @Option(help: "Directory holding ca.key and ca.crt.") var ca: String = "."
            @Option(help: "The member's name, as in the consortium.") var member: String
            @Option(help: "Output directory.") var out: String = "."
            @Option(help: "Validity in days.") var days: Int = 825
            @Option(help: "The member's public signing key file (NAME.signing.pub from `tacit ledger keys`).") var publicKey: String?

            func run() throws {
                do {
                    let issued = try CertificateAuthority.issue(
                        caDirectory: ca, member: member, outputDirectory: out, validDays: days, publicKeyFile: publicKey)
                    if let publicKey {
                        print("\(issued.certificate) certifies \(member)'s key from \(publicKey)")
                    } else {
                        print("\(issued.signingKey ?? ""), \(issued.encryptionKey ?? "") (mode 0600), \(issued.certificate)")
                    }
                } catch let e as NodeError { throw ValidationError(e.description) }
            }
        }

        struct Fingerprint: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the SHA-256 fingerprint of the CA certificate, to read aloud to the other founders.",
                discussion: """
                    The same value `tacit ledger inspect` shows for the genesis's CA and \
                    `openssl x509 -noout -fingerprint -sha256 -in ca.crt` prints.
                    """)
            @Argument(help: "The CA certificate (or any member certificate).") var certificate: String = "ca.crt"

            func run() throws {
                do {
                    let (_, fp) = try KeyFingerprint.of(file: certificate)
                    print("\(certificate)  SHA-256 \(fp)")
                } catch let e as NodeError { throw NodeCommandFailure(message: e.message) }
            }
        }
    }
}
