import Foundation
import Testing
import TacitJob
import TacitTestSupport
import TacitNode
import TacitProtocols
import TacitBytes

/// How long a test waits for an in-process ledger transaction to commit: the consensus tasks
/// share two cooperative threads with every test running in parallel, some CPU-bound without
/// a suspension point, and under the thread sanitizer they can get no turn for a minute.
let commitTimeout: Duration = .seconds(300)

/// The `tacit` binary built beside the tests (whatever --scratch-path was used).
enum TacitBinary {
    static var url: URL {
        let fm = FileManager.default
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        for dir in candidates {
            let url = dir.appendingPathComponent("tacit")
            if fm.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("tacit")
    }

    /// Runs `tacit ARGS` to completion: (exit status, stdout, stderr). The wait is on a thread
    /// of its own: a test blocking one of the two cooperative threads (CI has two cores) for
    /// the length of a subprocess starves every other test's tasks, the in-process consensus
    /// tests first.
    @discardableResult
    static func run(_ args: [String], timeout: TimeInterval = 120) async throws -> (status: Int32, out: String, err: String) {
        try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread { c.resume(with: Result { try runBlocking(args, timeout: timeout) }) }
        }
    }

    /// `run`, blocking the calling thread: only for threads of a test's own.
    @discardableResult
    static func runBlocking(_ args: [String], timeout: TimeInterval = 120) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        // Never the runner's terminal: a command that would prompt must see no TTY.
        p.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        final class Box: Sendable { let data = Locked(Data()) }
        let outData = Box(), errData = Box()
        let g = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            g.enter()
            Thread.detachNewThread {
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                box.data.withLock { $0 = d }
                g.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        _ = g.wait(timeout: .now() + 5)
        return (p.terminationStatus, String(decoding: outData.data.withLock { $0 }, as: UTF8.self),
                String(decoding: errData.data.withLock { $0 }, as: UTF8.self))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A `tacit node` child process. SIGKILLed on release if still running.
final class NodeProcess: @unchecked Sendable {
    // @unchecked: used from the test task only; the log reader shares only `log` (Locked).
    let name: String
    let config: String
    private let process = Process()
    private final class Log: Sendable {
        let text = Locked("")
        let done = DispatchSemaphore(value: 0)
    }
    private let output = Log()

    init(name: String, config: String, environment: [String: String] = [:]) throws {
        self.name = name
        self.config = config
        process.executableURL = TacitBinary.url
        process.arguments = ["node", "--config", config]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let h = err.fileHandleForReading
        Thread.detachNewThread { [output] in
            while true {
                let d = h.availableData
                if d.isEmpty { break }
                output.text.withLock { $0 += String(decoding: d, as: UTF8.self) }
            }
            output.done.signal()
        }
    }

    deinit { kill() }

    var stderr: String { output.text.withLock { $0 } }
    var isRunning: Bool { process.isRunning }
    var socketPath: String { (try? NodeConfig.load(path: config).controlSocketPath) ?? "" }

    /// Waits until the control socket answers.
    func waitReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let c = try? ControlClient(path: socketPath), let r = try? c.send(ControlRequest(op: "node-status")), r.ok { return }
            if !process.isRunning { throw TestFailure("\(name) exited (\(process.terminationStatus)):\n\(stderr)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("\(name) not ready within \(timeout):\n\(stderr)")
    }

    func ask(_ r: ControlRequest) throws -> ControlResponse {
        let c = try ControlClient(path: socketPath)
        defer { c.close() }
        return try c.send(r)
    }

    func status(_ job: String) throws -> JobStatus? { try ask(ControlRequest(op: "status", job: job)).status }

    /// Polls until `predicate` holds for the job's status at this node.
    func waitFor(_ job: String, timeout: Duration = .seconds(90), _ what: String, _ predicate: (JobStatus) -> Bool) async throws -> JobStatus {
        let deadline = ContinuousClock.now + timeout
        var last: JobStatus?
        while ContinuousClock.now < deadline {
            if let s = try? status(job) {
                last = s
                if predicate(s) { return s }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(name): job \(job) not \(what) within \(timeout); last: \(String(describing: last?.phase)) \(last?.reason ?? "")\n\(stderr)")
    }

    /// SIGTERM and wait (on a thread of its own, not a cooperative one); returns the exit status.
    func terminate(timeout: TimeInterval = 30) async -> Int32 {
        await withCheckedContinuation { c in
            Thread.detachNewThread { c.resume(returning: self.terminateBlocking(timeout: timeout)) }
        }
    }

    func terminateBlocking(timeout: TimeInterval = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        Foundation.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        _ = output.done.wait(timeout: .now() + 5)
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A consortium made by `tacit init` in a temp dir, with a small (insecure, fast) key.
struct LocalConsortium {
    let dir: String
    let names: [String]

    /// `dealer`: the Paillier key dealt (fast); false makes it as `tacit init` does by default,
    /// without a dealer.
    init(_ names: [String], timeout: Int = 8, dealer: Bool = true) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-\(UUID().uuidString.prefix(8))").path
        self.names = names
        let r = try await TacitBinary.run(["init", "--parties", names.joined(separator: ","), "--key-bits", "512", "--insecure-small-key",
                                     "--protocol-timeout", "\(timeout)", dir] + (dealer ? ["--dealer"] : []))
        guard r.status == 0 else { throw TestFailure("tacit init failed: \(r.out)\n\(r.err)") }
    }

    func config(_ name: String) -> String { "\(dir)/\(name)/node.yaml" }

    func start(_ names: [String]? = nil, environment: [String: String] = [:]) async throws -> [String: NodeProcess] {
        var out: [String: NodeProcess] = [:]
        for n in names ?? self.names { out[n] = try NodeProcess(name: n, config: config(n), environment: environment) }
        for n in names ?? self.names { try await out[n]!.waitReady() }
        // With every node up, the Paillier key `tacit init` registered (its share files carry
        // the registration) commits; a Paillier job is refused until it has.
        if names == nil { try await waitForPaillierKey(out) }
        return out
    }

    func waitForPaillierKey(_ nodes: [String: NodeProcess], timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        for (n, node) in nodes {
            while true {
                let s = try node.ask(ControlRequest(op: "node-status")).node
                if s?.paillierKey != nil {
                    if let problem = s?.paillierShareProblem { throw TestFailure("\(n): \(problem)") }
                    break
                }
                guard ContinuousClock.now < deadline else { throw TestFailure("\(n): no Paillier key on the ledger after \(timeout)") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    func writeSpec(_ text: String, name: String = "job.yaml") throws -> String {
        let path = "\(dir)/jobs/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }
}

