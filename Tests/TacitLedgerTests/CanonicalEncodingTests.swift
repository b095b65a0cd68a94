import TacitBytes
import Testing

@testable import TacitLedger

/// One encoding per value: a decoder that accepts a second spelling of a vote or a genesis
/// lets two byte strings stand for one signed thing. Both cases were found by the fuzz
/// targets' round-trip check (Fuzz/Regressions/ledger-consensus, ledger-genesis).
@Suite("Canonical encodings")
struct CanonicalEncodingTests {
    @Test("a nil vote whose block-hash field is not zero is refused")
    func nilVoteWithAHash() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let vote = Vote(chainID: l.genesis.hash, type: .prevote, height: 1, round: 0, blockHash: nil, signer: try #require(l.ids["a"]))
        let bytes = ConsensusMessage.vote(vote).encoded
        #expect(try ConsensusMessage(decoding: bytes) == .vote(vote))
        // message kind, vote type, height (8), round (4), has-block flag: the hash follows.
        var forged = bytes
        forged[15] ^= 1
        #expect(ledgerErrorCode("a nil vote with a hash") { _ = try ConsensusMessage(decoding: forged) } == .malformed)
    }

    @Test("a genesis whose founders' signatures are not sorted by signer, or repeat one, is refused")
    func genesisSignatureOrder() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let g = l.genesis
        #expect(g.signatures.count >= 2)
        #expect(try Genesis(decoding: g.encoded).encoded == g.encoded)
        func spelled(_ sigs: [(member: String, signature: [UInt8])]) -> [UInt8] {
            var w = ByteWriter()
            w.raw(g.body)
            w.u32(UInt32(sigs.count))
            for s in sigs {
                w.string(s.member)
                w.raw(s.signature)
            }
            return w.bytes
        }
        #expect(ledgerErrorCode("reversed signatures") { _ = try Genesis(decoding: spelled(g.signatures.reversed())) } == .invalidGenesis)
        #expect(ledgerErrorCode("a repeated signature") { _ = try Genesis(decoding: spelled([g.signatures[0]] + g.signatures)) } == .invalidGenesis)
    }
}
