import Foundation
import TacitBytes
import Testing

@testable import TacitLedger

/// The ledger's size bounds (`LedgerLimits`): room for one sealed job output of 48 MiB in a
/// transaction, and nothing a peer sends above them becomes an allocation.
@Suite("Ledger size bounds")
struct LedgerLimitsTests {
    @Test("the bounds fit a sealed output of 48 MiB in 8 MiB chunks, and a block fits the largest transaction")
    func boundsAreConsistent() {
        // 7 chunks of at most 8 MiB (sealed-field overhead is well under 1 KiB each).
        #expect(7 * (8 << 20) + (64 << 10) <= LedgerLimits.maxTransactionBytes)
        #expect(8 << 20 <= LedgerLimits.maxSealedFieldBytes)
        #expect(7 <= LedgerLimits.maxSealedFields)
        #expect(LedgerLimits.maxTransactionBytes <= LedgerLimits.maxBlockBytes)
        #expect(ConsensusCore.syncBytesPerTick == LedgerLimits.maxBlockBytes)
    }

    @Test("a transaction above the bound is refused before it is parsed")
    func oversizedTransaction() {
        let bytes = [UInt8](repeating: 1, count: LedgerLimits.maxTransactionBytes + 1)
        #expect(ledgerErrorCode("an oversized transaction") { _ = try Transaction(decoding: bytes) } == .malformed)
    }

    @Test("a block claiming a transaction above the bound does not decode, whatever follows")
    func blockClaimingAHugeTransaction() throws {
        let header = BlockHeader(chainID: .zero, height: 1, previousHash: .zero, txRoot: .zero, txCount: 1, timestamp: 0, proposer: "a")
        var w = ByteWriter()
        w.data(header.encoded)
        w.u32(1)
        w.u32(UInt32(LedgerLimits.maxTransactionBytes + 1))
        #expect(ledgerErrorCode("a huge claimed transaction") { _ = try Block(decoding: w.bytes) } == .malformed)
    }

    @Test("a block whose transactions exceed the block bound is invalid, even read from a file")
    func oversizedBlock() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let replica = try Replica(store: try LedgerStore(path: l.db("a")), genesis: l.genesis)
        // Three references to one buffer: 150 MiB of transactions for 50 MiB of memory.
        let big = [UInt8](repeating: 0, count: 50 << 20)
        let header = BlockHeader(
            chainID: l.genesis.hash, height: 1, previousHash: l.genesis.hash, txRoot: .zero, txCount: 3, timestamp: Transaction.now(), proposer: "a")
        let block = Block(header: header, transactions: [big, big, big])
        #expect(ledgerErrorCode("an oversized block") { _ = try replica.state.validate(block, verified: { _ in true }) } == .invalidBlock)
        #expect(!replica.isValid(block))
    }
}
