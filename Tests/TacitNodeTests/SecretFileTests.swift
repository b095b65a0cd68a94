import Foundation
import Testing
import TacitBytes
import TacitLedger
import TacitJob
import TacitNet
import TacitNode
import TacitProtocols

/// Every secret key file (ledger signing and encryption keys, the CA key, Paillier key
/// shares; CURVE keys in TacitNetTests) is created 0600 by the call that creates it and never
/// replaces a file that exists.
@Suite("Secret key files")
struct SecretFileTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-secret-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("SecretFile creates 0600 with the contents, and refuses an existing file or a planted link")
    func helper() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/k.key"
        try SecretFile.create(atPath: path, contents: Array("secret\n".utf8))
        #expect(try mode(path) == 0o600)
        #expect(text(path) == "secret\n")
        #expect(throws: SecretFile.Failure.self) { try SecretFile.create(atPath: path, contents: Array("other".utf8)) }
        do { try SecretFile.create(atPath: path, contents: []) } catch { #expect(error.reason == .exists) }
        #expect(text(path) == "secret\n")
        // A link planted where the key goes must not redirect the write.
        let target = "\(dir)/elsewhere", link = "\(dir)/linked.key"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        do { try SecretFile.create(atPath: link, contents: Array("x".utf8)); Issue.record("wrote through a link") } catch {
            #expect(error.reason == .exists)
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        do { try SecretFile.create(atPath: "\(dir)/missing/k.key", contents: []); Issue.record("created in a missing directory") } catch {
            #expect(error.reason == .cannotCreate)
        }
    }

    @Test("a ledger secret key is written 0600 and never over an existing file")
    func ledgerKeyFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = SigningKey.generate()
        let path = "\(dir)/m.signing.key"
        try LedgerKeyFiles.writeSecret(key.rawRepresentation, kind: "ed25519", path: path)
        #expect(try mode(path) == 0o600)
        let before = text(path)
        let other = SigningKey.generate()
        let e = #expect(throws: LedgerError.self) { try LedgerKeyFiles.writeSecret(other.rawRepresentation, kind: "ed25519", path: path) }
        #expect(e?.code == .keyFile)
        #expect(text(path) == before, "the existing key was replaced")
        #expect(try LedgerKeyFiles.readSecret(kind: "ed25519", path: path) == key.rawRepresentation)
    }

    @Test("tacit ledger keys and tacit ca write their secret keys 0600")
    func generatedKeys() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try LedgerKeys.generate(name: "member", directory: "\(dir)/keys")
        #expect(try mode(files.signingKey) == 0o600)
        #expect(try mode(files.encryptionKey) == 0o600)
        let ca = try CertificateAuthority.create(directory: "\(dir)/ca", name: "test CA", validDays: 1)
        #expect(try mode(ca.key) == 0o600)
        let e = #expect(throws: NodeError.self) { _ = try CertificateAuthority.create(directory: "\(dir)/ca", name: "test CA", validDays: 1) }
        #expect(e?.code == .setup)
    }

    @Test("a dealt Paillier key share is written 0600 and never over an existing file")
    func paillierShare() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let setup = try LocalConsortiumSetup(parties: ["alpha", "beta"], directory: "\(dir)/c", threshold: 2, keyBits: 256,
                                             insecureSmallKey: true, basePort: 45_000, protocolTimeoutSeconds: 30)
        try setup.createLedger()
        try setup.dealPaillierKey()
        for p in setup.parties { #expect(try mode("\(setup.root)/\(p)/keys/paillier-share.json") == 0o600) }
        let before = setup.parties.map { text("\(setup.root)/\($0)/keys/paillier-share.json") }
        let e = #expect(throws: NodeError.self) { try setup.dealPaillierKey() }
        #expect(e?.code == .setup)
        #expect(setup.parties.map { text("\(setup.root)/\($0)/keys/paillier-share.json") } == before, "a key share was replaced")
    }

    @Test("an opening written for an auditor is created 0600 and never replaces a file")
    func openingForAnAuditor() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let opening = CommitmentOpening(input: DatasetInput(jobID: "j", party: "hospital-a", dataset: "claims", columns: [
            .init(declaration: ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2), values: ["1.00"])]),
            salt: [UInt8](repeating: 1, count: 32))
        let path = "\(dir)/opening.json"
        try opening.writeForAuditor(toNewFile: path)
        #expect(try mode(path) == 0o600)
        let back = try JSONDecoder().decode(CommitmentOpening.self, from: try #require(FileManager.default.contents(atPath: path)))
        #expect(back == opening)
        try "mine".write(toFile: "\(dir)/taken.json", atomically: true, encoding: .utf8)
        do { try opening.writeForAuditor(toNewFile: "\(dir)/taken.json"); Issue.record("replaced an existing file") } catch let e as NodeError {
            #expect(e.code == .audit && e.message.contains("already exists"), "\(e)")
        }
        #expect(text("\(dir)/taken.json") == "mine")
    }
}

/// Reading a secret is refused while group or others may access the file (issue 12: a 0644
/// signing or encryption key was accepted silently; only CURVE keys were checked).
@Suite("Secret key files must be private to be used")
struct SecretFileModeTests {
    func make(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-mode-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test("a ledger signing, encryption or CA key with group or other bits is refused, naming the fix", arguments: [0o640, 0o604, 0o644, 0o660])
    func ledgerKey(mode: Int) throws {
        try make { dir in
            let path = "\(dir)/m.signing.key"
            let key = SigningKey.generate()
            try LedgerKeyFiles.writeSecret(key.rawRepresentation, kind: "ed25519", path: path)
            #expect(try LedgerKeyFiles.readSecret(kind: "ed25519", path: path) == key.rawRepresentation)
            #expect(chmod(path, mode_t(mode)) == 0)
            let e = #expect(throws: LedgerError.self) { _ = try LedgerKeyFiles.readSecret(kind: "ed25519", path: path) }
            #expect(e?.code == .keyFile)
            #expect(e?.reason.contains("chmod 600 \(path)") == true, "\(String(describing: e))")
            #expect(e?.reason.contains(String(mode, radix: 8)) == true)
        }
    }

    @Test("a CURVE secret key with group bits is refused")
    func curveKey() throws {
        try make { dir in
            let (secret, _) = try KeyFiles.write(name: "a", keyPair: try CurveKeyPair.generate(), directory: dir)
            _ = try KeyFiles.readSecretKey(path: secret)
            #expect(chmod(secret, 0o640) == 0)
            let e = #expect(throws: NetError.self) { _ = try KeyFiles.readSecretKey(path: secret) }
            #expect(e?.code == .keyFile)
        }
    }

    @Test("the check looks at the file a link points to, and refuses what is not a regular file")
    func linksAndDirectories() throws {
        try make { dir in
            let path = "\(dir)/k.key"
            try SecretFile.create(atPath: path, contents: Array("x".utf8))
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.key", withDestinationPath: path)
            try SecretFile.requirePrivate(atPath: "\(dir)/link.key")
            #expect(chmod(path, 0o644) == 0)
            do throws(SecretFile.Failure) { try SecretFile.requirePrivate(atPath: "\(dir)/link.key"); Issue.record("a 0644 target passed") } catch {
                #expect(error.reason == .notPrivate)
            }
            do throws(SecretFile.Failure) { try SecretFile.requirePrivate(atPath: dir); Issue.record("a directory passed") } catch { #expect(error.reason == .cannotRead) }
            do throws(SecretFile.Failure) { try SecretFile.requirePrivate(atPath: "\(dir)/missing"); Issue.record("a missing file passed") } catch {
                #expect(error.reason == .cannotRead)
            }
        }
    }
}

/// The founding ceremony's read-only tools: what `tacit ledger inspect` and `sign-genesis`
/// show, key fingerprints, and the node.yaml template (issue 12).
@Suite("Genesis inspection and member set-up")
struct GenesisInspectionTests {
    @Test("a complete testnet genesis inspects clean; its fingerprints are those of the members' own files")
    func inspection() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-gi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try LedgerFiles.createTestnet(dir: dir, members: [("alpha", "tcp://127.0.0.1:7101"), ("beta", "tcp://127.0.0.1:7102")])
        let i = try GenesisReport.inspect(file: "\(dir)/genesis.bin")
        #expect(i.isComplete, "\(i.problems)")
        #expect(i.signedBy == ["alpha", "beta"] && i.unsigned.isEmpty)
        #expect(GenesisReport.problems(i, pinnedCA: try GenesisReport.caDER(file: "\(dir)/ca.crt")).isEmpty)
        let alpha = try #require(i.members.first { $0.name == "alpha" })
        #expect(alpha.curveKeyFingerprint == (try KeyFingerprint.of(file: "\(dir)/alpha.pub")).fingerprint)
        #expect(alpha.curveKeyFingerprint == (try KeyFingerprint.of(file: "\(dir)/alpha.key")).fingerprint)
        #expect(alpha.certificateFingerprint == (try KeyFingerprint.of(file: "\(dir)/alpha.crt")).fingerprint)
        #expect(alpha.signingKeyFingerprint?.count == 95)  // 32 bytes as XX: pairs
        // A secret ledger key is never fingerprinted as if it were public.
        #expect(throws: NodeError.self) { _ = try KeyFingerprint.of(file: "\(dir)/alpha.signing.key") }
        let text = GenesisReport.render(i, file: "genesis.bin")
        #expect(text.contains(alpha.certificateFingerprint) && text.contains("complete: every founder signed"))
    }

    @Test("a genesis under another CA, or with a founder's signature missing, is reported, not passed")
    func problems() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-gi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try LedgerFiles.createTestnet(dir: "\(dir)/a", members: [("alpha", "tcp://127.0.0.1:7101"), ("beta", "tcp://127.0.0.1:7102")])
        _ = try LedgerFiles.createTestnet(dir: "\(dir)/b", members: [("alpha", "tcp://127.0.0.1:7101")])
        let g = try LedgerFiles.genesis(dir: "\(dir)/a")
        let i = GenesisInspection(g)
        let foreign = GenesisReport.problems(i, pinnedCA: try GenesisReport.caDER(file: "\(dir)/b/ca.crt"))
        #expect(foreign.first?.contains("issued under another CA") == true)
        #expect(GenesisReport.render(i, file: "g", pinnedCA: try GenesisReport.caDER(file: "\(dir)/b/ca.crt")).contains("DOES NOT MATCH"))
        // Drop beta's signature: consistent, but not complete.
        let partial = Genesis(chainName: g.chainName, timestamp: g.timestamp, caCertificateDER: g.caCertificateDER, members: g.members,
                              policies: g.policies, signatures: g.signatures.filter { $0.member == "alpha" })
        let p = GenesisInspection(partial)
        #expect(p.problems.isEmpty && p.unsigned == ["beta"] && !p.isComplete)
        // A signature by alpha over another genesis does not count as alpha's.
        let other = try LedgerFiles.genesis(dir: "\(dir)/b")
        let forged = Genesis(chainName: g.chainName, timestamp: g.timestamp, caCertificateDER: g.caCertificateDER, members: g.members,
                             policies: g.policies, signatures: other.signatures)
        let f = GenesisInspection(forged)
        #expect(f.signedBy.isEmpty && f.problems.contains("the signature of alpha does not verify"), "\(f.problems)")
    }

    @Test("tacit node config writes a template the node's own parser accepts, and checks the name and keys first")
    func configTemplate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-gi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try LedgerFiles.createTestnet(dir: dir, members: [("alpha", "tcp://127.0.0.1:7101")])
        let out = "\(dir)/node.yaml"
        try NodeConfigTemplate.write(to: out, name: "alpha", genesis: "genesis.bin", ca: "ca.crt", keysDirectory: ".",
                                     paillierShare: nil, bind: nil, dataDirectory: "data")
        let cfg = try NodeConfig.load(path: out)
        #expect(cfg.name == "alpha" && cfg.transportKeyPath == "\(dir)/alpha.key" && cfg.caPath == "\(dir)/ca.crt" && cfg.datasets.isEmpty)
        #expect(throws: NodeError.self) {
            try NodeConfigTemplate.write(to: out, name: "alpha", genesis: "genesis.bin", ca: nil, keysDirectory: ".", paillierShare: nil, bind: nil, dataDirectory: "data")
        }
        #expect(throws: NodeError.self) {
            try NodeConfigTemplate.write(to: "\(dir)/g.yaml", name: "gamma", genesis: "genesis.bin", ca: nil, keysDirectory: ".", paillierShare: nil, bind: nil, dataDirectory: "data")
        }
        #expect(throws: NodeError.self) {
            try NodeConfigTemplate.write(to: "\(dir)/k.yaml", name: "alpha", genesis: "genesis.bin", ca: nil, keysDirectory: "nokeys", paillierShare: nil, bind: nil, dataDirectory: "data")
        }
    }
}

@Suite("A Paillier job needs the ledger's key and a share at every party")
struct PaillierJobPrerequisiteTests {
    static let spec = """
        id: t
        protocol: paillier-aggregation
        parties:
          - {name: a, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: b, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: c, roles: [compute]}
        outputs:
          - {name: total, recipients: [c]}
        """

    @Test("no key, or a party outside the holders, is a problem; holders covering every party is not")
    func problems() throws {
        let spec = try JobSpec.parse(Self.spec, context: SpecContext(members: ["a", "b", "c"], registry: .standard()))
        let none = PaillierKeyRegistration.jobProblems(spec, registry: .standard(), registered: nil)
        #expect(none.count == 1 && none[0].contains("none is registered"))
        func key(_ holders: [String]) -> RegisteredKey {
            RegisteredKey(record: ThresholdKeyRecord(scheme: ThresholdKeyRecord.paillierScheme, publicKey: [1], holders: holders), height: 4)
        }
        let partial = PaillierKeyRegistration.jobProblems(spec, registry: .standard(), registered: key(["a", "c"]))
        #expect(partial == ["b holds no share of the consortium's Paillier key (holders: a, c); paillier-aggregation needs every party of the job to hold one"])
        #expect(PaillierKeyRegistration.jobProblems(spec, registry: .standard(), registered: key(["c", "b", "a", "d"])).isEmpty)
        // A protocol that needs no key is never held back by it.
        let stats = try JobSpec.parse(
            Self.spec.replacingOccurrences(of: "paillier-aggregation", with: "statistics\nengine: shamir"),
            context: SpecContext(members: ["a", "b", "c"], registry: .standard()))
        #expect(PaillierKeyRegistration.jobProblems(stats, registry: .standard(), registered: nil).isEmpty)
    }
}
