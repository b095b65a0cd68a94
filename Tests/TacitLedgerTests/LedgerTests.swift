import Foundation
import GRDB
import TacitNet
import Testing

@testable import TacitLedger

/// A consortium on disk plus in-process nodes over the in-memory mesh.
final class TestLedger: @unchecked Sendable {
    let dir: String
    let names: [String]
    let genesis: Genesis
    var ids: [String: SigningIdentity] = [:]
    var nodes: [String: LedgerNode] = [:]
    let mesh: InMemoryMesh

    init(_ names: [String] = ["a", "b", "c"]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-ledger-\(UUID().uuidString)").path
        self.names = names
        genesis = try LedgerFiles.createTestnet(dir: dir, members: names.enumerated().map { ($1, "tcp://127.0.0.1:\(20000 + $0)") })
        for n in names { ids[n] = try LedgerFiles.signingKey(dir: dir, name: n) }
        mesh = InMemoryMesh(parties: names.map { PartyID($0) })
    }

    func db(_ n: String) -> String { "\(dir)/\(n).db" }

    func start() async throws {
        var t = ConsensusTimeouts()
        t.propose = .milliseconds(300)
        t.tick = .milliseconds(100)
        for n in names {
            let node = try LedgerNode(identity: ids[n]!, replica: try Replica(store: try LedgerStore(path: db(n)), genesis: genesis), channel: mesh.channel(for: PartyID(n)), timeouts: t)
            await node.start()
            nodes[n] = node
        }
    }

    func stop() async { for n in nodes.values { await n.stop() } }
    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

    func tx(_ author: String, _ nonce: UInt64, _ body: TransactionBody) -> Transaction {
        Transaction(chainID: genesis.hash, author: ids[author]!, nonce: nonce, body: body)
    }
}

/// How long a test waits for an in-process transaction to commit. The nodes share the test
/// process's two cooperative threads with every other test running in parallel, and a
/// CPU-bound test (key generation, a view test's thousands of shares) holds a thread without
/// suspending: under the thread sanitizer the consensus tasks can get no turn for a minute,
/// which the 60 s default took for a lost quorum. A quorum that is really lost shows in
/// tests that expect it, with their own deadline.
let commitTimeout: Duration = .seconds(300)

/// Polls `condition` until it holds; the generous deadline is for 2 loaded CI cores, where a
/// replica can lag by seconds. Fails the test (instead of comparing too early) if it never holds.
func waitUntil(_ what: String, timeout: Duration = .seconds(90), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting until \(what)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

func job(_ id: String, _ parties: [String]) -> TransactionBody {
    .jobProposed(JobHeader(jobID: id, protocolName: "sum", parties: parties.map { .init(name: $0, role: "input", inputFields: ["x"]) }), spec: Array("spec".utf8))
}

@Suite("Ledger", .serialized)
struct LedgerTests {
    @Test("a job's whole life commits on every replica, verifies, and exports")
    func jobLifecycle() async throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        try await l.start()
        let a = l.nodes["a"]!, b = l.nodes["b"]!
        _ = try await a.submitAndWait(await a.author(job("j1", ["a", "b"])), timeout: commitTimeout)
        _ = try await a.submitAndWait(await a.author(.jobApproved(jobID: "j1", fields: ["x"])), timeout: commitTimeout)
        _ = try await b.submitAndWait(await b.author(.jobApproved(jobID: "j1", fields: ["x"])), timeout: commitTimeout)
        _ = try await a.submitAndWait(await a.author(.inputCommitted(jobID: "j1", commitment: Hash256.of([1]))), timeout: commitTimeout)
        _ = try await b.submitAndWait(await b.author(.inputCommitted(jobID: "j1", commitment: Hash256.of([2]))), timeout: commitTimeout)
        let membership = await a.state.membership
        let sealed = try SealedField.seal(name: "result", value: Array("42".utf8), to: ["b"], in: membership)
        _ = try await a.submitAndWait(await a.author(.resultRecorded(jobID: "j1", resultDigest: Hash256.of([9]), result: []), sealed: [sealed]), timeout: commitTimeout)
        let h = try await b.submitAndWait(await b.author(.resultRecorded(jobID: "j1", resultDigest: Hash256.of([9]), result: [])), timeout: commitTimeout)
        // Every replica reaches the same chain.
        // No transaction follows, so no block follows h: once every replica has h, they must agree.
        for n in l.names { try await waitUntil("\(n) reaches height \(h)") { await l.nodes[n]!.height >= h } }
        let hashes = Set(await [a.lastHash, b.lastHash, l.nodes["c"]!.lastHash])
        #expect(hashes.count == 1)
        #expect(await l.nodes["c"]!.state.jobs["j1"]?.status == "complete")
        await l.stop()
        let report = LedgerVerifier.verify(store: try LedgerStore(path: l.db("c"), readOnly: true))
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.transactions == 7)
        // Only b can read the sealed result; the ciphertext is covered by the signed hash.
        let bEnc = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(l.dir)/b.enc.key"))
        #expect(try sealed.open(as: "b", key: bEnc) == Array("42".utf8))
        #expect(ledgerErrorCode("a field opened as a non-recipient") { _ = try sealed.open(as: "a", key: bEnc) } == .notAuthorised)
        let json = try LedgerExport.json(store: try LedgerStore(path: l.db("a"), readOnly: true))
        #expect(String(decoding: json, as: UTF8.self).contains("\"ResultRecorded\""))
    }

    @Test("a tampered row in the SQLite file is caught by verify, naming the block")
    func tamperedRow() async throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        try await l.start()
        let a = l.nodes["a"]!
        for i in 0..<4 { _ = try await a.submitAndWait(await a.author(job("t\(i)", ["a"])), timeout: commitTimeout) }
        let target = await a.height
        for n in l.names { try await waitUntil("\(n) reaches height \(target)") { await l.nodes[n]!.height >= target } }
        await l.stop()
        let top = try LedgerStore(path: l.db("b"), readOnly: true).lastHeight()
        #expect(top >= 4)
        // 1. A transaction's bytes changed (the high byte of its input-field count: the bytes
        // no longer decode).
        var db = try DatabaseQueue(path: l.db("b"))
        try await db.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT bytes FROM transactions WHERE height = 2 AND position = 0")!
            var bytes = Array(row["bytes"] as Data)
            bytes[bytes.count - 90] ^= 1
            try db.execute(sql: "UPDATE transactions SET bytes = ? WHERE height = 2 AND position = 0", arguments: [Data(bytes)])
        }
        try await db.close()
        var r = LedgerVerifier.verify(store: try LedgerStore(path: l.db("b"), readOnly: true))
        #expect(r.failure?.height == 2, "\(String(describing: r.failure))")
        #expect(r.failure?.code == .malformed)
        #expect(r.verifiedHeight == 1)
        // 2. A header rewritten with its hash column (the next block's link breaks).
        db = try DatabaseQueue(path: l.db("c"))
        let g = l.genesis
        try await db.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT header FROM blocks WHERE height = 3")!
            let h = try BlockHeader(decoding: Array(row["header"] as Data))
            let forged = BlockHeader(chainID: g.hash, height: 3, previousHash: h.previousHash, txRoot: h.txRoot, txCount: h.txCount, timestamp: h.timestamp + 1, proposer: h.proposer)
            try db.execute(sql: "UPDATE blocks SET header = ?, hash = ? WHERE height = 3", arguments: [Data(forged.encoded), Data(forged.hash.bytes)])
        }
        try await db.close()
        r = LedgerVerifier.verify(store: try LedgerStore(path: l.db("c"), readOnly: true))
        #expect(r.failure?.height == 3, "\(String(describing: r.failure))")
        #expect(r.failure?.code == .invalidBlock)
        // 3. A deleted transaction row.
        db = try DatabaseQueue(path: l.db("a"))
        try await db.write { try $0.execute(sql: "DELETE FROM transactions WHERE height = 4") }
        try await db.close()
        r = LedgerVerifier.verify(store: try LedgerStore(path: l.db("a"), readOnly: true))
        #expect(r.failure?.height == 4)
        #expect(r.failure?.code == .invalidBlock)
        #expect(r.failure?.reason.contains("Merkle") == true || r.failure?.reason.contains("transactions") == true)
    }

    @Test("forged, missing and non-member signatures, replays and out-of-order job steps are rejected")
    func rejections() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        let m = replica.state.membership
        let good = l.tx("a", 1, job("r1", ["a", "b"]))
        try replica.admit(good, signaturesVerified: false)
        // Replay: the same transaction, and an old nonce.
        #expect(ledgerErrorCode("the same transaction twice") { try replica.admit(good, signaturesVerified: false) } == .replay)
        do {
            try replica.admit(l.tx("a", 1, job("r2", ["a"])), signaturesVerified: false)
            Issue.record("replayed nonce accepted")
        } catch let e as LedgerError { #expect(e.code == .replay) }
        // Forged signature: b's key, a's name.
        let forged = Transaction(chainID: l.genesis.hash, author: SigningIdentity(name: "a", key: l.ids["b"]!.key), nonce: 5, body: job("f", ["a"]))
        do { try forged.verifySignatures(m); Issue.record("forgery accepted") } catch let e as LedgerError { #expect(e.code == .badSignature) }
        // Missing signature: zeros.
        var bytes = good.encoded
        let sigStart = good.signingPayload.count
        for i in sigStart..<sigStart + 64 { bytes[i] = 0 }
        let unsigned = try Transaction(decoding: bytes)
        #expect(ledgerErrorCode("a zeroed signature") { try unsigned.verifySignatures(m) } == .badSignature)
        // Non-member: a key the CA never certified.
        let outsider = Transaction(chainID: l.genesis.hash, author: SigningIdentity(name: "mallory", key: .generate()), nonce: 1, body: job("m", ["a"]))
        do { try outsider.verifySignatures(m); Issue.record("non-member accepted") } catch let e as LedgerError { #expect(e.code == .unknownMember) }
        // Job invariants: commit before approval, result before commitments.
        do {
            try replica.admit(l.tx("a", 2, .inputCommitted(jobID: "r1", commitment: .zero)), signaturesVerified: false)
            Issue.record("input committed before approval")
        } catch let e as LedgerError { #expect(e.code == .jobInvariant) }
        try replica.admit(l.tx("a", 3, .jobApproved(jobID: "r1", fields: ["x"])), signaturesVerified: false)
        #expect(ledgerErrorCode("a result before any input commitment") { try replica.admit(l.tx("b", 1, .resultRecorded(jobID: "r1", resultDigest: .zero, result: [])), signaturesVerified: false) } == .jobInvariant)
        // Governance without enough endorsements (policy: all members).
        #expect(ledgerErrorCode("a removal without endorsements") { try replica.admit(l.tx("a", 9, .memberRemoved(name: "c")), signaturesVerified: false) } == .notAuthorised)
        let endorsed = Transaction(chainID: l.genesis.hash, author: l.ids["a"]!, nonce: 10, body: .memberRemoved(name: "c"), endorsers: [l.ids["b"]!, l.ids["c"]!])
        try replica.admit(endorsed, signaturesVerified: false)
    }

    @Test("malformed inputs at every entry point are refused with a reason")
    func malformed() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let tx = l.tx("a", 1, job("x", ["a"]))
        for cut in [0, 1, 40, tx.encoded.count - 1] {
            #expect(ledgerErrorCode("a truncated transaction") { _ = try Transaction(decoding: Array(tx.encoded.prefix(cut))) } == .malformed)
        }
        #expect(ledgerErrorCode("a transaction with a trailing byte") { _ = try Transaction(decoding: tx.encoded + [0]) } == .malformed)
        let block = Block.make(chainID: l.genesis.hash, height: 1, previousHash: l.genesis.hash, transactions: [tx.encoded], timestamp: 1, proposer: "a")
        #expect(try Block(decoding: block.encoded) == block)
        #expect(ledgerErrorCode("a truncated block") { _ = try Block(decoding: Array(block.encoded.dropLast(3))) } == .malformed)
        #expect(ledgerErrorCode("an unknown consensus message") { _ = try ConsensusMessage(decoding: [99]) } == .malformed)
        #expect(ledgerErrorCode("a truncated consensus message") { _ = try ConsensusMessage(decoding: [1, 0, 0]) } == .malformed)
        #expect(ledgerErrorCode("a truncated genesis") { _ = try Genesis(decoding: Array(l.genesis.encoded.dropLast(1))) } == .malformed)
        #expect(ledgerErrorCode("a truncated certificate") { _ = try CommitCertificate(decoding: [0, 1, 2]) } == .malformed)
        // A block whose Merkle root does not match.
        let bad = Block(header: block.header, transactions: [tx.encoded, tx.encoded])
        #expect(ledgerErrorCode("a Merkle root that does not match") { try bad.checkIntegrity() } == .invalidBlock)
        // A bad certificate: self-signed, not from the consortium CA.
        let (_, rogueCA) = try ConsortiumCA.create(name: "rogue")
        let state = try LedgerState(genesis: l.genesis)
        #expect(ledgerErrorCode("a certificate from a rogue CA") {
            _ = try ConsortiumCA.verifyMember(certificateDER: try ConsortiumCA.der(rogueCA), name: "a", ca: state.membership.ca, at: Date())
        } == .invalidCertificate)
        #expect(ledgerErrorCode("a certificate that is not X.509") { _ = try ConsortiumCA.verifyMember(certificateDER: [0x30, 0x03, 1, 2, 3], name: "a", ca: state.membership.ca, at: Date()) } == .invalidCertificate)
        // A genesis missing a founder's signature.
        let unsigned = Genesis(chainName: "x", timestamp: l.genesis.timestamp, caCertificateDER: l.genesis.caCertificateDER, members: l.genesis.members, policies: .init())
        #expect(ledgerErrorCode("a genesis without its founders' signatures") { _ = try unsigned.verify() } == .invalidGenesis)
        // A corrupted database file.
        let path = "\(l.dir)/garbage.db"
        FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x5a, count: 8192))
        #expect(ledgerErrorCode("a database file of garbage") { _ = try LedgerStore(path: path) } == .storage)
    }

    @Test("RFC 6962 Merkle tree: known vectors")
    func merkle() {
        // Empty tree: SHA-256 of nothing; one leaf: SHA-256(0x00 || leaf).
        #expect(MerkleTree.root(leaves: []).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleTree.root(leaves: [[]]).hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        // Certificate Transparency's test vector for the 8 leaves of RFC 6962's test data.
        let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map { [UInt8](hex: $0)! }
        #expect(MerkleTree.root(leaves: leaves).hex == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    }
}

/// The Python interpreter with PyPI's `cryptography` (make py-deps puts it in the venv).
let auditorPython: String? = {
    let candidates = [ProcessInfo.processInfo.environment["TACIT_PYTHON"], "/usr/bin/python3", "/usr/local/bin/python3"].compactMap { $0 }
        + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
    for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: c)
        p.arguments = ["-c", "import cryptography.x509"]
        p.standardError = FileHandle.nullDevice
        if (try? p.run()) != nil {
            p.waitUntilExit()
            if p.terminationStatus == 0 { return c }
        }
    }
    return nil
}()

@Suite("Independent audit")
struct AuditTests {
    // Not skipped without the interpreter: an auditor check that silently does not run is a
    // check that cannot fail.
    @Test("Scripts/verify_ledger_export.py re-verifies an export with Python's cryptography, and catches an altered byte")
    func pythonAuditor() async throws {
        let python = try #require(auditorPython, "needs python3 with PyPI's cryptography: run `make py-deps` or set TACIT_PYTHON")
        let l = try TestLedger()
        defer { l.cleanup() }
        try await l.start()
        let a = l.nodes["a"]!
        for i in 0..<3 { _ = try await a.submitAndWait(await a.author(job("p\(i)", ["a"])), timeout: commitTimeout) }
        await l.stop()
        let json = try LedgerExport.json(store: try LedgerStore(path: l.db("a")))
        let good = "\(l.dir)/export.json"
        FileManager.default.createFile(atPath: good, contents: json)
        var obj = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        var blocks = obj["blocks"] as! [[String: Any]]
        var txs = blocks[1]["transactions"] as! [[String: Any]]
        var bytes = [UInt8](hex: txs[0]["bytes"] as! String)!
        bytes[bytes.count - 80] ^= 1
        txs[0]["bytes"] = bytes.hex
        blocks[1]["transactions"] = txs
        obj["blocks"] = blocks
        let bad = "\(l.dir)/export-bad.json"
        FileManager.default.createFile(atPath: bad, contents: try JSONSerialization.data(withJSONObject: obj))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/verify_ledger_export.py").path
        func run(_ file: String) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [script, file]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let (okStatus, okOut) = try run(good)
        #expect(okStatus == 0, "\(okOut)")
        #expect(okOut.hasPrefix("OK"))
        let (badStatus, badOut) = try run(bad)
        #expect(badStatus == 1)
        #expect(badOut.contains("FAIL block 2"), "\(badOut)")
    }
}
