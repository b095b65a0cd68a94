import Foundation
public import TacitNet
import X509

/// Everything a consortium needs on disk, for one organisation's node: the files
/// `tacit ledger testnet` writes, and what `tacit ledger serve` reads.
///
///     DIR/ca.crt  DIR/ca.key                      (the consortium CA; ca.key stays offline)
///     DIR/NAME.crt DIR/NAME.signing.key DIR/NAME.enc.key DIR/NAME.key DIR/NAME.pub
///     DIR/genesis.bin                             (signed by every founding member)
public enum LedgerFiles {
    public static func signingKey(dir: String, name: String) throws -> SigningIdentity {
        SigningIdentity(name: name, key: try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(dir)/\(name).signing.key")))
    }

    public static func genesis(dir: String) throws -> Genesis { try genesis(path: "\(dir)/genesis.bin") }

    public static func genesis(path: String) throws -> Genesis {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw LedgerError(.invalidGenesis, "cannot read the genesis file \(path)")
        }
        return try Genesis(decoding: Array(d))
    }

    /// The party mesh's consortium, derived from the ledger's membership.
    public static func consortium(_ m: Membership) throws -> Consortium {
        try Consortium(
            members: m.names.map { n in
                let r = m.records[n]!
                return try Consortium.Member(name: PartyID(n), publicKey: CurvePublicKey(z85: r.curveKey), endpoint: r.endpoint)
            })
    }

    /// A whole local consortium in one directory: a CA, each member's keys and certificate,
    /// and a genesis signed by all. For tests, benchmarks and trying Tacit on one machine.
    @discardableResult
    public static func createTestnet(dir: String, members: [(name: String, endpoint: String)], chainName: String = "tacit-testnet", policies: Policies = .init()) throws -> Genesis {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (caKey, caCert) = try ConsortiumCA.create(name: "\(chainName) CA")
        try LedgerKeyFiles.writeSecret(caKey.rawRepresentation, kind: "ed25519", path: "\(dir)/ca.key")
        try LedgerKeyFiles.writeCertificate(caCert, path: "\(dir)/ca.crt")
        var records: [MemberRecord] = []
        var ids: [SigningIdentity] = []
        for (name, endpoint) in members {
            let (record, id) = try writeMember(dir: dir, name: name, endpoint: endpoint, caKey: caKey, caCertificate: caCert)
            records.append(record)
            ids.append(id)
        }
        var g = Genesis(
            chainName: chainName, timestamp: Transaction.now(), caCertificateDER: try ConsortiumCA.der(caCert), members: records, policies: policies)
        for id in ids { g = g.signed(by: id) }
        _ = try g.verify()
        guard FileManager.default.createFile(atPath: "\(dir)/genesis.bin", contents: Data(g.encoded)) else {
            throw LedgerError(.keyFile, "cannot write \(dir)/genesis.bin")
        }
        return g
    }

    /// Keys and a certificate under the testnet's CA (`DIR/ca.key`) for a member joining after
    /// the genesis, in the same files as a founder's; returns the record a `MemberAdded`
    /// carries. The member is not on the ledger until that transaction commits.
    public static func createTestnetMember(dir: String, name: String, endpoint: String) throws -> MemberRecord {
        let caKey = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(dir)/ca.key"))
        let caCert = try LedgerKeyFiles.readCertificate(path: "\(dir)/ca.crt")
        return try writeMember(dir: dir, name: name, endpoint: endpoint, caKey: caKey, caCertificate: caCert).0
    }

    private static func writeMember(
        dir: String, name: String, endpoint: String, caKey: SigningKey, caCertificate caCert: Certificate
    ) throws -> (MemberRecord, SigningIdentity) {
        let sk = SigningKey.generate()
        let ek = EncryptionKey.generate()
        let curve = try CurveKeyPair.generate()
        _ = try KeyFiles.write(name: name, keyPair: curve, directory: dir)
        try LedgerKeyFiles.writeSecret(sk.rawRepresentation, kind: "ed25519", path: "\(dir)/\(name).signing.key")
        try LedgerKeyFiles.writeSecret(ek.rawRepresentation, kind: "x25519", path: "\(dir)/\(name).enc.key")
        let cert = try ConsortiumCA.issue(name: name, memberKey: sk.publicKey, caKey: caKey, caCertificate: caCert)
        try LedgerKeyFiles.writeCertificate(cert, path: "\(dir)/\(name).crt")
        let record = MemberRecord(
            name: name, certificateDER: try ConsortiumCA.der(cert), curveKey: curve.publicKey.z85, endpoint: endpoint,
            roles: ["member"], encryptionKey: ek.publicKey)
        return (record, SigningIdentity(name: name, key: sk))
    }
}
