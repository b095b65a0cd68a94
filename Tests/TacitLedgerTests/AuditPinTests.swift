import Foundation
import GRDB
import Testing
import TacitTestSupport

@testable import TacitLedger

/// A child process to completion: (exit status, standard output and error together).
func runProcess(_ executable: URL, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `tacit ledger …` as a child process: (exit status, standard output).
func runTacit(_ args: [String]) throws -> (Int32, String) { try runProcess(MemberProcess.binary, args) }

/// The independent auditor, `Scripts/verify_ledger_export.py`, on an export file.
func runPythonAuditor(_ python: String, _ export: String) throws -> (Int32, String) {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts/verify_ledger_export.py").path
    return try runProcess(URL(fileURLWithPath: python), [script, export])
}

/// A replica of `l` at `path` with `blocks` one-transaction blocks by `a`, `tag` in the job ids.
func offlineReplica(_ l: TestLedger, _ path: String, blocks: Int, tag: String = "j", firstNonce: UInt64 = 1) throws -> Replica {
    let r = try Replica(store: try LedgerStore(path: path), genesis: l.genesis)
    for i in 0..<blocks { try l.commit([l.tx("a", firstNonce + UInt64(i), job("\(tag)\(i)", ["a"]))], to: r) }
    return r
}

@Suite("What a replica proves, and what the auditor pins", .serialized)
struct AuditPinTests {
    @Test("a whole chain forged under another CA verifies alone, and fails once the chain id or the CA is pinned")
    func forgedChainFailsWhenPinned() throws {
        let real = try TestLedger()
        let forger = try TestLedger()  // same member names, its own CA and keys
        defer { real.cleanup(); forger.cleanup() }
        let forged = try offlineReplica(forger, forger.db("a"), blocks: 2)
        #expect(LedgerVerifier.verify(store: forged.store).ok, "alone it is a consistent chain")
        let byChain = LedgerVerifier.verify(store: forged.store, expecting: .init(chainID: real.genesis.hash))
        #expect(byChain.failure?.code == .pinMismatch)
        #expect(byChain.failure?.height == 0)
        let byCA = LedgerVerifier.verify(store: forged.store, expecting: .init(caCertificateDER: real.genesis.caCertificateDER))
        #expect(byCA.failure?.code == .pinMismatch)
        #expect(LedgerVerifier.verify(store: forged.store, expecting: .init(chainID: forger.genesis.hash, caCertificateDER: forger.genesis.caCertificateDER)).ok)
        // The command line: --ca with the real consortium's ca.crt.
        let (status, out) = try runTacit(["ledger", "verify", "--db", forger.db("a"), "--ca", "\(real.dir)/ca.crt"])
        #expect(status == 1, "\(out)")
        #expect(out.contains("FAIL block 0: pinMismatch"), "\(out)")
        let (ok, okOut) = try runTacit(["ledger", "verify", "--db", forger.db("a"), "--chain-id", forger.genesis.hash.hex])
        #expect(ok == 0, "\(okOut)")
    }

    @Test("deleting a replica's last blocks is caught by --expect-height/--expect-head and by comparing replicas")
    func truncatedReplica() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let full = try offlineReplica(l, l.db("a"), blocks: 5)
        let head = full.state.lastHash
        let cut = "\(l.dir)/cut.db"
        try full.store.backup(to: cut)
        let db = try DatabaseQueue(path: cut)
        try db.write { db in
            try db.execute(sql: "DELETE FROM transactions WHERE height > 3")
            try db.execute(sql: "DELETE FROM blocks WHERE height > 3")
        }
        try db.close()
        let cutStore = try LedgerStore(path: cut)
        #expect(LedgerVerifier.verify(store: cutStore).ok, "a replica alone cannot show its missing tail")
        let byHeight = LedgerVerifier.verify(store: cutStore, expecting: .init(height: 5))
        #expect(byHeight.failure?.code == .pinMismatch)
        #expect(byHeight.failure?.height == 4)
        #expect(LedgerVerifier.verify(store: cutStore, expecting: .init(head: head)).failure?.code == .pinMismatch)
        #expect(LedgerVerifier.verify(store: full.store, expecting: .init(height: 5, head: head)).ok)
        let c = LedgerVerifier.compare(full.store, cutStore)
        #expect(c.commonHeight == 3)
        #expect(c.forkHeight == nil)
        #expect(c.behind?.replica == .b && c.behind?.blocks == 2)
        #expect(c.consistent, "a prefix is not a fork")
        #expect(!LedgerVerifier.compare(full.store, cutStore, expecting: .init(height: 5)).consistent)
        // The command line names the replica behind.
        let (status, out) = try runTacit(["ledger", "verify", "--replica", l.db("a"), "--replica", cut])
        #expect(status == 0, "\(out)")
        #expect(out.contains("common prefix: blocks 1...3"), "\(out)")
        #expect(out.contains("replica B is behind A by 2 block(s)"), "\(out)")
        let (pinned, pinnedOut) = try runTacit(["ledger", "verify", "--replica", l.db("a"), "--replica", cut, "--expect-height", "5"])
        #expect(pinned == 1, "\(pinnedOut)")
        #expect(pinnedOut.contains("replica B \(cut): FAIL block 4: pinMismatch"), "\(pinnedOut)")
    }

    @Test("two replicas that hold different certified blocks at one height are reported as a fork at that height")
    func fork() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let a = try offlineReplica(l, l.db("a"), blocks: 1)
        let b = try Replica(store: try LedgerStore(path: l.db("b")), genesis: l.genesis)
        let (first, cert) = try #require(a.committed(at: 1))
        try b.commit(first, cert)
        try l.commit([l.tx("a", 2, job("left", ["a"]))], to: a)
        try l.commit([l.tx("a", 2, job("right", ["a"]))], to: b)
        let c = LedgerVerifier.compare(a.store, b.store)
        #expect(c.a.ok && c.b.ok)
        #expect(c.commonHeight == 1)
        #expect(c.forkHeight == 2)
        #expect(!c.consistent)
        let (status, out) = try runTacit(["ledger", "verify", "--replica", l.db("a"), "--replica", l.db("b")])
        #expect(status == 1, "\(out)")
        #expect(out.contains("FAIL fork at height 2"), "\(out)")
    }

    @Test("tacit ledger backup copies a replica its node holds open into a file that verifies alone")
    func backupWhileOpen() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let r = try offlineReplica(l, l.db("a"), blocks: 4)
        // The writer is open and its blocks are in the WAL.
        #expect(((try? FileManager.default.attributesOfItem(atPath: l.db("a") + "-wal")[.size] as? Int) ?? 0) > 0)
        let out = "\(l.dir)/backup.db"
        let (status, text) = try runTacit(["ledger", "backup", "--db", l.db("a"), "--out", out])
        #expect(status == 0, "\(text)")
        #expect(text.hasPrefix("OK backup"), "\(text)")
        let copy = LedgerVerifier.verify(store: try LedgerStore(path: out, readOnly: true))
        #expect(copy.ok && copy.verifiedHeight == 4, "\(String(describing: copy.failure))")
        #expect(copy.state?.lastHash == r.state.lastHash)
        // Never over an existing file.
        let (again, againText) = try runTacit(["ledger", "backup", "--db", l.db("a"), "--out", out])
        #expect(again != 0, "\(againText)")
        #expect(againText.contains("already exists"), "\(againText)")
    }
}
