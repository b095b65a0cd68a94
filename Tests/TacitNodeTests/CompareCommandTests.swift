import Foundation
import Testing
import TacitBytes
import TacitTestSupport

/// `tacit compare` in two processes, as a newcomer runs it in two terminals.
@Suite("tacit compare between two processes")
struct CompareCommandTests {
    /// A `tacit compare` process whose stdout is read line by line as it comes.
    final class Side: @unchecked Sendable {
        // @unchecked: the reader thread shares only `out` (Locked).
        private let process = Process()
        private let out = Locked("")
        private let err = Locked("")

        init(_ args: [String]) throws {
            process.executableURL = TacitBinary.url
            process.arguments = ["compare"] + args
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
                    throw TestFailure("tacit compare exited (\(process.terminationStatus)) before printing '\(prefix)':\n\(stdout)\n\(stderr)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw TestFailure("tacit compare did not print '\(prefix)' within \(timeout):\n\(stdout)\n\(stderr)")
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

    func pair(_ listenerArgs: [String], _ connectorArgs: [String]) async throws -> (Side, Side, Int32, Int32) {
        let port = try freePorts(1)[0]
        let listener = try Side(["--listen", "127.0.0.1:\(port)", "--timeout", "120"] + listenerArgs)
        let keyLine = try await listener.line("listening on")
        let key = try #require(keyLine.split(separator: " ").last.map(String.init))
        let connector = try Side(["--connect", "127.0.0.1:\(port)", "--peer-key", key, "--timeout", "120"] + connectorArgs)
        let (a, b) = (await listener.exit(), await connector.exit())
        return (listener, connector, a, b)
    }

    @Test("both sides learn the answer, each from its own point of view, on both paths", arguments: ["ot", "he"])
    func bothLearn(_ path: String) async throws {
        let (l, c, ls, cs) = try await pair(["--value", "1200", "--predicate", "lt", "--path", path], ["--value=-950"])
        #expect(ls == 0, "\(l.stdout)\n\(l.stderr)")
        #expect(cs == 0, "\(c.stdout)\n\(c.stderr)")
        // 1200 < −950 is false at the listener; at the connector the same question reads −950 > 1200.
        #expect(l.stdout.contains("mine < theirs: false"), "\(l.stdout)")
        #expect(c.stdout.contains("mine > theirs: false"), "\(c.stdout)")
        #expect(c.stdout.contains("the listener asks: is its number < yours? (\(path) path"), "\(c.stdout)")
        // Neither number is printed by the other side, nor sent in the clear.
        #expect(!l.stdout.contains("950") && !c.stdout.contains("1200"))
    }

    @Test("equal numbers under ≤ and the listener's key fingerprint shown to the connector")
    func equalAndKeys() async throws {
        let (l, c, ls, cs) = try await pair(["--value", "7", "--predicate", "le", "--unsigned", "--bits", "8"], ["--value", "7"])
        #expect(ls == 0 && cs == 0, "\(l.stdout)\(l.stderr)\(c.stdout)\(c.stderr)")
        #expect(l.stdout.contains("mine ≤ theirs: true"))
        #expect(c.stdout.contains("mine ≥ theirs: true"))
        // Each side prints the key it paired with: the connector's own key appears at the listener.
        let connectorKey = try #require(try await c.line("this side's key:").split(separator: " ").last)
        #expect(l.stdout.contains(String(connectorKey)))
    }

    @Test("a number that does not fit the listener's question fails the connector with a message that does not quote it")
    func badValue() async throws {
        let port = try freePorts(1)[0]
        let listener = try Side(["--listen", "127.0.0.1:\(port)", "--timeout", "120", "--value", "3", "--bits", "8", "--unsigned"])
        let key = try #require(try await listener.line("listening on").split(separator: " ").last.map(String.init))
        let connector = try Side(["--connect", "127.0.0.1:\(port)", "--peer-key", key, "--timeout", "120", "--value", "300"])
        let status = await connector.exit()
        // The connector learns the question in the pairing answer and refuses its own number
        // before the comparison starts; the listener is left waiting, so the test stops it.
        listener.kill()
        #expect(status != 0)
        #expect(connector.stderr.contains("not below 2^8"), "\(connector.stderr)")
        #expect(!connector.stderr.contains("300"))
    }

    @Test("a wrong --peer-key never pairs: the connector gives up with a reason")
    func wrongKey() async throws {
        let port = try freePorts(1)[0]
        let listener = try Side(["--listen", "127.0.0.1:\(port)", "--value", "1", "--timeout", "30"])
        _ = try await listener.line("listening on")
        // Some other valid key (libzmq's documented example): the CURVE handshake fails, so no
        // answer ever comes.
        let connector = try Side(["--connect", "127.0.0.1:\(port)", "--peer-key", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "--value", "2", "--timeout", "5"])
        let status = await connector.exit()
        #expect(status != 0)
        #expect(connector.stderr.contains("no answer"), "\(connector.stderr)")
        listener.kill()
    }
}
