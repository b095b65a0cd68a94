// Child-process helpers shared by the multi-process test suites (transport, MPC): a helper
// executable driven line by line over stdin/stdout, a consortium of fresh keys on free
// loopback ports (`freePorts`, FreePorts.swift). Each suite names its own helper executable.
public import Foundation
import Testing
public import TacitNet
import TacitBytes

/// A child helper process (`tacit-net-peer`, `tacit-mpc-peer`) driven over stdin/stdout. Killed when released, so a
/// failing test never leaves processes behind.
public final class PeerProcess: @unchecked Sendable {
    // @unchecked: `process` and the pipes are used from the test task only; the reader
    // threads share state only through `lines` and `errText` (Locked).
    public let name: String
    private let process = Process()
    private let stdinPipe = Pipe()
    private final class Output: Sendable {
        let lines = Locked<[String]>([])
        let errText = Locked<String>("")
        let errClosed = DispatchSemaphore(value: 0)
    }
    private let output = Output()

    /// The helper `executable` in the bin directory beside the test bundle.
    public static func binary(_ executable: String) -> URL {
        let fm = FileManager.default
        // The test bundle runs from the bin directory that also holds the helper, whatever
        // --scratch-path was used.
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        for dir in candidates {
            let url = dir.appendingPathComponent(executable)
            if fm.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent(executable)
    }

    public init(executable: String, name: String, arguments: [String]) throws {
        self.name = name
        process.executableURL = Self.binary(executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = out
        process.standardError = err
        var env = ProcessInfo.processInfo.environment
        env["TACIT_LOG_LEVEL"] = "info"
        process.environment = env
        try process.run()
        let outHandle = out.fileHandleForReading
        let errHandle = err.fileHandleForReading
        Thread.detachNewThread { [output] in
            var buffer = Data()
            while true {
                let chunk = outHandle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...nl)
                    output.lines.withLock { $0.append(line) }
                }
            }
        }
        Thread.detachNewThread { [output] in
            while true {
                let chunk = errHandle.availableData
                if chunk.isEmpty { output.errClosed.signal(); break }
                output.errText.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }
    }

    deinit { kill() }

    public var stderr: String { output.errText.withLock { $0 } }

    public func send(_ command: String) {
        stdinPipe.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    /// The next stdout line, waiting at most `timeout`.
    public func nextLine(timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let l = output.lines.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return l }
            if !process.isRunning, output.lines.withLock({ $0.isEmpty }) {
                try await Task.sleep(for: .milliseconds(50))
                if let l = output.lines.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return l }
                throw PeerError("\(name) exited (status \(process.terminationStatus)); stderr:\n\(stderr)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw PeerError("\(name): no output within \(timeout); stderr:\n\(stderr)")
    }

    /// Sends a command and returns its reply line.
    public func ask(_ command: String, timeout: Duration = .seconds(60)) async throws -> String {
        send(command)
        return try await nextLine(timeout: timeout)
    }

    public func waitReady() async throws {
        let l = try await nextLine()
        guard l.hasPrefix("READY") else { throw PeerError("\(name) did not start: \(l)\n\(stderr)") }
    }

    public func stats() async throws -> [String: Int] {
        let l = try await ask("stats")
        var out: [String: Int] = [:]
        for kv in l.split(separator: " ").dropFirst() {
            let p = kv.split(separator: "=")
            if p.count == 2, let v = Int(p[1]) { out[String(p[0])] = v }
        }
        return out
    }

    /// SIGKILL: the peer gets no chance to close connections cleanly. Also fails the test if
    /// the child (built with the same sanitizer as the tests) reported a data race.
    public func kill() {
        guard !killed else { return }
        killed = true
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        _ = output.errClosed.wait(timeout: .now() + 5)
        if stderr.contains("ThreadSanitizer") {
            Issue.record("\(name) reported a sanitizer warning:\n\(stderr)")
        }
    }
    private var killed = false
}

public struct PeerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Keys and a consortium file for a set of parties on loopback, in a fresh directory.
public struct TestConsortium {
    public let dir: URL
    public let consortium: Consortium
    public var path: String { dir.appendingPathComponent("consortium.yaml").path }
    public func key(_ name: String) -> String { dir.appendingPathComponent("\(name).key").path }

    public init(_ names: [String], extraKeys: [String] = []) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-test-\(UUID().uuidString)")
        var members: [Consortium.Member] = []
        let ports = try freePorts(names.count)
        for (name, port) in zip(names, ports) {
            let pair = try CurveKeyPair.generate()
            _ = try KeyFiles.write(name: name, keyPair: pair, directory: dir.path)
            members.append(try .init(name: PartyID(name), publicKey: pair.publicKey, endpoint: "tcp://127.0.0.1:\(port)"))
        }
        for name in extraKeys {
            _ = try KeyFiles.write(name: name, keyPair: try CurveKeyPair.generate(), directory: dir.path)
        }
        consortium = try Consortium(members: members)
        try consortium.yaml().write(toFile: path, atomically: true, encoding: .utf8)
    }

    public func cleanup() { try? FileManager.default.removeItem(at: dir) }

}
