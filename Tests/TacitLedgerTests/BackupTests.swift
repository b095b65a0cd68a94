import Foundation
import Testing

@testable import TacitLedger

@Suite("Backups", .serialized)
struct BackupTests {
    @Test("after a clean stop, a copy of the database file alone (no -wal) holds every committed block")
    func cleanStopCheckpoints() async throws {
        let l = try TestLedger()
        defer { l.cleanup() }
        try await l.start()
        let a = l.nodes["a"]!
        for i in 0..<3 { _ = try await a.submitAndWait(await a.author(job("w\(i)", ["a"])), timeout: commitTimeout) }
        let h = await a.height
        await l.stop()
        // What the docs told operators to do: copy the database file.
        let copy = "\(l.dir)/copy.sqlite"
        try FileManager.default.copyItem(atPath: l.db("a"), toPath: copy)
        let r = LedgerVerifier.verify(store: try LedgerStore(path: copy))
        #expect(r.ok, "\(String(describing: r.failure))")
        #expect(r.verifiedHeight == h, "the copy holds \(r.verifiedHeight) of \(h) blocks: they were still in the -wal file")
    }
}
