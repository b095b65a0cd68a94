public import Foundation
import TacitLedger

/// A ledger replica's SQLite database opened read-only, for an auditor or operator
/// (`tacit ledger verify/show/export`): re-verify it, walk its blocks, export it.
public struct LedgerReplica: Sendable {
    let path: String
    let store: LedgerStore

    /// Opens the replica at `path` read-only.
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw NodeError(.ledger, "no database at \(path)") }
        self.path = path
        do { store = try LedgerStore(path: path, readOnly: true) } catch let e as LedgerError { throw NodeError(.ledger, e.description) }
    }

    /// What re-verifying the whole replica found.
    public struct Verification: Sendable, Hashable {
        /// The first bad block and why.
        public struct Failure: Sendable, Hashable {
            public var height: UInt64?
            public var code: String
            public var reason: String
        }
        public struct Job: Sendable, Hashable {
            public var id: String
            public var protocolName: String
            /// proposed, approved, running, result-partial, complete, rejected or failed.
            public var status: String
        }
        /// The state the verified blocks lead to.
        public struct State: Sendable, Hashable {
            public var members: [String]
            public var quorum: Int
            /// Sorted by job id.
            public var jobs: [Job]
        }
        public var failure: Failure?
        /// Blocks 1...verifiedHeight verified.
        public var verifiedHeight: UInt64
        public var transactions: Int
        /// The chain id (hex), once the genesis verified.
        public var chainID: String?
        public var state: State?
    }

    /// Re-checks the hash chain, every signature, certificate and quorum, and the job invariants.
    public func verify() -> Verification {
        let r = LedgerVerifier.verify(store: store)
        return Verification(
            failure: r.failure.map { .init(height: $0.height, code: "\($0.code)", reason: $0.reason) },
            verifiedHeight: r.verifiedHeight, transactions: r.transactions, chainID: r.chainID?.hex,
            state: r.state.map { s in
                .init(members: s.membership.names, quorum: s.membership.quorum,
                      jobs: s.jobs.values.sorted { $0.header.jobID < $1.header.jobID }
                          .map { .init(id: $0.header.jobID, protocolName: $0.header.protocolName, status: $0.status) })
            })
    }

    /// One committed block and its transactions.
    public struct BlockSummary: Sendable, Hashable {
        public struct TransactionSummary: Sendable, Hashable {
            /// The transaction id, shortened.
            public var id: String
            public var kind: String
            public var author: String
            public var nonce: UInt64
            public var jobID: String?
        }
        public var height: UInt64
        public var hash: String
        /// The previous block's hash, shortened.
        public var previousHash: String
        public var proposer: String
        public var round: UInt32
        public var signedBy: [String]
        /// One per transaction; nil for bytes that do not decode as a transaction.
        public var transactions: [TransactionSummary?]
    }

    /// The genesis, if the replica has one.
    public func genesis() throws -> ConsortiumSetup.GenesisSummary? { try store.genesis().map { .init($0) } }

    public func lastHeight() throws -> UInt64 { try store.lastHeight() }

    public func block(at height: UInt64) throws -> BlockSummary? {
        guard let (b, c) = try store.block(at: height) else { return nil }
        return BlockSummary(
            height: height, hash: b.hash.hex, previousHash: b.header.previousHash.short, proposer: b.header.proposer, round: c.round,
            signedBy: c.signatures.map(\.member),
            transactions: b.transactions.map { bytes in
                (try? Transaction(decoding: bytes)).map {
                    .init(id: $0.id.short, kind: $0.body.kindName, author: $0.author, nonce: $0.nonce, jobID: $0.body.jobID)
                }
            })
    }

    /// The replica as JSON: canonical bytes in hex plus a decoded summary (Docs/TacitLedger.md).
    public func exportJSON() throws -> Data {
        do { return try LedgerExport.json(store: store) } catch let e as LedgerError { throw NodeError(.ledger, e.description) }
    }
}
