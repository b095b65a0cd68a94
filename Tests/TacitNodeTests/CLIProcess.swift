import Foundation
import TacitBytes
import TacitTestSupport

/// A `tacit` process (`tacit compare`, `tacit psi`) whose output is read as it comes, for
/// tests that run two sides in two processes.
final class CLIProcess: @unchecked Sendable {
    // @unchecked: the reader thread shares only `out` (Locked).
    private let process = Process()
    private let out = Locked("")
    private let err = Locked("")

    convenience init(_ args: [String]) throws { try self.init(executable: TacitBinary.url, args) }

    /// A command line as a user pastes it into a shell, `tacit` standing for the binary.
    convenience init(shell line: String) throws {
        precondition(line.hasPrefix("tacit "))
        let binary = "'" + TacitBinary.url.path.replacingOccurrences(of: "'", with: "'\\''") + "'"
        try self.init(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", "exec " + binary + line.dropFirst("tacit".count)])
    }

    private init(executable: URL, _ args: [String]) throws {
        process.executableURL = executable
        process.arguments = args
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        try process.run()
        for (pipe, box) in [(o, out), (e, err)] {
            let h = pipe.fileHandleForReading
            Thread.detachNewThread {
                while true {
                    let d = h.availableData
                    if d.isEmpty { break }
                    box.withLock { $0 += String(decoding: d, as: UTF8.self) }
                }
            }
        }
    }

    deinit { kill() }
    var stdout: String { out.withLock { $0 } }
    var stderr: String { err.withLock { $0 } }

    /// The first stdout line starting with `prefix`, once it is printed.
    func line(_ prefix: String, timeout: Duration = .seconds(120)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let l = stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(l) }
            if !process.isRunning, !stdout.contains(prefix) {
                throw TestFailure("tacit exited (\(process.terminationStatus)) before printing '\(prefix)':\n\(stdout)\n\(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("tacit did not print '\(prefix)' within \(timeout):\n\(stdout)\n\(stderr)")
    }

    /// Waits (on a thread of its own) for the exit status.
    func exit(timeout: TimeInterval = 300) async -> Int32 {
        await withCheckedContinuation { c in
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(timeout)
                while self.process.isRunning && Date() < deadline { usleep(20_000) }
                self.kill()
                c.resume(returning: self.process.terminationStatus)
            }
        }
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
