import Crypto
import Foundation
import TacitBytes
import Testing

@testable import TacitLedger

@Suite("Sealed fields")
struct SealedFieldTests {
    @Test("a sealed field whose author wrapped another content key for one recipient is refused by the key commitment")
    func sealedFieldKeyCommitment() throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        let m = try LedgerState(genesis: l.genesis).membership
        let aEnc = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(l.dir)/a.enc.key"))
        let bEnc = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: "\(l.dir)/b.enc.key"))
        // b's wrapped key holds another key than the field's: b must not read anything, and
        // must learn that the author cheated (not merely "wrong key").
        let field = try SealedField.seal(name: "result", value: Array("42".utf8), to: ["a", "b"], in: m, contentKeys: ["b": SymmetricKey(size: .bits256)])
        #expect(try field.open(as: "a", key: aEnc) == Array("42".utf8))
        do {
            _ = try field.open(as: "b", key: bEnc)
            Issue.record("opened under a key the field does not commit to")
        } catch let e as LedgerError {
            #expect(e.code == .badSignature)
            #expect(e.reason.contains("not the one the field commits to"), "\(e.reason)")
        }
        // The commitment round-trips in the canonical (signed) bytes; zeroed, every recipient
        // refuses the field before opening it.
        var w = ByteWriter()
        field.encode(&w)
        var r = LedgerReader(w.bytes, what: "sealed field")
        #expect(try SealedField.decode(&r) == field)
        let tampered = SealedField(name: field.name, ephemeralPublicKey: field.ephemeralPublicKey, recipients: field.recipients, keyCommitment: [UInt8](repeating: 0, count: 32), ciphertext: field.ciphertext)
        #expect(ledgerErrorCode("a zeroed key commitment") { _ = try tampered.open(as: "a", key: aEnc) } == .badSignature)
    }
}
