import Foundation
import TacitBytes
import TacitJob
import TacitCrypto
import TacitLedger
import TacitNet
import TacitKeygen
import TacitClaims

/// A ready local consortium to try Tacit (`tacit init`): a consortium CA, every party's keys
/// and certificate, a genesis signed by every founding member, a dealt threshold Paillier
/// key, node configurations, sample data and sample jobs, with endpoints on loopback.
///
/// Every key here is generated in one place (a dealer), including the threshold Paillier
/// key, which it sees whole and forgets: real organisations generate their own keys
/// (`TransportKeys`, `LedgerKeys`) and have them certified (`CertificateAuthority.issue`).
///
/// The steps run in order: `createLedger()`, `dealPaillierKey()`, `writeNodeFiles()`,
/// `writeSampleJobs()`.
public struct LocalConsortiumSetup: Sendable {
    /// Party names; the first receives the sample jobs' results, the others contribute claims.
    public let parties: [String]
    /// The consortium's directory (standardised path).
    public let root: String
    /// One loopback port per party, in the order of `parties`.
    public let ports: [Int]
    public let threshold: Int
    public let keyBits: Int
    public let insecureSmallKey: Bool
    public let protocolTimeoutSeconds: Int

    /// The party that receives the sample jobs' results.
    public var recipient: String { parties[0] }

    /// `tcp://127.0.0.1:PORT` of each party, in the order of `parties`.
    public var endpoints: [String] { ports.map { "tcp://127.0.0.1:\($0)" } }

    /// Creates `directory` (which must not exist or be empty) and chooses the ports: from
    /// `basePort` on, or free ones now. `parties`: at least two, each a valid name (`NameRules`).
    public init(parties: [String], directory: String, threshold: Int, keyBits: Int, insecureSmallKey: Bool, basePort: Int?,
                protocolTimeoutSeconds: Int) throws {
        for n in parties { if let p = NameRules.problem(n) { throw NodeError(.setup, "party name '\(n)' \(p)") } }
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw NodeError(.setup, "\(directory) exists and is not empty; choose a new directory")
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.parties = parties
        root = (directory as NSString).standardizingPath
        ports = try basePort.map { b in (0..<parties.count).map { b + $0 } } ?? FreePorts.loopback(parties.count)
        self.threshold = threshold
        self.keyBits = keyBits
        self.insecureSmallKey = insecureSmallKey
        self.protocolTimeoutSeconds = protocolTimeoutSeconds
    }

    /// The ledger: a consortium CA (ROOT/ca), each member's CURVE, signing and encryption
    /// keys (ROOT/PARTY/keys, mode 0700) and certificate, and a genesis signed by every
    /// founding member (ROOT/genesis.bin, copied into each party's directory with ca.crt).
    public func createLedger() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(root)/ca", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (caKey, caCert) = try ConsortiumCA.create(name: "tacit local consortium CA")
        try LedgerKeyFiles.writeSecret(caKey.rawRepresentation, kind: "ed25519", path: "\(root)/ca/ca.key")
        try LedgerKeyFiles.writeCertificate(caCert, path: "\(root)/ca/ca.crt")
        var records: [MemberRecord] = []
        var identities: [SigningIdentity] = []
        for (name, endpoint) in zip(parties, endpoints) {
            let keys = "\(root)/\(name)/keys"
            let pair = try CurveKeyPair.generate()
            _ = try KeyFiles.write(name: name, keyPair: pair, directory: keys)
            chmod(keys, 0o700)
            let sk = TacitLedger.SigningKey.generate()
            let ek = EncryptionKey.generate()
            try LedgerKeyFiles.writeSecret(sk.rawRepresentation, kind: "ed25519", path: "\(keys)/\(name).signing.key")
            try LedgerKeyFiles.writeSecret(ek.rawRepresentation, kind: "x25519", path: "\(keys)/\(name).enc.key")
            let cert = try ConsortiumCA.issue(name: name, memberKey: sk.publicKey, caKey: caKey, caCertificate: caCert)
            try LedgerKeyFiles.writeCertificate(cert, path: "\(root)/\(name)/\(name).crt")
            try LedgerKeyFiles.writeCertificate(caCert, path: "\(root)/\(name)/ca.crt")
            records.append(MemberRecord(
                name: name, certificateDER: try ConsortiumCA.der(cert), curveKey: pair.publicKey.z85,
                endpoint: endpoint, roles: ["member"], encryptionKey: ek.publicKey))
            identities.append(SigningIdentity(name: name, key: sk))
        }
        var genesis = Genesis(
            chainName: "tacit-local-\(UUID().uuidString.prefix(8).lowercased())", timestamp: TacitLedger.Transaction.now(),
            caCertificateDER: try ConsortiumCA.der(caCert), members: records, policies: .init())
        for id in identities { genesis = genesis.signed(by: id) }
        _ = try genesis.verify()
        for path in ["\(root)/genesis.bin"] + parties.map({ "\(root)/\($0)/genesis.bin" }) {
            guard fm.createFile(atPath: path, contents: Data(genesis.encoded)) else { throw NodeError(.setup, "cannot write \(path)") }
        }
    }

    /// Deals a `keyBits`-bit `threshold`-of-n Paillier key as a trusted dealer and writes
    /// each party's share (ROOT/PARTY/keys/paillier-share.json, mode 0600).
    public func dealPaillierKey() throws {
        let policy: Paillier.KeySizePolicy = insecureSmallKey ? .insecureAnySizeForTesting : .standard
        let (key, shares) = try Paillier.dealThresholdKey(bits: keyBits, threshold: threshold, parties: parties.count, policy: policy)
        try writePaillierShares(key, shares)
    }

    /// Makes the Paillier key the way founders do (`TacitKeygen`, no dealer), every party run
    /// here over an in-memory mesh, and writes the shares as `dealPaillierKey` does. This one
    /// process still sees every share: it is the same code path, not the same trust.
    public func generatePaillierKey(progress: (@Sendable (String) -> Void)? = nil) async throws {
        let sorted = parties.sorted().map { PartyID($0) }
        var parameters = DistributedPaillier.Parameters(bits: keyBits, threshold: threshold)
        parameters.policy = insecureSmallKey ? .insecureAnySizeForTesting : .standard
        let mesh = InMemoryMesh(parties: sorted)
        let p = parameters
        var report: (@Sendable (DistributedPaillier.Progress) -> Void)?
        if let progress {
            report = { (q: DistributedPaillier.Progress) -> Void in
                progress("\(q.phase.rawValue): \(q.candidatesTried) candidates tried, \(q.biprimalityTests) tested for biprimality")
            }
        }
        let firstReport = report
        let outcomes = try await withThrowingTaskGroup(of: DistributedPaillier.Outcome.self) { group in
            for (i, party) in sorted.enumerated() {
                let channel = mesh.channel(for: party).session(SessionID(1))
                let r = i == 0 ? firstReport : nil
                group.addTask { try await DistributedPaillier.generate(channel: channel, parties: sorted, parameters: p, progress: r) }
            }
            var all: [DistributedPaillier.Outcome] = []
            for try await o in group { all.append(o) }
            return all.sorted { $0.share.index < $1.share.index }
        }
        guard let key = outcomes.first?.publicKey else { throw NodeError(.setup, "the key generation produced no share") }
        try writePaillierShares(key, outcomes.map { (o: DistributedPaillier.Outcome) in o.share })
    }

    private func writePaillierShares(_ key: Paillier.ThresholdPublicKey, _ shares: [Paillier.ThresholdKeyShare]) throws {
        let sorted = parties.sorted()
        // Every member's signing key is here: the registration is signed now, and the first
        // node to start puts it on the ledger.
        let genesis = try LedgerFiles.genesis(path: "\(root)/genesis.bin")
        let identities = try sorted.map { n in
            SigningIdentity(name: n, key: try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(root)/\(n)/keys/\(n).signing.key")))
        }
        let registration = try PaillierKeyRegistration.signedByAll(
            PaillierKeyRegistration.record(key, holders: sorted), chainID: genesis.hash, identities: identities)
        for (i, name) in sorted.enumerated() {
            let file = PaillierShareFile(share: shares[i], holders: sorted, registration: registration.encoded)
            let data = try JSONEncoder().encode(file)
            do { try SecretFile.create(atPath: "\(root)/\(name)/keys/paillier-share.json", contents: Array(data)) } catch {
                throw NodeError(.setup, "the key share of \(name): \(error.message)")
            }
        }
    }

    /// Each party's sample data (ROOT/PARTY/data/claims.csv) and node configuration
    /// (ROOT/PARTY/node.yaml). `datasets`: a party's `datasets:` entries instead of the
    /// sample claims (the claims example); `paillier`: whether the config names a key share.
    public func writeNodeFiles(datasets: [String: String] = [:], paillier: Bool = true) throws {
        let fm = FileManager.default
        let protocolTimeout = protocolTimeoutSeconds
        for (i, name) in parties.enumerated() {
            let dir = "\(root)/\(name)"
            try fm.createDirectory(atPath: "\(dir)/data", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let declared: String
            if let d = datasets[name] {
                declared = d
            } else if !datasets.isEmpty {
                declared = "datasets: []\n"
            } else {
                try SampleData.claims(partyIndex: i).write(toFile: "\(dir)/data/claims.csv", atomically: true, encoding: .utf8)
                declared = """
                    datasets:
                      - name: claims
                        file: claims.csv
                        columns:
                          - {name: amount, type: decimal, fractionDigits: 2}
                          - {name: patient_age, type: integer}
                          - {name: claim_id, type: identifier}

                    """
            }
            try """
                # Party node \(name). Run: tacit node --config \(dir)/node.yaml
                name: \(name)
                genesis: genesis.bin
                ca: ca.crt
                keys:
                  transport: keys/\(name).key
                  signing: keys/\(name).signing.key
                  encryption: keys/\(name).enc.key
                \(paillier ? "  paillierShare: keys/paillier-share.json\n" : "")dataDirectory: data
                \(declared)protocolTimeoutSeconds: \(protocolTimeout)
                logLevel: info
                allowInsecureKeySizes: \(insecureSmallKey)

                """.write(toFile: "\(dir)/node.yaml", atomically: true, encoding: .utf8)
        }
    }

    /// The claims example (`tacit init --example claims`): the first party is the insurer,
    /// the second the hospital, the rest compute parties (a regulator). Writes `claims`
    /// synthetic claims (seeded) as the hospital's bills and the insurer's policies, each
    /// party's node configuration, and ROOT/jobs/claims.yaml. Returns the job file's path.
    @discardableResult
    public func writeClaimsExample(claims: Int, seed: UInt64, paillier: Bool) throws -> String {
        guard parties.count >= 3 else {
            throw NodeError(.setup, "the claims example needs three parties: the insurer, the hospital and a regulator, e.g. --parties acme-insurance,st-marys,regulator")
        }
        let insurer = parties[0], hospital = parties[1], others = Array(parties.dropFirst(2))
        let data = ClaimsGenerator.generate(claims: claims, seed: seed)
        let fm = FileManager.default
        for p in [insurer, hospital] {
            try fm.createDirectory(atPath: "\(root)/\(p)/data", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        guard fm.createFile(atPath: "\(root)/\(hospital)/data/bills.csv", contents: Data(data.bills)),
              fm.createFile(atPath: "\(root)/\(insurer)/data/policies.csv", contents: Data(data.policies)) else {
            throw NodeError(.setup, "cannot write the example's data files under \(root)")
        }
        try writeNodeFiles(datasets: [hospital: ClaimsExample.billsDataset, insurer: ClaimsExample.policiesDataset()], paillier: paillier)
        try FileManager.default.createDirectory(atPath: "\(root)/jobs", withIntermediateDirectories: true)
        let path = "\(root)/jobs/claims.yaml"
        try ClaimsExample.spec(insurer: insurer, hospital: hospital, compute: others, root: root)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Sample jobs in ROOT/jobs: claim-total.yaml (Paillier aggregation) and large-claims.yaml
    /// (on secret shares).
    public func writeSampleJobs() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(root)/jobs", withIntermediateDirectories: true)
        let inputs = Array(parties.dropFirst())
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
              approvers: [\(parties.joined(separator: ", "))]

            """
        try spec.write(toFile: "\(root)/jobs/claim-total.yaml", atomically: true, encoding: .utf8)

        // The same parties under secret sharing: how many claims exceed 1,000 (a secure
        // comparison per row), with Shamir when there are three parties or more.
        let mpc = parties.count >= 3 ? "shamir" : "additive-ot"
        var large = """
            # How many claims exceed 1000.00 across the hospitals, delivered to \(recipient) only,
            # computed on secret shares (\(mpc)).
            # Submit: tacit job submit --config \(root)/\(recipient)/node.yaml \(root)/jobs/large-claims.yaml
            protocol: statistics
            engine: \(mpc)
            description: Number of claims above 1000.00
            parties:

            """
        for p in inputs {
            large += "  - name: \(p)\n    roles: [input]\n    input: {dataset: claims, columns: [amount]}\n"
        }
        large += """
              - name: \(recipient)
                roles: [compute]
            parameters:
              statistic: count-above
              threshold: "1000.00"
            outputs:
              - name: large-claims
                recipients: [\(recipient)]

            """
        try large.write(toFile: "\(root)/jobs/large-claims.yaml", atomically: true, encoding: .utf8)
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
