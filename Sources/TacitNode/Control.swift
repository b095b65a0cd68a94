import Foundation
import TacitJob
import TacitBytes

/// One request on the control socket: a JSON object on one line.
///
/// ```json
/// {"op":"submit","spec":"<YAML text>","file":"claims.yaml"}
/// {"op":"approve","job":"job-1a2b3c4d","columns":["amount"]}
/// {"op":"reject","job":"job-1a2b3c4d","reason":"not this quarter"}
/// {"op":"status","job":"job-1a2b3c4d"}   {"op":"result","job":"..."}   {"op":"list"}
/// {"op":"opening","job":"..."}   {"op":"ledger"}   {"op":"verify"}   {"op":"node-status"}
/// ```
public struct ControlRequest: Sendable, Codable {
    public var op: String
    public var spec: String?
    public var file: String?
    public var job: String?
    public var columns: [String]?
    public var reason: String?
    public var keygen: PaillierKeygenRequest?

    public init(op: String, spec: String? = nil, file: String? = nil, job: String? = nil, columns: [String]? = nil, reason: String? = nil,
                keygen: PaillierKeygenRequest? = nil) {
        self.keygen = keygen
        self.op = op
        self.spec = spec
        self.file = file
        self.job = job
        self.columns = columns
        self.reason = reason
    }

    public static let ops = ["submit", "approve", "reject", "status", "result", "list", "opening", "ledger", "verify", "node-status", "paillier-keygen", "paillier-keygen-status"]
}

public struct NodeStatus: Sendable, Codable, Hashable {
    public var party: String
    public var endpoint: String
    public var members: [String]
    public var protocols: [String]
    public var datasets: [String]
    public var ledgerEntries: Int
    public var jobsByPhase: [String: Int]
    public var runningJobs: [String]
    public var uptimeSeconds: Int
    public var messagesSent: Int
    public var messagesReceived: Int
    public var bytesSent: Int = 0
    public var bytesReceived: Int = 0
    /// The consortium's threshold Paillier key on the ledger (threshold, size, holders, block,
    /// fingerprint); nil when none is registered.
    public var paillierKey: String?
    /// This node's share (index, fingerprint of its key); nil when none is loaded.
    public var paillierShare: String?
    /// Why the loaded share cannot be used with the ledger's key; nil when it can.
    public var paillierShareProblem: String?
}

/// One response line. `ok == false` carries `error`; the connection stays open either way.
public struct ControlResponse: Sendable, Codable {
    public var ok: Bool
    public var error: String?
    public var job: String?
    public var status: JobStatus?
    public var jobs: [JobStatus]?
    public var result: StoredResult?
    public var opening: CommitmentOpening?
    public var entries: [LedgerEntry]?
    public var verification: LedgerVerification?
    public var node: NodeStatus?
    public var keygen: PaillierKeygenStatus?

    public init(ok: Bool = true, error: String? = nil) {
        self.ok = ok
        self.error = error
    }

    public static func failure(_ message: String) -> ControlResponse { ControlResponse(ok: false, error: message) }
}

/// The local control channel: a Unix domain socket inside the node's data directory, mode
/// 0600 in a 0700 directory, so only the node's own user on the same host can connect; it is
/// never reachable over the network. One JSON request per line, one JSON response per line.
public final class ControlServer: Sendable {
    public let path: String
    public static let maxLineBytes = 8 << 20
    private let fd: Int32
    private let handler: @Sendable (ControlRequest) async -> ControlResponse
    private let closed = Locked(false)
    private let connections = Locked<Set<Int32>>([])

    public init(path: String, handler: @escaping @Sendable (ControlRequest) async -> ControlResponse) throws {
        self.path = path
        self.handler = handler
        guard path.utf8.count < 100 else {
            throw NodeError(.control, "control socket path \(path) is too long for a Unix socket (max 99 bytes); use a shorter dataDirectory")
        }
        // A live node already listening here is an error; a stale socket file is removed.
        if let probe = try? ControlClient(path: path) {
            probe.close()
            throw NodeError(.control, "another node is already running with this data directory (\(path) answers)")
        }
        unlink(path)
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw NodeError(.control, "socket(): \(String(cString: strerror(errno)))") }
        var addr = ControlClient.address(path)
        // Created 0600 from the start: no moment where others could connect.
        let old = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            Foundation.close(s)
            throw NodeError(.control, "cannot bind control socket \(path): \(why)")
        }
        chmod(path, 0o600)
        guard listen(s, 16) == 0 else {
            Foundation.close(s)
            throw NodeError(.control, "listen on \(path): \(String(cString: strerror(errno)))")
        }
        fd = s
        let t = Thread { [self] in acceptLoop() }
        t.name = "tacit-control"
        t.start()
    }

    /// Stops accepting, closes open connections and removes the socket file.
    public func close() {
        let first = closed.withLock { c in defer { c = true }; return !c }
        guard first else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        Foundation.close(fd)
        for c in connections.withLock({ $0 }) { shutdown(c, Int32(SHUT_RDWR)) }
        unlink(path)
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            if closed.withLock({ $0 }) { Foundation.close(c); return }
            connections.withLock { _ = $0.insert(c) }
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    private func serve(_ c: Int32) {
        defer {
            connections.withLock { _ = $0.remove(c) }
            Foundation.close(c)
        }
        var lines = ControlLineReader(maxLineBytes: Self.maxLineBytes)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(c, &chunk, chunk.count)
            if n <= 0 { return }
            for line in lines.feed(chunk[0..<n]) {
                if !write(respond(to: line), to: c) { return }
            }
            if lines.overflowed {
                _ = write(.failure("request longer than \(Self.maxLineBytes) bytes without a newline; closing this connection"), to: c)
                return
            }
        }
    }

    /// Everything checked before a request reaches the node's handler: a non-blank line
    /// holding a JSON object with a known `op`. Separate from the socket so that `Fuzz/`
    /// (target control-request) drives it with neither a socket nor a node.
    static func request(from line: [UInt8]) throws(NodeError) -> ControlRequest {
        if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) {
            throw NodeError(.control, "empty request; send one JSON object per line, e.g. {\"op\":\"list\"}")
        }
        let request: ControlRequest
        do {
            request = try JSONDecoder().decode(ControlRequest.self, from: Data(line))
        } catch {
            throw NodeError(
                .control,
                "malformed request: not a JSON object with a string field \"op\" (\(Self.brief(error))); send one JSON object per line, e.g. {\"op\":\"list\"}")
        }
        guard ControlRequest.ops.contains(request.op) else {
            throw NodeError(.control, "unknown op '\(request.op)'; ops: \(ControlRequest.ops.joined(separator: ", "))")
        }
        return request
    }

    private func respond(to line: [UInt8]) -> ControlResponse {
        let request: ControlRequest
        do { request = try Self.request(from: line) } catch { return .failure(error.message) }
        let box = Locked<ControlResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        let handler = self.handler
        Task {
            let r = await handler(request)
            box.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }

    private static func brief(_ error: any Error) -> String {
        if case DecodingError.keyNotFound(let k, _) = error { return "missing \"\(k.stringValue)\"" }
        if case DecodingError.typeMismatch(_, let c) = error { return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))" }
        if case DecodingError.dataCorrupted = error { return "invalid JSON" }
        return "undecodable"
    }

    private func write(_ response: ControlResponse, to c: Int32) -> Bool {
        guard var data = try? JSONEncoder.sorted.encode(response) else { return false }
        data.append(10)
        var off = 0
        while off < data.count {
            let n = data.withUnsafeBytes { Foundation.write(c, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}

/// Cuts the control socket's byte stream into lines (without their newline). Consumed bytes
/// are dropped once per read, not once per line: a read of 64 KiB of newlines would otherwise
/// shift the buffer for each of them.
struct ControlLineReader {
    let maxLineBytes: Int
    private var buffer: [UInt8] = []

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// The lines that `bytes` completes, in order.
    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [[UInt8]] {
        var from = buffer.count
        buffer += bytes
        var start = 0
        var lines: [[UInt8]] = []
        while let nl = buffer[from...].firstIndex(of: 10) {
            lines.append(Array(buffer[start..<nl]))
            start = nl + 1
            from = start
        }
        if start > 0 { buffer.removeFirst(start) }
        return lines
    }

    /// The bytes still waiting for their newline are more than a request may be: the server
    /// answers once and closes the connection.
    var overflowed: Bool { buffer.count > maxLineBytes }

    var pending: Int { buffer.count }
}

/// Talks to a node's control socket; blocking, one request at a time.
public final class ControlClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw NodeError(.control, "socket(): \(String(cString: strerror(errno)))") }
        var addr = Self.address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            Foundation.close(s)
            throw NodeError(.control, "cannot reach the node at \(path) (\(why)); is `tacit node --config ...` running?")
        }
        fd = s
    }

    deinit { close() }

    private var isClosed = false
    public func close() {
        if !isClosed { isClosed = true; Foundation.close(fd) }
    }

    static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    /// Sends raw bytes (tests use it for malformed requests) and reads one response line.
    public func sendRaw(_ bytes: [UInt8]) throws -> ControlResponse {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + off, $0.count - off) }
            guard n > 0 else { throw NodeError(.control, "the node closed the control connection") }
            off += n
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                do { return try JSONDecoder().decode(ControlResponse.self, from: Data(line)) } catch {
                    throw NodeError(.control, "the node sent an unreadable response")
                }
            }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw NodeError(.control, "the node closed the control connection") }
            buffer += chunk[0..<n]
        }
    }

    public func send(_ request: ControlRequest) throws -> ControlResponse {
        var data = try JSONEncoder.sorted.encode(request)
        data.append(10)
        return try sendRaw(Array(data))
    }
}
