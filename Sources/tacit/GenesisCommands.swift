import ArgumentParser
import Foundation
import TacitNode

/// Founding a consortium across machines, with every secret key generated where it is used
/// (`ConsortiumSetup` in TacitNode does the work):
///
///     member:  tacit keys generate --name NAME --out keys            (CURVE transport pair)
///     member:  tacit ledger keys --name NAME --out keys              (Ed25519 + X25519; prints the public key file)
///     CA:      tacit ca issue --ca ca --member NAME --public-key NAME.signing.pub --out .   (NAME.crt only)
///     member:  tacit ledger member --name NAME --keys keys --cert NAME.crt --endpoint tcp://HOST:PORT --out NAME.member
///     anyone:  tacit ledger genesis --ca ca.crt --member a.member --member b.member … --out genesis.bin
///     each founder in turn:  tacit ledger sign-genesis --genesis genesis.bin --name NAME --key keys/NAME.signing.key
extension Tacit.Ledger {
    struct LedgerKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: "Generate a member's ledger keys on its own machine: Ed25519 signing and X25519 encryption keys.",
            discussion: """
                Writes NAME.signing.key and NAME.enc.key (mode 0600; they never leave this machine) and \
                NAME.signing.pub, the public key the consortium CA certifies with \
                `tacit ca issue --public-key NAME.signing.pub`.
                """)
        @Option(help: "The member's name.") var name: String
        @Option(help: "Directory for the key files (created if missing).") var out: String = "."

        func run() throws {
            do {
                let files = try TacitNode.LedgerKeys.generate(name: name, directory: out)
                print("secret keys: \(files.signingKey), \(files.encryptionKey) (mode 0600; keep them on this machine)")
                print("for the CA:  \(files.publicSigningKey)")
            } catch let e as NodeError { throw ValidationError(e.description) }
        }
    }

    struct Member: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a member's public record for the genesis: certificate, CURVE key, encryption key, endpoint.",
            discussion: "Reads the member's own keys (checking the certificate certifies its signing key); writes only public values.")
        @Option(help: "The member's name.") var name: String
        @Option(help: "Directory with NAME.key (CURVE), NAME.signing.key and NAME.enc.key.") var keys: String
        @Option(help: "The certificate the CA issued (NAME.crt).") var cert: String
        @Option(help: "The consortium CA certificate (ca.crt).") var ca: String
        @Option(help: "Where the other members reach this node: tcp://HOST:PORT.") var endpoint: String
        @Option(help: "Comma-separated roles.") var roles: String = "member"
        @Option(help: "Output file.") var out: String

        func run() throws {
            guard endpoint.hasPrefix("tcp://"), endpoint.split(separator: ":").count == 3 else {
                throw ValidationError("--endpoint '\(endpoint)' is not tcp://HOST:PORT")
            }
            do {
                try ConsortiumSetup.writeMemberRecord(
                    name: name, keysDirectory: keys, certificate: cert, caCertificate: ca, endpoint: endpoint,
                    roles: roles.split(separator: ",").map(String.init), to: out)
                print("wrote \(out): public values only; send it to whoever assembles the genesis")
            } catch let e as NodeError { throw ValidationError(e.description) }
        }
    }

    struct GenesisCreate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "genesis",
            abstract: "Assemble the unsigned genesis from the CA certificate and every founding member's record.",
            discussion: "Then each founder adds its signature with `tacit ledger sign-genesis`; nodes accept it only when all have signed.")
        @Option(help: "The consortium CA certificate (ca.crt).") var ca: String
        @Option(help: "A member record from `tacit ledger member` (repeat per founder).") var member: [String] = []
        @Option(help: "The chain's name.") var chain: String = "tacit"
        @Option(help: "Output file.") var out: String = "genesis.bin"

        func run() throws {
            guard member.count >= 1 else { throw ValidationError("give each founding member's record with --member FILE") }
            do {
                let g = try ConsortiumSetup.assembleGenesis(caCertificate: ca, memberRecords: member, chain: chain, to: out)
                print("wrote \(out): chain \(chain), id \(g.id), founders \(g.founders.map(\.name).joined(separator: ", ")); unsigned")
                print("each founder now runs: tacit ledger sign-genesis --genesis \(out) --name NAME --key keys/NAME.signing.key")
            } catch let e as NodeError { throw ValidationError(e.description) }
        }
    }

    struct SignGenesis: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add this founder's signature to the genesis (in place), after checking what it holds.")
        @Option(help: "The genesis file.") var genesis: String
        @Option(help: "This founder's name.") var name: String
        @Option(help: "This founder's signing key (NAME.signing.key).") var key: String
        @Option(help: "The consortium CA certificate this founder trusts; signing is refused if the genesis names another.")
        var ca: String?
        @Flag(help: "Sign without being asked, after reviewing `tacit ledger inspect` of the same file.") var yes = false

        func run() throws {
            do {
                let signing = try GenesisSigning.prepare(genesisFile: genesis, name: name, keyFile: key)
                let inspection = try GenesisReport.inspect(file: genesis)
                let pinned = try ca.map { try GenesisReport.caDER(file: $0) }
                print(GenesisReport.render(inspection, file: genesis, pinnedCA: pinned))
                let problems = GenesisReport.problems(inspection, pinnedCA: pinned)
                guard problems.isEmpty else { throw NodeCommandFailure(message: "not signed: \(problems[0])") }
                if !yes {
                    // A founder's signature admits every member listed: it is given knowingly.
                    guard isatty(STDIN_FILENO) != 0 else {
                        throw NodeCommandFailure(message: "not signed: review the genesis above and confirm on a terminal, or pass --yes")
                    }
                    print("Compare the chain id and every fingerprint with the other founders. Sign as \(name)? [y/N] ", terminator: "")
                    fflush(nil)
                    guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                        throw NodeCommandFailure(message: "not signed")
                    }
                }
                let missing = try signing.sign()
                if missing.isEmpty {
                    print("signed by \(name); complete: every founder signed and the genesis verifies. Give it to every node (genesis: in node.yaml).")
                } else {
                    print("signed by \(name); still to sign: \(missing.joined(separator: ", "))")
                }
            } catch let e as NodeError { throw ValidationError(e.description) }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show everything a genesis decides before anyone signs or starts a node on it.",
            discussion: """
                Chain id, CA, policies, and each member's endpoint, roles, certificate, signing, CURVE and encryption \
                keys as SHA-256 fingerprints (compare them with `tacit keys fingerprint` / `tacit ca fingerprint` read out \
                by each member), who has signed and who has not. Exits 1 if anything in it would be refused.
                """)
        @Argument(help: "The genesis file.") var genesis: String
        @Option(help: "The consortium CA certificate you trust (ca.crt): the genesis must be issued under it.") var ca: String?

        func run() throws {
            do {
                let inspection = try GenesisReport.inspect(file: genesis)
                let pinned = try ca.map { try GenesisReport.caDER(file: $0) }
                print(GenesisReport.render(inspection, file: genesis, pinnedCA: pinned))
                let problems = GenesisReport.problems(inspection, pinnedCA: pinned)
                if !problems.isEmpty { throw NodeCommandFailure(message: "the genesis has \(problems.count) problem(s)") }
            } catch let e as NodeError { throw NodeCommandFailure(message: e.message) }
        }
    }
}
