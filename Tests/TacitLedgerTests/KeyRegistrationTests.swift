import Foundation
import Testing
import TacitBytes

@testable import TacitLedger

/// `KeyRegistered` (issue 12): a consortium threshold key is on the ledger only when every
/// holder, and nobody else, signed it; the latest per scheme is current; the Python auditor
/// checks the same rule from the export alone.
@Suite("Threshold keys on the ledger")
struct KeyRegistrationTests {
    static func record(_ holders: [String], key: [UInt8] = Array("public key bytes".utf8)) -> ThresholdKeyRecord {
        ThresholdKeyRecord(scheme: ThresholdKeyRecord.paillierScheme, publicKey: key, holders: holders)
    }

    func register(_ l: TestLedger, _ holders: [String], author: String, endorsers: [String], nonce: UInt64, key: [UInt8] = Array("k".utf8)) -> Transaction {
        Transaction(
            chainID: l.genesis.hash, author: l.ids[author]!, nonce: nonce, body: .keyRegistered(Self.record(holders, key: key)),
            endorsers: endorsers.map { l.ids[$0]! })
    }

    @Test("every holder and only the holders sign; holders are distinct members; the record is not empty")
    func rules() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let r = try offlineReplica(l, l.db("a"), blocks: 0)
        let cases: [(String, Transaction)] = [
            ("a holder did not sign", register(l, ["a", "b", "c"], author: "a", endorsers: ["b"], nonce: 1)),
            ("a non-holder signed", register(l, ["a", "b"], author: "a", endorsers: ["b", "c"], nonce: 1)),
            ("the author is not a holder", register(l, ["b", "c"], author: "a", endorsers: ["b", "c"], nonce: 1)),
            ("a holder is listed twice", register(l, ["a", "b", "b"], author: "a", endorsers: ["b"], nonce: 1)),
            ("an empty public key", register(l, ["a", "b"], author: "a", endorsers: ["b"], nonce: 1, key: [])),
            (
                "a holder who is not a member",
                Transaction(chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 1, body: .keyRegistered(Self.record(["a", "zed"])))
            ),
            (
                "a scheme outside the name rules",
                Transaction(
                    chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 1,
                    body: .keyRegistered(ThresholdKeyRecord(scheme: "../x", publicKey: [1], holders: ["a"])))
            ),
        ]
        for (what, tx) in cases {
            #expect(ledgerErrorCode(what) { try r.admit(tx, signaturesVerified: false) } == .notAuthorised, "\(what)")
        }
        #expect(r.pendingCount == 0)
        // Every holder signs: admitted, and current once committed, with its block.
        let first = register(l, ["a", "b", "c"], author: "b", endorsers: ["c", "a"], nonce: 1, key: [1, 2, 3])
        try l.commit([first], to: r)
        let current = try #require(r.state.keys[ThresholdKeyRecord.paillierScheme])
        #expect(current.record.publicKey == [1, 2, 3] && current.height == 1)
        #expect(current.record.shareIndex(of: "c") == 3 && current.record.shareIndex(of: "zed") == nil)
        // A later registration (two holders this time) replaces it; replay derives the same.
        try l.commit([register(l, ["a", "c"], author: "a", endorsers: ["c"], nonce: 1, key: [4])], to: r)
        #expect(r.state.keys[ThresholdKeyRecord.paillierScheme]?.record.holders == ["a", "c"])
        let again = try Replica(store: try LedgerStore(path: l.db("a")))
        #expect(again.state.keys[ThresholdKeyRecord.paillierScheme] == r.state.keys[ThresholdKeyRecord.paillierScheme])
        #expect(again.state.keys[ThresholdKeyRecord.paillierScheme]?.height == 2)
        // Job transactions still carry no endorsements.
        let endorsedJob = Transaction(chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 5, body: job("e", ["a"]), endorsers: [l.ids["b"]!])
        #expect(ledgerErrorCode("an endorsed job") { try r.admit(endorsedJob, signaturesVerified: false) } == .invalidTransaction)
    }

    @Test("the fingerprint covers the scheme and the key, and the encoding round-trips")
    func encoding() throws {
        let a = Self.record(["a", "b"], key: [1, 2, 3])
        var other = a
        other.scheme = "other-scheme"
        #expect(a.fingerprint != other.fingerprint)
        other = a
        other.publicKey = [1, 2, 4]
        #expect(a.fingerprint != other.fingerprint)
        other = a
        other.holders = ["b", "a"]
        #expect(a.fingerprint == other.fingerprint, "holders are signed in the transaction, not part of the key's identity")
        var w = ByteWriter()
        TransactionBody.keyRegistered(a).encode(&w)
        var r = LedgerReader(w.bytes, what: "body")
        #expect(try TransactionBody.decode(kind: 10, &r) == .keyRegistered(a))
        for cut in 0..<w.bytes.count {
            var t = LedgerReader(Array(w.bytes.prefix(cut)), what: "body")
            #expect(throws: LedgerError.self) {
                _ = try TransactionBody.decode(kind: 10, &t)
                try t.finish()
            }
        }
    }

    @Test("the Python auditor accepts a registration signed by its holders and refuses one a holder did not sign")
    func pythonAuditor() throws {
        let python = try #require(auditorPython, "needs python3 with PyPI's cryptography: run `make py-deps` or set TACIT_PYTHON")
        let l = try TestLedger()
        defer { l.cleanup() }
        let r = try offlineReplica(l, l.db("a"), blocks: 1)
        try l.commit([register(l, ["a", "b", "c"], author: "a", endorsers: ["b", "c"], nonce: 10, key: [9, 9])], to: r)
        // A replica written around the rules: the same registration without c's endorsement.
        let bad = "\(l.dir)/bad.db"
        try r.store.backup(to: bad)
        let badStore = try LedgerStore(path: bad)
        let unendorsed = register(l, ["a", "b", "c"], author: "a", endorsers: ["b"], nonce: 11, key: [7])
        let forged = l.block([unendorsed], height: 3, previous: r.state.lastHash, timestamp: max(Transaction.now(), r.state.lastTimestamp))
        try badStore.append(forged, certificate: l.certificate(for: forged), transactions: [unendorsed])
        #expect(LedgerVerifier.verify(store: badStore).failure?.code == .notAuthorised)
        func audit(_ db: String) throws -> (Int32, String) {
            let file = db + ".json"
            FileManager.default.createFile(atPath: file, contents: try LedgerExport.json(store: try LedgerStore(path: db)))
            return try runPythonAuditor(python, file)
        }
        let (ok, okOut) = try audit(l.db("a"))
        #expect(ok == 0 && okOut.contains("2 blocks"), "\(okOut)")
        let (no, noOut) = try audit(bad)
        #expect(no == 1 && noOut.contains("FAIL block 3") && noOut.contains("not by exactly its holders"), "\(noOut)")
    }
}
