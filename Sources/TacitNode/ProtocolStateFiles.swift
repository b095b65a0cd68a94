import Foundation
import TacitBytes
import TacitJob
import TacitMath
#if canImport(Glibc)
import Glibc
#endif

/// The node's ``ProtocolStateStore``: one secret file (mode 0600) per entry under
/// `<data directory>/protocol-state/`, in a directory per protocol. Both the protocol's name
/// and the entry's name are hashed into the file's name, so neither (an entry's name may come
/// from a spec) ever shapes a path. A save writes a new secret file and renames it over the
/// old, so a crash leaves one or the other. Errors name no path (a job's failure reason goes
/// on the ledger): only which store and what went wrong.
struct ProtocolStateFiles: ProtocolStateStore {
    let directory: String

    func path(owner: String, name: String) -> (dir: String, file: String) {
        let dir = directory + "/" + Hex.encode(Array(SHA256Bytes.hash(Array("owner:\(owner)".utf8)).prefix(8)))
        return (dir, dir + "/" + Hex.encode(SHA256Bytes.hash(Array("entry:\(name)".utf8))))
    }

    func load(owner: String, name: String) throws -> [UInt8]? {
        let file = path(owner: owner, name: name).file
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        do { try SecretFile.requirePrivate(atPath: file) } catch {
            throw JobError(.missingResource, "a protocol state file under the node's protocol-state directory is not private (\(error.reason)); chmod 600 the files there")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw JobError(.missingResource, "a protocol state file under the node's protocol-state directory cannot be read; check its permissions")
        }
        return Array(data)
    }

    func save(owner: String, name: String, _ bytes: [UInt8]) throws {
        let (dir, file) = path(owner: owner, name: name)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw JobError(.missingResource, "the node cannot create its protocol-state directory; check the data directory is writable")
        }
        let temporary = file + ".new-" + Hex.encode(SecureRandom.bytes(8))
        do { try SecretFile.create(atPath: temporary, contents: bytes) } catch {
            throw JobError(.missingResource, "the node cannot write its protocol state (\(error.reason)); check the data directory is writable and has space")
        }
        guard rename(temporary, file) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw JobError(.missingResource, "the node cannot replace a protocol state file: \(why)")
        }
    }
}
