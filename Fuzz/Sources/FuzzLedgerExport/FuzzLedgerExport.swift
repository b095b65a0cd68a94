// A replica someone else hands over (TacitLedger/Store.swift, Verifier.swift, Export.swift;
// TacitNode/LedgerTools/LedgerReplica.swift): an auditor runs `tacit ledger verify`, `show`
// and `export` on a SQLite file whose rows anyone could have written, with any column types.
// Each input is written as such a file, opened read-only as the CLI opens it, verified, shown
// and exported; the export is read back as an auditor's tool reads it.
//
// Input: one byte (bit 0: the node's own schema, with its column types and NOT NULL; else
// untyped tables, as a forger may create them), then rows: a table byte (meta, blocks,
// transactions) and that table's column values, each a type byte (NULL, INTEGER, REAL,
// TEXT, BLOB) and its value.
import Foundation
import FuzzLedgerSupport
import FuzzSupport
import GRDB
@testable import TacitLedger
@testable import TacitNode

let tables: [(name: String, columns: [String], typed: String)] = [
    ("meta", ["key", "value"], "key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL"),
    ("blocks", ["height", "hash", "header", "certificate"],
     "height INTEGER PRIMARY KEY NOT NULL, hash BLOB NOT NULL, header BLOB NOT NULL, certificate BLOB NOT NULL"),
    ("transactions", ["height", "position", "id", "author", "nonce", "kind", "bytes"],
     "height INTEGER NOT NULL, position INTEGER NOT NULL, id BLOB NOT NULL, author TEXT NOT NULL, nonce INTEGER NOT NULL, kind TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (height, position)"),
]

/// One value as the input encodes it.
func encode(_ v: DatabaseValue) -> [UInt8] {
    switch v.storage {
    case .null: return [0]
    case .int64(let i): return [1] + withUnsafeBytes(of: UInt64(bitPattern: i).bigEndian, Array.init)
    case .double(let d): return [2] + withUnsafeBytes(of: d.bitPattern.bigEndian, Array.init)
    case .string(let s): return FuzzInput.fields(3, [Array(s.utf8)])
    case .blob(let b): return FuzzInput.fields(4, [Array(b)])
    }
}

func decodeValue(_ input: inout FuzzInput) -> DatabaseValue {
    func u64() -> UInt64 { (0..<8).reduce(0) { acc, _ in acc << 8 | UInt64(input.byte()) } }
    switch input.byte() % 5 {
    case 0: return .null
    case 1: return Int64(bitPattern: u64()).databaseValue
    case 2: return Double(bitPattern: u64()).databaseValue
    case 3: return String(decoding: input.field(), as: UTF8.self).databaseValue
    default: return Data(input.field()).databaseValue
    }
}

/// A two-block replica written by the node's own store, its rows read back in input form.
func seedReplica(blocks: Int) throws -> [UInt8] {
    let dir = fuzzTemporaryDirectory("ledger-export-seed")
    defer { removeTemporaryDirectory(dir) }
    let path = dir + "/seed.sqlite"
    let store = try LedgerStore(path: path)
    try store.initialise(genesis: TestConsortium.genesis)
    var state = TestConsortium.state
    let txs = TestConsortium.sampleTransactions()
    let chunks = blocks == 1 ? [Array(txs.prefix(5))] : [Array(txs.prefix(3)), Array(txs[3..<5])]
    for (i, chunk) in chunks.enumerated() {
        let h = UInt64(i + 1)
        let block = Block.make(
            chainID: TestConsortium.chainID, height: h, previousHash: state.lastHash, transactions: chunk.map(\.encoded),
            timestamp: TestConsortium.time + h, proposer: "a")
        let votes = TestConsortium.names.map {
            Vote(chainID: TestConsortium.chainID, type: .precommit, height: h, round: 0, blockHash: block.hash, signer: TestConsortium.identities[$0]!)
        }
        let cert = CommitCertificate(height: h, round: 0, blockHash: block.hash, signatures: votes.map { .init(member: $0.voter, signature: $0.signature) })
        let (scratch, _) = try state.validate(block)
        state.apply(block, scratch)
        try store.append(block, certificate: cert, transactions: chunk)
    }
    let report = LedgerVerifier.verify(store: store)
    guard report.failure == nil, report.verifiedHeight == UInt64(chunks.count) else {
        throw LedgerError(.invalidBlock, "the seed replica does not verify: \(String(describing: report.failure))")
    }
    var out: [UInt8] = [1]
    try store.db.read { db in
        for (t, table) in tables.enumerated() {
            for row in try Row.fetchAll(db, sql: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) WHERE \(table.name == "meta" ? "key = 'genesis'" : "1")") {
                out.append(UInt8(t))
                for i in 0..<table.columns.count { out += encode(row[i] as DatabaseValue) }
            }
        }
    }
    return out
}

/// The auditor's side: its own hex reader, not the node's.
func hexBytes(_ s: String) -> [UInt8]? {
    let digits = Array(s.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        default: return nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
        guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

let work = fuzzTemporaryDirectory("ledger-export")
let path = work + "/replica.sqlite"

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    TestConsortium.createIfAsked()
    FuzzSeeds.writeIfAsked {
        let two = try seedReplica(blocks: 2)
        return [("replica-1-block", try seedReplica(blocks: 1)), ("replica-2-blocks", two), ("replica-2-blocks-untyped", [0] + two.dropFirst())]
    }
    // The file each input is written to lives as long as the process.
    atexit { removeTemporaryDirectory(work) }
    return 0
}

/// Writes the input's rows as a database file; false if SQLite refused the schema itself.
func write(_ input: inout FuzzInput) -> Bool {
    for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    let typed = input.byte() & 1 == 1
    do {
        var config = Configuration()
        config.prepareDatabase { db in
            // Nothing here needs to survive a crash of the fuzzer: no journal, no fsync.
            try db.execute(sql: "PRAGMA journal_mode = OFF")
            try db.execute(sql: "PRAGMA synchronous = OFF")
        }
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.inTransaction { db in
            for t in tables {
                try db.execute(sql: "CREATE TABLE \(t.name) (\(typed ? t.typed : t.columns.joined(separator: ", ")))")
            }
            var rows = 0
            while input.position < input.bytes.count, rows < 256 {
                let t = tables[Int(input.byte()) % tables.count]
                let values = t.columns.map { _ in decodeValue(&input) }
                // A row SQLite refuses (NOT NULL, a duplicate key) is simply not there.
                try? db.execute(
                    sql: "INSERT INTO \(t.name) VALUES (\(t.columns.map { _ in "?" }.joined(separator: ", ")))",
                    arguments: StatementArguments(values.map { $0 as (any DatabaseValueConvertible)? }))
                rows += 1
            }
            return .commit
        }
        try queue.close()
        return true
    } catch {
        return false
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    guard write(&input) else { return 0 }
    guard let replica = try? LedgerReplica(path: path) else { return 0 }

    // tacit ledger verify, with and without pins.
    let v = replica.verify()
    if let id = v.chainID {
        _ = try? replica.verify(pins: .init(chainID: id, height: v.verifiedHeight + 1, head: id))
    }
    // tacit ledger show: every block the replica claims to hold, even past the verified ones.
    if let top = try? replica.lastHeight() {
        var h: UInt64 = 1
        while h <= min(top, v.verifiedHeight + 4) {
            _ = try? replica.block(at: h)
            h += 1
        }
    }
    _ = try? replica.genesis()
    // What a node's `verify` op and the audit commands read.
    _ = ConsortiumLedger.verifyReplica(replica.store)

    // tacit ledger export, read back as an auditor reads it: JSON whose hex fields are the
    // canonical bytes, each decoding to what the summary next to it says.
    guard let json = try? replica.exportJSON() else { return 0 }
    guard let root = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
        preconditionFailure("export: not a JSON object")
    }
    precondition(root["format"] as? String == "tacit-ledger-export/1", "export: no format")
    guard let blocks = root["blocks"] as? [[String: Any]] else { preconditionFailure("export: no blocks array") }
    for b in blocks {
        guard let headerHex = b["header"] as? String, let bytes = hexBytes(headerHex), let header = try? BlockHeader(decoding: bytes) else {
            preconditionFailure("export: a block header that does not decode from its own hex")
        }
        precondition((b["height"] as? NSNumber)?.uint64Value == header.height || v.failure != nil, "export: height differs from the verified header's")
        guard let txs = b["transactions"] as? [[String: Any]] else { preconditionFailure("export: a block without transactions") }
        for t in txs {
            guard let hex = t["bytes"] as? String, hexBytes(hex) != nil else { preconditionFailure("export: transaction bytes are not hex") }
        }
    }
    return 0
}
