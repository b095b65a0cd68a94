import ArgumentParser
import TacitNet

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
                    let pair = try CurveKeyPair.generate()
                    let paths = try KeyFiles.write(name: name, keyPair: pair, directory: out)
                    print("secret key: \(paths.secretPath) (mode 0600; keep it on this machine)")
                    print("public key: \(paths.publicPath)")
                    print("publicKey: \"\(pair.publicKey.z85)\"")
                } catch let e as NetError {
                    throw ValidationError(e.reason)
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
                    print(try KeyFiles.readSecretKey(path: secretKeyFile).publicKey.z85)
                } catch let e as NetError {
                    throw ValidationError(e.reason)
                }
            }
        }
    }
}
