import Foundation
import Testing

@testable import TacitLedger

@Suite("Independent audit across membership changes")
struct AuditMembershipTests {
    @Test("the Python auditor follows a member added and one removed, and refuses a certificate signed by the removed member")
    func pythonAuditorFollowsMembership() throws {
        let python = try #require(auditorPython, "needs python3 with PyPI's cryptography: run `make py-deps` or set TACIT_PYTHON")
        let l = try TestLedger()
        defer { l.cleanup() }
        let r = try offlineReplica(l, l.db("a"), blocks: 1)
        // d joins (endorsed by every member), authors, then c leaves.
        let caKey = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: "\(l.dir)/ca.key"))
        let ca = try LedgerKeyFiles.readCertificate(path: "\(l.dir)/ca.crt")
        let d = SigningIdentity(name: "d", key: .generate())
        l.ids["d"] = d
        let record = MemberRecord(
            name: "d", certificateDER: try ConsortiumCA.der(try ConsortiumCA.issue(name: "d", memberKey: d.key.publicKey, caKey: caKey, caCertificate: ca)),
            curveKey: "", endpoint: "tcp://127.0.0.1:1", roles: ["member"], encryptionKey: EncryptionKey.generate().publicKey)
        try l.commit([Transaction(chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 10, body: .memberAdded(record), endorsers: [l.ids["b"]!, l.ids["c"]!])], to: r)
        try l.commit([l.tx("d", 1, job("by-d", ["d"]))], to: r)
        try l.commit([Transaction(chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 11, body: .memberRemoved(name: "c"), endorsers: [l.ids["b"]!, l.ids["c"]!, d])], to: r)
        let after = l.block([l.tx("a", 12, job("after", ["a"]))], height: 5, previous: r.state.lastHash, timestamp: max(Transaction.now(), r.state.lastTimestamp))
        func audit(_ file: String) throws -> (Int32, String) { try runPythonAuditor(python, file) }
        // A bad replica: block 5 certified by a and c, c being no longer a member (2 of 3
        // would be a quorum of the new membership, and of the genesis one).
        let bad = "\(l.dir)/bad.db"
        try r.store.backup(to: bad)
        let badStore = try LedgerStore(path: bad)
        try badStore.append(after, certificate: l.certificate(for: after, signers: ["a", "c"]), transactions: [try Transaction(decoding: after.transactions[0])])
        #expect(LedgerVerifier.verify(store: badStore).failure?.code == .unknownMember)
        // The good replica: the same block certified by a, b and d.
        try r.commit(after, l.certificate(for: after, signers: ["a", "b", "d"]))
        #expect(LedgerVerifier.verify(store: r.store).ok)
        for (path, out) in [(l.db("a"), "\(l.dir)/good.json"), (bad, "\(l.dir)/bad.json")] {
            FileManager.default.createFile(atPath: out, contents: try LedgerExport.json(store: try LedgerStore(path: path)))
        }
        let (okStatus, okOut) = try audit("\(l.dir)/good.json")
        #expect(okStatus == 0, "\(okOut)")
        #expect(okOut.contains("5 blocks") && okOut.contains("members now a, b, d"), "\(okOut)")
        let (badStatus, badOut) = try audit("\(l.dir)/bad.json")
        #expect(badStatus == 1, "\(badOut)")
        #expect(badOut.contains("FAIL block 5: commit certificate signed by c"), "\(badOut)")
    }
}
