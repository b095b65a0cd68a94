import ArgumentParser
import TacitNode

extension Tacit {
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage a party's CURVE transport keys.",
            subcommands: [Generate.self, Show.self]
        )

        struct Generate: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Generate a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (Z85).",
                discussion: """
                    Give NAME.pub and this node's endpoint to the other members for the consortium \
                    file; NAME.key never leaves this machine.
                    """
            )

            @Option(help: "The party's name as it will appear in the consortium file.")
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
    }
}
