import Foundation

/// Re-checks a replica from its raw rows, trusting nothing but the genesis signatures: the
/// hash chain, every Merkle root, every transaction and commit signature against the
/// membership at that height, every quorum, every certificate, and the job invariants. Stops
/// at the first bad block and says why.
public enum LedgerVerifier {
    public struct Report: Sendable {
        public var chainID: Hash256?
        /// The last block that verified.
        public var verifiedHeight: UInt64 = 0
        public var transactions = 0
        public var state: LedgerState?
        /// The first problem, with its block height.
        public var failure: LedgerError?
        public var ok: Bool { failure == nil }
    }

    /// What the auditor knows from outside the replica. A replica proves only what it holds:
    /// without a pinned chain id (or CA) a whole chain forged under another CA verifies, and
    /// without a pinned height or head a replica whose last blocks were deleted verifies too.
    public struct Expectations: Sendable {
        /// The consortium's chain id (the genesis hash), e.g. from `genesis.bin` or a founder.
        public var chainID: Hash256?
        /// The consortium CA certificate (DER) the genesis must name.
        public var caCertificateDER: [UInt8]?
        /// The replica must hold at least this many blocks (a height seen earlier, on another
        /// replica or in a signed report).
        public var height: UInt64?
        /// The hash of the block at `height` (or at the replica's top if no height is given).
        public var head: Hash256?
        public init(chainID: Hash256? = nil, caCertificateDER: [UInt8]? = nil, height: UInt64? = nil, head: Hash256? = nil) {
            self.chainID = chainID
            self.caCertificateDER = caCertificateDER
            self.height = height
            self.head = head
        }
    }

    public static func verify(store: LedgerStore, expecting pins: Expectations = .init()) -> Report {
        var report = Report()
        do {
            guard let genesis = try store.genesis() else {
                throw LedgerError(.invalidGenesis, "the database holds no genesis block; it is not a Tacit ledger", height: 0)
            }
            if let want = pins.chainID, genesis.hash != want {
                throw LedgerError(
                    .pinMismatch, "the replica is chain \(genesis.hash.hex), not the expected \(want.hex): another consortium's (or a forged) ledger",
                    height: 0)
            }
            if let ca = pins.caCertificateDER, genesis.caCertificateDER != ca {
                throw LedgerError(.pinMismatch, "the genesis names another CA certificate than the expected one: a ledger of another (or a forged) consortium", height: 0)
            }
            var state: LedgerState
            do { state = try LedgerState(genesis: genesis) } catch let e as LedgerError { throw e.at(height: 0) }
            report.chainID = genesis.hash
            let top = try store.lastHeight()
            var h: UInt64 = 1
            while h <= top {
                do {
                    guard let s = try store.stored(at: h) else {
                        throw LedgerError(.invalidBlock, "block is missing from the blocks table (the chain has \(top) blocks)")
                    }
                    let header = try BlockHeader(decoding: s.header)
                    guard header.height == h else { throw LedgerError(.invalidBlock, "header says height \(header.height), stored at \(h)") }
                    guard s.hash == header.hash.bytes else {
                        throw LedgerError(.invalidBlock, "the stored hash column does not match the hash of the stored header")
                    }
                    let block = Block(header: header, transactions: s.transactions.map(\.bytes))
                    for (i, t) in s.transactions.enumerated() {
                        guard t.position == i else { throw LedgerError(.invalidBlock, "transaction positions are not 0..<\(s.transactions.count)") }
                        let tx: Transaction
                        do { tx = try Transaction(decoding: t.bytes) } catch let e as LedgerError {
                            throw LedgerError(e.code, "transaction #\(i): \(e.reason)")
                        }
                        guard tx.id.bytes == t.id, tx.author == t.author, tx.nonce == t.nonce, tx.body.kindName == t.kind else {
                            throw LedgerError(
                                .invalidBlock, "transaction #\(i): the id/author/nonce/kind columns do not match its signed bytes; the row was altered")
                        }
                    }
                    let cert = try CommitCertificate(decoding: s.certificate)
                    let (scratch, txs) = try state.validate(block)
                    try cert.verify(chainID: state.chainID, blockHash: block.hash, height: h, membership: state.membership)
                    state.apply(block, scratch)
                    report.transactions += txs.count
                    report.verifiedHeight = h
                } catch let e as LedgerError {
                    throw e.at(height: h)
                }
                h += 1
            }
            report.state = state
            try check(pins, top: report.verifiedHeight, store: store)
        } catch let e as LedgerError {
            report.failure = e
        } catch {
            report.failure = LedgerError(.storage, "\(error)")
        }
        return report
    }

    private static func check(_ pins: Expectations, top: UInt64, store: LedgerStore) throws {
        if let want = pins.height, top < want {
            throw LedgerError(
                .pinMismatch,
                "the replica ends at height \(top) but height \(want) was expected: \(want - top) block(s) are missing (deleted, or this replica is behind)",
                height: top + 1)
        }
        if let head = pins.head {
            let at = pins.height ?? top
            let got = try store.stored(at: at).map { Hash256(bytes: $0.hash) }
            guard got == head else {
                throw LedgerError(
                    .pinMismatch,
                    "block \(at) is \(got?.hex ?? "absent"), not the expected head \(head.hex): the replica was rewritten or is another chain",
                    height: at)
            }
        }
    }

    /// Two replicas side by side, each verified on its own first.
    public struct Comparison: Sendable {
        public var a: Report
        public var b: Report
        /// Both hold the same blocks 1...commonHeight (0: none, or different chains).
        public var commonHeight: UInt64
        /// The first height at which both hold a block and the blocks differ: a fork, which
        /// needs a quorum to have signed twice.
        public var forkHeight: UInt64?
        public var sameChain: Bool
        /// Which replica is shorter, and by how many blocks (nil when of equal height).
        public var behind: (replica: Side, blocks: UInt64)? {
            let ha = a.verifiedHeight, hb = b.verifiedHeight
            if ha == hb { return nil }
            return ha < hb ? (.a, hb - ha) : (.b, ha - hb)
        }
        public enum Side: Sendable { case a, b }
        /// Both verify, same chain, no fork (one may be a prefix of the other).
        public var consistent: Bool { a.ok && b.ok && sameChain && forkHeight == nil }
    }

    public static func compare(_ sa: LedgerStore, _ sb: LedgerStore, expecting pins: Expectations = .init()) -> Comparison {
        let ra = verify(store: sa, expecting: pins), rb = verify(store: sb, expecting: pins)
        var c = Comparison(a: ra, b: rb, commonHeight: 0, forkHeight: nil, sameChain: ra.chainID != nil && ra.chainID == rb.chainID)
        guard c.sameChain else { return c }
        let top = min(ra.verifiedHeight, rb.verifiedHeight)
        var h: UInt64 = 1
        while h <= top {
            let x = try? sa.stored(at: h), y = try? sb.stored(at: h)
            guard let x, let y, x.hash == y.hash else {
                c.forkHeight = h
                return c
            }
            c.commonHeight = h
            h += 1
        }
        return c
    }
}
