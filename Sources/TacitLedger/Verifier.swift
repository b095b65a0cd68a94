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

    public static func verify(store: LedgerStore) -> Report {
        var report = Report()
        do {
            guard let genesis = try store.genesis() else {
                throw LedgerError(.invalidGenesis, "the database holds no genesis block; it is not a Tacit ledger", height: 0)
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
        } catch let e as LedgerError {
            report.failure = e
        } catch {
            report.failure = LedgerError(.storage, "\(error)")
        }
        return report
    }
}
