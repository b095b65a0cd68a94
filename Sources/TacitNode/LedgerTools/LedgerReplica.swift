public import Foundation
import TacitLedger
import TacitNet

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

    /// What an auditor knows from outside the replica and pins: without them a replica proves
    /// only its own consistency (Docs/TacitLedger.md, "What a replica proves").
    public struct Pins: Sendable {
        /// The consortium's chain id, hex.
        public var chainID: String?
        /// The consortium CA certificate, a PEM file (`ca.crt`).
        public var caCertificatePath: String?
        /// The replica must hold at least this many blocks.
        public var height: UInt64?
        /// The hash (hex) of block `height`, or of the top block without a height.
        public var head: String?
        public init(chainID: String? = nil, caCertificatePath: String? = nil, height: UInt64? = nil, head: String? = nil) {
            self.chainID = chainID
            self.caCertificatePath = caCertificatePath
            self.height = height
            self.head = head
        }

        func expectations() throws -> LedgerVerifier.Expectations {
            func hash(_ hex: String?, _ what: String) throws -> Hash256? {
                guard let hex else { return nil }
                guard let h = Hash256(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw NodeError(.ledger, "\(what) '\(hex)' is not 64 hex digits")
                }
                return h
            }
            var e = LedgerVerifier.Expectations(chainID: try hash(chainID, "--chain-id"), height: height, head: try hash(head, "--expect-head"))
            if let path = caCertificatePath {
                do { e.caCertificateDER = try ConsortiumCA.der(try LedgerKeyFiles.readCertificate(path: path)) } catch let err as LedgerError {
                    throw NodeError(.ledger, "--ca: \(err.reason)")
                }
            }
            return e
        }
    }

    /// Re-checks the hash chain, every signature, certificate and quorum, and the job invariants.
    public func verify() -> Verification { Self.summary(LedgerVerifier.verify(store: store)) }

    /// `verify()`, and the replica must match what `pins` say (chain id, CA, height, head).
    public func verify(pins: Pins) throws -> Verification {
        Self.summary(LedgerVerifier.verify(store: store, expecting: try pins.expectations()))
    }

    /// Two replicas compared block by block, each verified (and pinned) on its own first.
    public struct Comparison: Sendable {
        public var a: Verification
        public var b: Verification
        /// Blocks 1...commonHeight are the same on both.
        public var commonHeight: UInt64
        /// The first height where the replicas hold different blocks.
        public var forkHeight: UInt64?
        /// Both have the same genesis.
        public var sameChain: Bool
        /// "a" or "b" and by how many blocks, when one holds fewer verified blocks.
        public var behind: (replica: String, blocks: UInt64)?
        /// Both verify and pins hold, same chain, and no fork (one may be a prefix of the other).
        public var consistent: Bool
    }

    public static func compare(_ a: LedgerReplica, _ b: LedgerReplica, pins: Pins = .init()) throws -> Comparison {
        let c = LedgerVerifier.compare(a.store, b.store, expecting: try pins.expectations())
        return Comparison(
            a: summary(c.a), b: summary(c.b), commonHeight: c.commonHeight, forkHeight: c.forkHeight, sameChain: c.sameChain,
            behind: c.behind.map { ($0.replica == .a ? "a" : "b", $0.blocks) }, consistent: c.consistent)
    }

    /// A consistent copy at `destination` (SQLite's online backup: safe while a node runs),
    /// then the copy verified.
    public func backup(to destination: String) throws -> Verification {
        do {
            try store.backup(to: destination)
            return Self.summary(LedgerVerifier.verify(store: try LedgerStore(path: destination, readOnly: true)))
        } catch let e as LedgerError {
            throw NodeError(.ledger, e.description)
        }
    }

    static func summary(_ r: LedgerVerifier.Report) -> Verification {
        Verification(
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
            /// The whole transaction id (hex), as `LedgerEntry.id` holds it.
            public var fullID: String
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
                    .init(id: $0.id.short, fullID: $0.id.hex, kind: $0.body.kindName, author: $0.author, nonce: $0.nonce, jobID: $0.body.jobID)
                }
            })
    }

    /// `tacit ledger open`: output `output` of job `jobID` from its sealed copy in this replica,
    /// opened as `member` with the X25519 key in `keyPath`. The replica must verify first (and
    /// match `pins`); the copy is then checked exactly as `tacit job result` checks it at a node
    /// (``SealedOutput/read(jobID:output:as:label:entries:openField:)``): the job complete, the
    /// output sealed to `member`, the payload naming the job and output, its digest the one
    /// every party recorded.
    public func openSealedOutput(jobID: String, output: String, member: String, keyPath: String, pins: Pins = .init()) async throws -> SealedOutput.Opened {
        let report = LedgerVerifier.verify(store: store, expecting: try pins.expectations())
        if let f = report.failure {
            throw NodeError(
                .ledger,
                "the replica \(path) does not verify\(f.height.map { " (block \($0))" } ?? ""): \(f.reason); nothing is read from it (`tacit ledger verify --db \(path)` says more)")
        }
        guard let membership = report.state?.membership else { throw NodeError(.ledger, "the replica \(path) holds no verified state") }
        guard let record = membership.records[member] else {
            throw NodeError(.notFound, "\(member) is not a member on this ledger; members: \(membership.names.joined(separator: ", "))")
        }
        let key: EncryptionKey
        do { key = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: keyPath)) } catch let e as LedgerError {
            throw NodeError(.keys, e.reason)
        }
        guard key.publicKey == record.encryptionKey else {
            throw NodeError(.keys, "\(keyPath) is not \(member)'s encryption key on this ledger; give \(member)'s own \(member).enc.key")
        }
        let top = report.verifiedHeight
        let entries = ConsortiumLedger.readEntries(store, upTo: top)
        let store = self.store
        return try await SealedOutput.read(jobID: jobID, output: output, as: PartyID(member), label: "member \(member)", entries: entries) { entryID, field in
            try ConsortiumLedger.openField(entryID: entryID, field: field, as: member, in: store, upTo: top) { key }
        }
    }

    /// A member as the verified replica records it now: certificate, keys' fingerprints,
    /// roles, and the certificate as PEM.
    public struct MemberSummary: Sendable, Hashable {
        public var name: String
        public var roles: [String]
        public var endpoint: String
        public var certificateSubject: String?
        public var certificateIssuer: String?
        public var validFrom: Date?
        public var validUntil: Date?
        public var certificateFingerprint: String
        public var signingKeyFingerprint: String?
        public var curveKeyFingerprint: String?
        public var encryptionKeyFingerprint: String
        /// Why the record would be refused today (an expired certificate, say); nil if fine.
        public var problem: String?
        public var certificatePEM: String
    }

    /// The members the verified blocks lead to, and the quorum; nil when no block verifies
    /// (the verification's failure says why).
    public func members(at date: Date = Date()) -> (members: [MemberSummary], quorum: Int, verification: Verification)? {
        let report = LedgerVerifier.verify(store: store)
        guard let membership = report.state?.membership else { return nil }
        let described = membership.described(at: date)
        let members = described.map { m in
            MemberSummary(
                name: m.name, roles: m.roles, endpoint: m.endpoint, certificateSubject: m.certificateSubject, certificateIssuer: m.certificateIssuer,
                validFrom: m.validFrom, validUntil: m.validUntil, certificateFingerprint: m.certificateFingerprint,
                signingKeyFingerprint: m.signingKeyFingerprint, curveKeyFingerprint: m.curveKeyFingerprint,
                encryptionKeyFingerprint: m.encryptionKeyFingerprint, problem: m.problem,
                certificatePEM: membership.records[m.name]?.certificatePEM ?? "")
        }
        return (members, membership.quorum, Self.summary(report))
    }

    /// The replica as JSON: canonical bytes in hex plus a decoded summary (Docs/TacitLedger.md).
    public func exportJSON() throws -> Data {
        do { return try LedgerExport.json(store: store) } catch let e as LedgerError { throw NodeError(.ledger, e.description) }
    }
}
