import Foundation

/// TCP ports free on 127.0.0.1 right now: all bound to port 0 together (so the kernel hands
/// out different ones), read back, then released. For `tacit init` on one machine and for
/// multi-process tests; the kernel hands out ephemeral ports in sequence, so reuse within a
/// test's lifetime is not a practical risk.
public enum LoopbackPorts {
    public static func free(_ n: Int) throws -> [Int] {
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<n {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw NetError(.transport, "socket() failed: errno \(errno)") }
            fds.append(fd)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
                }
            }
            guard ok else { throw NetError(.transport, "no free port on 127.0.0.1 (bind/getsockname failed: errno \(errno))") }
            ports.append(Int(UInt16(bigEndian: addr.sin_port)))
        }
        return ports
    }
}
