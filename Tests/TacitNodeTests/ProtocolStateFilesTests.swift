import Foundation
import Testing
import TacitJob

@testable import TacitNode

/// The node's store of protocols' state between jobs: secret files whose names never come
/// from the entry's name.
@Suite("Protocol state files")
struct ProtocolStateFilesTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("entries round-trip, are replaced whole, are 0600, and a name like a path stays inside the store")
    func roundTrip() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = ProtocolStateFiles(directory: root + "/protocol-state")
        #expect(try store.load(owner: "psi", name: "a") == nil)
        try store.save(owner: "psi", name: "a", [1, 2, 3])
        try store.save(owner: "psi", name: "a", [4, 5])
        #expect(try store.load(owner: "psi", name: "a") == [4, 5])
        #expect(try store.load(owner: "other", name: "a") == nil)
        let hostile = "../../../etc/passwd\u{0}x"
        try store.save(owner: "../psi", name: hostile, [9])
        #expect(try store.load(owner: "../psi", name: hostile) == [9])
        // Everything stayed under the store's directory, as private files, with no temporaries left.
        let files = try #require(FileManager.default.subpaths(atPath: root + "/protocol-state"))
        let regular = files.filter { $0.contains("/") }
        #expect(regular.count == 2, "\(files)")
        for f in regular {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/protocol-state/" + f)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(f)")
            #expect(!f.contains(".new-"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["protocol-state"])
    }

    @Test("a state file others can read is refused with what to do, naming no path")
    func notPrivate() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = ProtocolStateFiles(directory: root)
        try store.save(owner: "psi", name: "list", [1])
        chmod(store.path(owner: "psi", name: "list").file, 0o644)
        #expect {
            try store.load(owner: "psi", name: "list")
        } throws: { e in
            guard let e = e as? JobError else { return false }
            return e.message.contains("chmod 600") && !e.message.contains(root)
        }
    }
}
