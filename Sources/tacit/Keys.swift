import ArgumentParser
import TacitNode

extension Tacit {
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage a party's CURVE transport keys.",
            subcommands: [Generate.self, Show.self, Fingerprint.self]
        )

        struct Generate: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Generate a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (Z85).",
                discussion: """
                    NAME.pub goes into this member's record for the genesis (`tacit ledger member --keys DIR`), \
                    which every founder checks and signs; NAME.key never leaves this machine.
                    """
            )

            @Option(help: "The member's name, as in its genesis member record and certificate.")
            var name: String

            @Option(help: "Directory to write the key files into (created if missing).")
            var out: String = "."

            func run() throws {
                do {
                    let files = try TransportKeys.generate(name: name, directory: out)
                    print("secret key: \(files.secretKey) (mode 0600; keep it on this machine)")
                    print("public key: \(files.publicKey)")
                    print("publicKey: \"\(files.publicKeyZ85)\"")
                } catch let e as NodeError {
                    throw ValidationError(e.message)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the public key that belongs to a secret key file.")

            @Argument(help: "Path to NAME.key.")
            var secretKeyFile: String

            func run() throws {
                do {
                    print(try TransportKeys.publicKey(ofSecretKeyFile: secretKeyFile))
                } catch let e as NodeError {
                    throw ValidationError(e.message)
                }
            }
        }

        struct Fingerprint: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print SHA-256 fingerprints of public key files, as `tacit ledger inspect` shows them.",
                discussion: """
                    Accepts NAME.pub (CURVE), NAME.key (prints its public half's fingerprint), NAME.signing.pub \
                    (ledger signing key) and PEM certificates. Read them to the other founders before they sign the genesis.
                    """)
            @Argument(help: "Key or certificate files.") var files: [String]

            func run() throws {
                guard !files.isEmpty else { throw ValidationError("give one or more key files, e.g. keys/NAME.pub keys/NAME.signing.pub") }
                for f in files {
                    do {
                        let (kind, fp) = try KeyFingerprint.of(file: f)
                        print("\(f)  \(kind)  SHA-256 \(fp)")
                    } catch let e as NodeError { throw NodeCommandFailure(message: e.message) }
                }
            }
        }
    }
}
