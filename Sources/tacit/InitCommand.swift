import ArgumentParser
import Foundation
import TacitCrypto
import TacitNet
import TacitNode

extension Tacit {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a ready local consortium to try Tacit: keys, configs, sample data, a sample job.",
            discussion: """
                Writes DIR/consortium.yaml and DIR/ledger-members.yaml (what every member shares), \
                DIR/PARTY/node.yaml with DIR/PARTY/keys (secret, mode 0600) and DIR/PARTY/data \
                (sample claims.csv), and DIR/jobs/claim-total.yaml. Endpoints are free ports on \
                loopback. The threshold Paillier key is dealt here by a trusted dealer (this \
                command), which sees the whole key and forgets it: see Docs/NODE.md before using \
                this layout across real organisations.
                """)

        @Option(help: "Party names, comma-separated. The first receives the sample job's result; the others contribute claims.")
        var parties: String

        @Argument(help: "Directory to create (must not exist or be empty).")
        var directory: String

        @Option(help: "Decryption threshold t of the consortium's Paillier key (default: a majority).")
        var threshold: Int?

        @Option(help: "Paillier modulus size in bits.")
        var keyBits: Int = 2048

        @Flag(help: "Allow --key-bits below 2048 (tests and quick trials only; the nodes log it loudly).")
        var insecureSmallKey = false

        @Option(help: "First TCP port on 127.0.0.1 (default: free ports chosen now).")
        var basePort: Int?

        @Option(help: "Seconds a protocol step waits for a peer before the job fails.")
        var protocolTimeout: Int = 60

        func run() throws {
            let names = parties.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard names.count >= 2 else { throw ValidationError("--parties needs at least two names, e.g. insurer,st-marys,riverside") }
            guard Set(names).count == names.count else { throw ValidationError("--parties lists a name twice") }
            for n in names { if let p = NameRules.problem(n) { throw ValidationError("party name '\(n)' \(p)") } }
            let t = threshold ?? (names.count / 2 + 1)
            guard (1...names.count).contains(t) else { throw ValidationError("--threshold must be 1...\(names.count)") }
            if keyBits < 2048 && !insecureSmallKey { throw ValidationError("--key-bits below 2048 needs --insecure-small-key") }
            let fm = FileManager.default
            if let existing = try? fm.contentsOfDirectory(atPath: directory), !existing.isEmpty {
                throw ValidationError("\(directory) exists and is not empty; choose a new directory")
            }
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let root = (directory as NSString).standardizingPath
            let sorted = names.sorted()

            let ports = try basePort.map { b in (0..<names.count).map { b + $0 } } ?? FreePorts.loopback(names.count)
            var members: [Consortium.Member] = []
            var signing: [PartyID: [UInt8]] = [:]
            for (i, name) in names.enumerated() {
                let keys = "\(root)/\(name)/keys"
                let pair = try CurveKeyPair.generate()
                _ = try KeyFiles.write(name: name, keyPair: pair, directory: keys)
                let sk = SigningKey()
                try SigningKeyFile.write(sk, path: "\(keys)/\(name).signing")
                signing[PartyID(name)] = sk.publicKey
                members.append(try .init(name: PartyID(name), publicKey: pair.publicKey, endpoint: "tcp://127.0.0.1:\(ports[i])"))
            }
            try Consortium(members: members).yaml().write(toFile: "\(root)/consortium.yaml", atomically: true, encoding: .utf8)
            try LedgerMembers(keys: signing).yaml().write(toFile: "\(root)/ledger-members.yaml", atomically: true, encoding: .utf8)
            // Issue #6 hook: once TacitLedger is merged, issue the consortium CA and each
            // member's certificate here (`tacit ca init`, `tacit ca issue NAME`) and write the
            // genesis block; ledger-members.yaml is then replaced by the genesis membership.

            print("dealing a \(keyBits)-bit \(t)-of-\(names.count) threshold Paillier key (trusted dealer; see Docs/NODE.md)...")
            let policy: Paillier.KeySizePolicy = insecureSmallKey ? .insecureAnySizeForTesting : .standard
            let (_, shares) = try Paillier.dealThresholdKey(bits: keyBits, threshold: t, parties: names.count, policy: policy)
            for (i, name) in sorted.enumerated() {
                let file = PaillierShareFile(share: shares[i], holders: sorted)
                let data = try JSONEncoder().encode(file)
                guard fm.createFile(atPath: "\(root)/\(name)/keys/paillier-share.json", contents: data, attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write the key share of \(name)")
                }
            }

            for (i, name) in names.enumerated() {
                let dir = "\(root)/\(name)"
                try fm.createDirectory(atPath: "\(dir)/data", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try SampleData.claims(partyIndex: i).write(toFile: "\(dir)/data/claims.csv", atomically: true, encoding: .utf8)
                try """
                    # Party node \(name). Run: tacit node --config \(dir)/node.yaml
                    name: \(name)
                    consortium: ../consortium.yaml
                    ledgerMembers: ../ledger-members.yaml
                    keys:
                      transport: keys/\(name).key
                      signing: keys/\(name).signing
                      paillierShare: keys/paillier-share.json
                    dataDirectory: data
                    datasets:
                      - name: claims
                        file: claims.csv
                        columns:
                          - {name: amount, type: decimal, fractionDigits: 2}
                          - {name: patient_age, type: integer}
                    protocolTimeoutSeconds: \(protocolTimeout)
                    logLevel: info
                    allowInsecureKeySizes: \(insecureSmallKey)

                    """.write(toFile: "\(dir)/node.yaml", atomically: true, encoding: .utf8)
            }

            try fm.createDirectory(atPath: "\(root)/jobs", withIntermediateDirectories: true)
            let recipient = names[0]
            let inputs = Array(names.dropFirst())
            var spec = """
                # Total of every hospital's claims, delivered to \(recipient) only.
                # Submit: tacit job submit --config \(root)/\(recipient)/node.yaml \(root)/jobs/claim-total.yaml
                protocol: paillier-aggregation
                description: Total of all claims
                parties:

                """
            for p in inputs {
                spec += "  - name: \(p)\n    roles: [input]\n    input: {dataset: claims, columns: [amount]}\n"
            }
            spec += """
                  - name: \(recipient)
                    roles: [compute]
                parameters:
                  statistic: sum
                  fractionDigits: 2
                outputs:
                  - name: total
                    recipients: [\(recipient)]
                policy:
                  approvers: [\(names.joined(separator: ", "))]

                """
            try spec.write(toFile: "\(root)/jobs/claim-total.yaml", atomically: true, encoding: .utf8)

            print("consortium of \(names.count) in \(root):")
            for (i, name) in names.enumerated() { print("  \(name)  tcp://127.0.0.1:\(ports[i])  config \(root)/\(name)/node.yaml") }
            print("start each node:   tacit node --config \(root)/NAME/node.yaml")
            print("propose the job:   tacit job submit --config \(root)/\(recipient)/node.yaml \(root)/jobs/claim-total.yaml")
        }
    }
}

/// Sample claims for `tacit init`: a few rows per party, deterministic.
enum SampleData {
    static func claims(partyIndex i: Int) -> String {
        let sets: [[(String, Int, String, String)]] = [
            [("C-1001", 54, "1200.50", "J18.9"), ("C-1002", 37, "310.00", "S52.5"), ("C-1003", 71, "87.25", "I10")],
            [("R-2001", 63, "15000.00", "I21.4"), ("R-2002", 29, "42.10", "J06.9")],
            [("N-3001", 45, "980.75", "K35.8"), ("N-3002", 82, "2250.00", "S72.0"), ("N-3003", 19, "19.99", "J02.9"), ("N-3004", 58, "600.00", "E11.9")],
        ]
        let rows = sets[i % sets.count]
        var out = "claim_id,patient_age,amount,diagnosis\n"
        for (id, age, amount, dx) in rows { out += "\(id),\(age),\(amount),\(dx)\n" }
        return out
    }
}

enum FreePorts {
    /// Ports free on 127.0.0.1 right now (bound to port 0 together, then released).
    static func loopback(_ n: Int) throws -> [Int] {
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<n {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ValidationError("socket() failed") }
            fds.append(fd)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
            }
            guard ok else { throw ValidationError("cannot find a free port on 127.0.0.1") }
            ports.append(Int(UInt16(bigEndian: addr.sin_port)))
        }
        return ports
    }
}
