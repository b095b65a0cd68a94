// Ledger transactions (TacitLedger/Transaction.swift) as a peer's block carries them: decoded,
// signatures checked, then checked against the state in a block at height 1.
// Input: one selector byte, then the transaction. Selector bit 0 set: the harness re-signs the
// decoded transaction with its author's key (a member that signs whatever it likes), so the
// state checks behind the signature are fuzzed too, not only the signature check.
import FuzzLedgerSupport
import FuzzSupport
@testable import TacitLedger

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    TestConsortium.createIfAsked()
    FuzzSeeds.writeIfAsked {
        TestConsortium.sampleTransactions().enumerated().flatMap { i, tx in
            [("tx-\(i)-\(tx.body.kindName)", [0] + tx.encoded), ("tx-\(i)-\(tx.body.kindName)-resign", [1] + tx.encoded)]
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let resign = input.byte() & 1 == 1
    let bytes = input.rest
    guard let decoded = try? Transaction(decoding: bytes) else { return 0 }
    // One encoding per transaction: its id is the hash of these bytes.
    precondition(decoded.encoded == bytes, "Transaction: decoded bytes do not re-encode identically")
    _ = decoded.id
    _ = decoded.body.kindName
    var tx = decoded
    if resign, let author = TestConsortium.identities[decoded.author] {
        tx = Transaction(
            chainID: TestConsortium.chainID, author: author, nonce: decoded.nonce, timestamp: decoded.timestamp, body: decoded.body,
            sealed: decoded.sealed, endorsers: decoded.endorsements.compactMap { TestConsortium.identities[$0.member] })
    }
    let state = TestConsortium.state
    _ = try? tx.verifySignatures(state.membership)
    _ = try? state.validate(TestConsortium.block([tx.encoded]))
    return 0
}
