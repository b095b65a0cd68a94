import Foundation
import GRDB

/// The replica on disk: SQLite through GRDB, in WAL mode with `synchronous=FULL`, so a block
/// is durable when `append` returns; one SQLite transaction per block (group commit).
///
/// Schema (Docs/TacitLedger.md): `meta(key, value)` holds the genesis bytes and this member's
/// sign state; `blocks(height, hash, header, certificate)`; `transactions(height, position,
/// id, author, nonce, kind, bytes)`. Everything needed to re-verify the chain is in the
/// canonical bytes; the other columns are indexes, checked against the bytes by `verify`.
public final class LedgerStore: @unchecked Sendable {
    // @unchecked: GRDB's DatabaseQueue serialises every access itself.
    let db: DatabaseQueue
    public let path: String

    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var config = Configuration()
        config.readonly = readOnly
        // A reader may meet a writer (a running node) or a WAL left by a killed one.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            if !readOnly {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            if !readOnly { try migrate() }
        } catch let e as LedgerError {
            throw e
        } catch {
            throw LedgerError(.storage, "cannot open ledger database \(path): \(error); check the path and that it is a Tacit ledger")
        }
    }

    private func migrate() throws {
        try db.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
                    CREATE TABLE IF NOT EXISTS blocks (
                        height INTEGER PRIMARY KEY NOT NULL,
                        hash BLOB NOT NULL,
                        header BLOB NOT NULL,
                        certificate BLOB NOT NULL);
                    CREATE TABLE IF NOT EXISTS transactions (
                        height INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        id BLOB NOT NULL,
                        author TEXT NOT NULL,
                        nonce INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        bytes BLOB NOT NULL,
                        PRIMARY KEY (height, position));
                    CREATE INDEX IF NOT EXISTS transactions_id ON transactions(id);
                    """)
        }
    }

    func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as LedgerError { throw e } catch {
            throw LedgerError(.storage, "\(what) failed in \(path): \(error)")
        }
    }

    public func genesis() throws -> Genesis? {
        let data = try wrap("reading genesis") { try db.read { try Data.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'genesis'") } }
        guard let data else { return nil }
        return try Genesis(decoding: Array(data))
    }

    /// Stores the genesis of a new replica; refuses to replace a different one.
    public func initialise(genesis: Genesis) throws {
        if let g = try self.genesis() {
            guard g.hash == genesis.hash else {
                throw LedgerError(.invalidGenesis, "\(path) already holds chain \(g.hash.short), not \(genesis.hash.short); use a new database")
            }
            return
        }
        try wrap("writing genesis") {
            try db.write { try $0.execute(sql: "INSERT INTO meta(key, value) VALUES ('genesis', ?)", arguments: [Data(genesis.encoded)]) }
        }
    }

    public func signState() throws -> SignState? {
        let data = try wrap("reading sign state") { try db.read { try Data.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'sign_state'") } }
        return try data.map { try SignState(decoding: Array($0)) }
    }

    /// Durable when it returns: called before every signature leaves the process.
    public func setSignState(_ s: SignState) throws {
        try wrap("writing sign state") {
            try db.write {
                try $0.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('sign_state', ?)", arguments: [Data(s.encoded)])
            }
        }
    }

    public func lastHeight() throws -> UInt64 {
        let top = try wrap("reading height") { try db.read { try Int64.fetchOne($0, sql: "SELECT MAX(height) FROM blocks") ?? 0 } }
        guard top >= 0 else {
            throw LedgerError(.storage, "the blocks table of \(path) holds negative heights: the file was altered or is not a Tacit ledger")
        }
        return UInt64(top)
    }

    /// Appends a committed block and its transactions in one durable SQLite transaction.
    public func append(_ block: Block, certificate: CommitCertificate, transactions: [Transaction]) throws {
        try wrap("appending block \(block.header.height)") {
            try db.write { db in
                try db.execute(
                    sql: "INSERT INTO blocks(height, hash, header, certificate) VALUES (?, ?, ?, ?)",
                    arguments: [Int64(block.header.height), Data(block.hash.bytes), Data(block.header.encoded), Data(certificate.encoded)])
                let stmt = try db.cachedStatement(
                    sql: "INSERT INTO transactions(height, position, id, author, nonce, kind, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for (i, tx) in transactions.enumerated() {
                    try stmt.execute(arguments: [
                        Int64(block.header.height), i, Data(tx.id.bytes), tx.author, Int64(bitPattern: tx.nonce), tx.body.kindName,
                        Data(tx.encoded),
                    ])
                }
            }
        }
    }

    /// The raw rows of one block, as stored.
    public struct StoredBlock: Sendable {
        public let height: UInt64
        public let hash: [UInt8]
        public let header: [UInt8]
        public let certificate: [UInt8]
        public let transactions: [StoredTransaction]
    }
    public struct StoredTransaction: Sendable {
        public let position: Int
        public let id: [UInt8]
        public let author: String
        public let nonce: UInt64
        public let kind: String
        public let bytes: [UInt8]
    }

    public func stored(at height: UInt64) throws -> StoredBlock? {
        guard let key = Int64(exactly: height) else { return nil }
        return try wrap("reading block \(height)") {
            try db.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT hash, header, certificate FROM blocks WHERE height = ?", arguments: [key])
                else { return nil }
                let txs = try Row.fetchAll(
                    db, sql: "SELECT position, id, author, nonce, kind, bytes FROM transactions WHERE height = ? ORDER BY position",
                    arguments: [key]
                ).map { r in
                    StoredTransaction(
                        position: try column(r, "position", "transactions", height), id: Array(try column(r, "id", "transactions", height) as Data),
                        author: try column(r, "author", "transactions", height),
                        nonce: UInt64(bitPattern: try column(r, "nonce", "transactions", height)),
                        kind: try column(r, "kind", "transactions", height), bytes: Array(try column(r, "bytes", "transactions", height) as Data))
                }
                return StoredBlock(
                    height: height, hash: Array(try column(row, "hash", "blocks", height) as Data),
                    header: Array(try column(row, "header", "blocks", height) as Data),
                    certificate: Array(try column(row, "certificate", "blocks", height) as Data), transactions: txs)
            }
        }
    }

    /// One column of a stored row, or a storage error. A replica file can come from anyone (an
    /// auditor verifies copies), and GRDB's non-throwing subscripts trap on a NULL or a value
    /// of another type than asked for; SQLite itself only enforces the schema of files the
    /// node created.
    private func column<T: DatabaseValueConvertible>(_ row: Row, _ name: String, _ table: String, _ height: UInt64) throws -> T {
        do { return try row.decode(T.self, forColumn: name) } catch {
            throw LedgerError(
                .storage, "column \(name) of the \(table) table at height \(height) is NULL or not a \(T.self): the file was altered or is not a Tacit ledger",
                height: height)
        }
    }

    /// Committed transaction `id` at a height of at most `maxHeight` (the verified part of a
    /// replica), decoded (structure only); nil when this replica holds none. Reads one row by
    /// the `transactions_id` index: a sealed output's ciphertext is opened from here without
    /// keeping it in memory.
    public func transaction(id: Hash256, maxHeight: UInt64 = .max) throws -> Transaction? {
        let rows = try wrap("reading transaction \(id.short)") {
            try db.read { db in
                try Row.fetchAll(db, sql: "SELECT height, bytes FROM transactions WHERE id = ?", arguments: [Data(id.bytes)])
            }
        }
        for row in rows {
            let height: Int64 = try column(row, "height", "transactions", 0)
            guard height >= 1, UInt64(height) <= maxHeight else { continue }
            let bytes: Data = try column(row, "bytes", "transactions", UInt64(height))
            // The id column is an index the file's maker wrote: the bytes must hash to it.
            if let tx = try? Transaction(decoding: Array(bytes)), tx.id == id { return tx }
        }
        return nil
    }

    /// A block and its certificate, decoded (structure only; `LedgerVerifier` checks them).
    public func block(at height: UInt64) throws -> (Block, CommitCertificate)? {
        guard let s = try stored(at: height) else { return nil }
        let header = try BlockHeader(decoding: s.header)
        return (Block(header: header, transactions: s.transactions.map(\.bytes)), try CommitCertificate(decoding: s.certificate))
    }

    /// Moves every committed page from `-wal` into the database file and empties the WAL, so
    /// the file alone is the whole replica (called when the node stops). A reader holding an
    /// old snapshot can keep part of the WAL: then it says so.
    public func checkpoint() throws {
        try wrap("checkpointing the WAL") {
            try db.writeWithoutTransaction { db in
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                if let busy: Int = row?[0], busy != 0 {
                    throw LedgerError(.storage, "\(path): another process reads the replica; the WAL was not fully checkpointed, copy the -wal file too or use `tacit ledger backup`")
                }
            }
        }
    }

    /// A consistent copy of the replica at `destination` (SQLite's online backup API), safe
    /// while a node writes to it; refuses to overwrite an existing file.
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw LedgerError(.storage, "\(destination) already exists; choose a new file for the backup")
        }
        try wrap("backing up to \(destination)") {
            let out = try DatabaseQueue(path: destination)
            try db.backup(to: out)
            try out.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try out.close()
        }
    }

    /// Durable SQLite commits per second on this disk (one tiny write transaction each), for
    /// the benchmark's statement of the machine's bounds.
    public func measureCommitRate(seconds: Double = 1) throws -> Double {
        try db.write { try $0.execute(sql: "CREATE TABLE IF NOT EXISTS bench_commit (k INTEGER PRIMARY KEY, v BLOB)") }
        let start = Date()
        var n = 0
        while Date().timeIntervalSince(start) < seconds {
            try db.write { try $0.execute(sql: "INSERT OR REPLACE INTO bench_commit(k, v) VALUES (?, ?)", arguments: [n % 64, Data(count: 32)]) }
            n += 1
        }
        try db.write { try $0.execute(sql: "DROP TABLE bench_commit") }
        return Double(n) / Date().timeIntervalSince(start)
    }
}
