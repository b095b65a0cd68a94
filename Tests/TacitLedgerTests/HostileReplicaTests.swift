import Foundation
import GRDB
import Testing

@testable import TacitLedger

/// A replica file is anyone's SQLite database once it leaves its node: an auditor verifies and
/// exports files whose tables a forger created, with any column types and NULLs.
@Suite("A forged replica file", .serialized)
struct HostileReplicaTests {
    /// A two-block replica whose `table` is re-created without types or NOT NULL, then `edit`ed.
    func forged(_ l: TestLedger, _ table: String, _ edit: String) throws -> LedgerStore {
        let path = l.db("a")
        _ = try offlineReplica(l, path, blocks: 2)
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            let columns = try db.columns(in: table).map(\.name).joined(separator: ", ")
            try db.execute(sql: "ALTER TABLE \(table) RENAME TO old")
            try db.execute(sql: "CREATE TABLE \(table) (\(columns))")
            try db.execute(sql: "INSERT INTO \(table) SELECT * FROM old")
            try db.execute(sql: "DROP TABLE old")
            try db.execute(sql: edit)
        }
        try db.close()
        return try LedgerStore(path: path, readOnly: true)
    }

    @Test("NULLs and wrong types in a transaction row fail verification and export with a storage error, instead of trapping")
    func nullColumnsAreRefused() throws {
        for edit in [
            "UPDATE transactions SET nonce = NULL WHERE height = 2", "UPDATE transactions SET author = NULL WHERE height = 2",
            "UPDATE transactions SET bytes = NULL WHERE height = 2", "UPDATE transactions SET position = NULL WHERE height = 2",
            "UPDATE transactions SET id = 7 WHERE height = 2",
        ] {
            let l = try TestLedger()
            defer { l.cleanup() }
            let store = try forged(l, "transactions", edit)
            let report = LedgerVerifier.verify(store: store)
            #expect(report.failure?.code == .storage, "\(edit): \(String(describing: report.failure))")
            #expect(report.failure?.height == 2, "\(edit)")
            #expect(report.verifiedHeight == 1, "\(edit)")
            #expect(throws: LedgerError.self, "\(edit)") { _ = try LedgerExport.json(store: store) }
            #expect(throws: LedgerError.self, "\(edit)") { _ = try store.block(at: 2) }
        }
    }

    @Test("a negative height or a NULL header in the blocks table is refused with a storage error, not converted")
    func badHeights() throws {
        for (edit, height) in [("UPDATE blocks SET height = height - 10", UInt64?.none), ("UPDATE blocks SET header = NULL WHERE height = 2", 2)] {
            let l = try TestLedger()
            defer { l.cleanup() }
            let store = try forged(l, "blocks", edit)
            let report = LedgerVerifier.verify(store: store)
            #expect(report.failure?.code == .storage, "\(edit): \(String(describing: report.failure))")
            if let height { #expect(report.failure?.height == height, "\(edit)") }
            #expect(throws: LedgerError.self, "\(edit)") { _ = try LedgerExport.json(store: store) }
        }
    }
}
