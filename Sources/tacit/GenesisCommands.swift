import ArgumentParser
import Foundation
import TacitLedger
import TacitNet

/// Founding a consortium across machines, with every secret key generated where it is used:
///
///     member:  tacit keys generate --name NAME --out keys            (CURVE transport pair)
///     member:  tacit ledger keys --name NAME --out keys              (Ed25519 + X25519; prints the public key file)
///     CA:      tacit ca issue --ca ca --member NAME --public-key NAME.signing.pub --out .   (NAME.crt only)
///     member:  tacit ledger member --name NAME --keys keys --cert NAME.crt --endpoint tcp://HOST:PORT --out NAME.member
///     anyone:  tacit ledger genesis --ca ca.crt --member a.member --member b.member … --out genesis.bin
///     each founder in turn:  tacit ledger sign-genesis --genesis genesis.bin --name NAME --key keys/NAME.signing.key
extension Tacit.Ledger {
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
            let fm = FileManager.default
            try fm.createDirectory(atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for f in ["\(name).signing.key", "\(name).enc.key"] where fm.fileExists(atPath: "\(out)/\(f)") {
                throw ValidationError("\(out)/\(f) exists; refusing to replace a key (move it away first)")
            }
            do {
                let sk = SigningKey.generate()
                let ek = EncryptionKey.generate()
                try LedgerKeyFiles.writeSecret(sk.rawRepresentation, kind: "ed25519", path: "\(out)/\(name).signing.key")
                try LedgerKeyFiles.writeSecret(ek.rawRepresentation, kind: "x25519", path: "\(out)/\(name).enc.key")
                let pub = "ed25519-public:\(Data(sk.publicKey.rawRepresentation).base64EncodedString())\n"
                guard fm.createFile(atPath: "\(out)/\(name).signing.pub", contents: Data(pub.utf8)) else {
                    throw ValidationError("cannot write \(out)/\(name).signing.pub")
                }
                print("secret keys: \(out)/\(name).signing.key, \(out)/\(name).enc.key (mode 0600; keep them on this machine)")
                print("for the CA:  \(out)/\(name).signing.pub")
            } catch let e as LedgerError { throw ValidationError(e.description) }
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
                let curve = CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(keys)/\(name).key"))
                let sk = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(keys)/\(name).signing.key"))
                let ek = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(keys)/\(name).enc.key"))
                let certificate = try LedgerKeyFiles.readCertificate(path: cert)
                let der = try ConsortiumCA.der(certificate)
                let inCert = try ConsortiumCA.verifyMember(
                    certificateDER: der, name: name, ca: try LedgerKeyFiles.readCertificate(path: ca), at: Date())
                guard inCert == sk.publicKey else {
                    throw ValidationError("\(cert) certifies another signing key than \(keys)/\(name).signing.key")
                }
                let file = MemberFile(
                    name: name, certificate: Data(der).base64EncodedString(), curveKey: curve.publicKey.z85, endpoint: endpoint,
                    roles: roles.split(separator: ",").map(String.init), encryptionKey: Data(ek.publicKey).base64EncodedString())
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                guard FileManager.default.createFile(atPath: out, contents: try enc.encode(file)) else { throw ValidationError("cannot write \(out)") }
                print("wrote \(out): public values only; send it to whoever assembles the genesis")
            } catch let e as LedgerError { throw ValidationError(e.description) } catch let e as NetError { throw ValidationError(e.description) }
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
                let caCert = try LedgerKeyFiles.readCertificate(path: ca)
                var records: [MemberRecord] = []
                for path in member {
                    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                    let f: MemberFile
                    do { f = try JSONDecoder().decode(MemberFile.self, from: data) } catch {
                        throw ValidationError("\(path) is not a member record from `tacit ledger member`: \(error)")
                    }
                    guard let der = Data(base64Encoded: f.certificate).map(Array.init) else {
                        throw ValidationError("\(path): certificate is not base64 DER")
                    }
                    _ = try ConsortiumCA.verifyMember(certificateDER: der, name: f.name, ca: caCert, at: Date())
                    guard let ek = Data(base64Encoded: f.encryptionKey), ek.count == 32 else {
                        throw ValidationError("\(path): encryptionKey is not base64 of 32 bytes")
                    }
                    _ = try CurvePublicKey(z85: f.curveKey)
                    if records.contains(where: { $0.name == f.name }) { throw ValidationError("member \(f.name) is given twice") }
                    records.append(MemberRecord(
                        name: f.name, certificateDER: der, curveKey: f.curveKey, endpoint: f.endpoint, roles: f.roles, encryptionKey: Array(ek)))
                }
                let g = Genesis(
                    chainName: chain, timestamp: TacitLedger.Transaction.now(), caCertificateDER: try ConsortiumCA.der(caCert), members: records, policies: .init())
                guard FileManager.default.createFile(atPath: out, contents: Data(g.encoded)) else { throw ValidationError("cannot write \(out)") }
                print("wrote \(out): chain \(chain), id \(g.hash.hex), founders \(g.members.map(\.name).joined(separator: ", ")); unsigned")
                print("each founder now runs: tacit ledger sign-genesis --genesis \(out) --name NAME --key keys/NAME.signing.key")
            } catch let e as LedgerError { throw ValidationError(e.description) } catch let e as NetError { throw ValidationError(e.description) }
        }
    }

    struct SignGenesis: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add this founder's signature to the genesis (in place), after checking what it holds.")
        @Option(help: "The genesis file.") var genesis: String
        @Option(help: "This founder's name.") var name: String
        @Option(help: "This founder's signing key (NAME.signing.key).") var key: String

        func run() throws {
            do {
                guard let data = FileManager.default.contents(atPath: genesis) else { throw ValidationError("cannot read \(genesis)") }
                let g = try Genesis(decoding: Array(data))
                guard let rec = g.members.first(where: { $0.name == name }) else {
                    throw ValidationError("\(name) is not a founding member of this genesis (\(g.members.map(\.name).joined(separator: ", ")))")
                }
                let sk = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: key))
                let ca = try ConsortiumCA.parse(der: g.caCertificateDER)
                let certified = try ConsortiumCA.verifyMember(
                    certificateDER: rec.certificateDER, name: name, ca: ca, at: Date(timeIntervalSince1970: Double(g.timestamp) / 1000))
                guard certified == sk.publicKey else { throw ValidationError("\(key) is not the key \(name)'s certificate in the genesis certifies") }
                print("genesis \(g.hash.hex), chain \(g.chainName)")
                for m in g.members { print("  \(m.name)  \(m.endpoint)  roles \(m.roles.joined(separator: ","))") }
                let signed = g.signed(by: SigningIdentity(name: name, key: sk))
                guard FileManager.default.createFile(atPath: genesis, contents: Data(signed.encoded)) else { throw ValidationError("cannot write \(genesis)") }
                let have = Set(signed.signatures.map(\.member))
                let missing = signed.members.map(\.name).filter { !have.contains($0) }
                if missing.isEmpty {
                    _ = try signed.verify()
                    print("signed by \(name); complete: every founder signed and the genesis verifies. Give it to every node (genesis: in node.yaml).")
                } else {
                    print("signed by \(name); still to sign: \(missing.joined(separator: ", "))")
                }
            } catch let e as LedgerError { throw ValidationError(e.description) }
        }
    }
}
