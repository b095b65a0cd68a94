#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way Tacit writes a file that holds a secret (CURVE, signing, encryption and CA
/// keys, Paillier key shares, openings): created by the `open` call that creates it with its
/// final mode (`O_CREAT | O_EXCL`), so it is never readable by others for a moment, never
/// replaces an existing file and never follows a symbolic link planted at the path; written
/// in full and `fsync`ed before it counts as written. A file it could not finish is removed,
/// so a retry is not refused.
public enum SecretFile {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Reason: Sendable, Hashable {
            /// Something already exists at the path (a file, a link, a directory).
            case exists
            /// The file could not be created (missing directory, permissions).
            case cannotCreate
            /// It was created but could not be written or flushed; it has been removed.
            case cannotWrite
            /// An existing secret file that group or others may read or write.
            case notPrivate
            /// It does not exist or cannot be inspected.
            case cannotRead
        }

        public let reason: Reason
        public let path: String
        /// What went wrong and what to do; never the contents.
        public let message: String
        public var description: String { message }
    }

    /// Creates `path` with `mode` (0600 unless said otherwise) and writes `contents`.
    ///
    /// - Throws: ``Failure``; nothing at `path` is changed unless this call created it.
    public static func create(atPath path: String, contents: [UInt8], mode: Int = 0o600) throws(Failure) {
        let mode = mode_t(mode & 0o777)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw Failure(reason: .exists, path: path,
                              message: "cannot create \(path): it already exists; refusing to overwrite a key or other secret (move it away first)")
            }
            throw Failure(reason: .cannotCreate, path: path, message: "cannot create \(path): \(reason(code)); check the directory exists and is writable")
        }
        func fail(_ what: String, _ code: Int32) -> Failure {
            close(fd)
            unlink(path)
            return Failure(reason: .cannotWrite, path: path, message: "cannot \(what) \(path): \(reason(code)); nothing was kept")
        }
        // The umask may only have narrowed the mode; make it exactly `mode`.
        guard fchmod(fd, mode) == 0 else { throw fail("set the mode of", errno) }
        var offset = 0
        while offset < contents.count {
            let n = contents.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw fail("write", n < 0 ? errno : EIO) }
            offset += n
        }
        guard fsync(fd) == 0 else { throw fail("flush", errno) }
        guard close(fd) == 0 else {
            let code = errno
            unlink(path)
            throw Failure(reason: .cannotWrite, path: path, message: "cannot close \(path): \(reason(code)); nothing was kept")
        }
        syncDirectory(of: path)
    }

    /// Refuses a secret file that group or others may access (any of mode 077), or that is not
    /// a regular file: a key another local user could read is already compromised, so it is an
    /// error to fix, not something to use quietly. Symbolic links are followed, as an
    /// operator may keep keys elsewhere; the target is what is checked.
    public static func requirePrivate(atPath path: String) throws(Failure) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw Failure(reason: .cannotRead, path: path, message: "cannot read \(path): \(reason(errno))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw Failure(reason: .cannotRead, path: path, message: "\(path) is not a regular file; point to the key file itself")
        }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw Failure(
                reason: .notPrivate, path: path,
                message: "secret file \(path) is accessible by group or others (mode \(String(mode, radix: 8))); run: chmod 600 \(path)")
        }
    }

    /// Makes the new directory entry durable too; best effort (some file systems refuse).
    private static func syncDirectory(of path: String) {
        let dir: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            dir = "."
        }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
