import Foundation
import Testing
import TacitTestSupport

@testable import TacitLedger
import TacitBytes

/// A `tacit ledger serve` child process driven over stdin/stdout; killed when released.
final class MemberProcess: @unchecked Sendable {
    // @unchecked: the process and pipes are used from the test task only; reader threads
    // share lines through a Locked.
    let name: String
    private let process = Process()
    private let stdinPipe = Pipe()
    private final class Output: Sendable {
        let lines = Locked<[String]>([])
        let err = Locked<String>("")
    }
    private let output = Output()

    static var binary: URL {
        var dirs = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for d in dirs where FileManager.default.isExecutableFile(atPath: d.appendingPathComponent("tacit").path) {
            return d.appendingPathComponent("tacit")
        }
        return dirs[0].appendingPathComponent("tacit")
    }

    init(name: String, dir: String, db: String) throws {
        self.name = name
        process.executableURL = Self.binary
        process.arguments = ["ledger", "serve", "--dir", dir, "--name", name, "--db", db, "--timeout-scale-ms", "300"]
        let out = Pipe(), errPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = out
        process.standardError = errPipe
        try process.run()
        let oh = out.fileHandleForReading, eh = errPipe.fileHandleForReading
        Thread.detachNewThread { [output] in
            var buf = Data()
            while true {
                let c = oh.availableData
                if c.isEmpty { break }
                buf.append(c)
                while let nl = buf.firstIndex(of: 10) {
                    let l = String(decoding: buf[buf.startIndex..<nl], as: UTF8.self)
                    buf.removeSubrange(buf.startIndex...nl)
                    output.lines.withLock { $0.append(l) }
                }
            }
        }
        Thread.detachNewThread { [output] in
            while true {
                let c = eh.availableData
                if c.isEmpty { break }
                output.err.withLock { $0 += String(decoding: c, as: UTF8.self) }
            }
        }
    }

    deinit { kill() }

    func next(timeout: Duration = .seconds(120)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let l = output.lines.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return l }
            if !process.isRunning, output.lines.withLock({ $0.isEmpty }) {
                throw LedgerError(.closed, "\(name) exited: \(output.err.withLock { $0 })")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw LedgerError(.timeout, "\(name): no answer in \(timeout); stderr: \(output.err.withLock { $0 })")
    }

    func ask(_ cmd: String, timeout: Duration = .seconds(120)) async throws -> String {
        stdinPipe.fileHandleForWriting.write(Data((cmd + "\n").utf8))
        return try await next(timeout: timeout)
    }

    func waitReady() async throws {
        let l = try await next()
        guard l.hasPrefix("READY") else { throw LedgerError(.closed, "\(name) did not start: \(l)") }
    }

    /// (height, hex hash of the head).
    func height() async throws -> (UInt64, String) {
        let f = try await ask("height").split(separator: " ")
        return (UInt64(f[2]) ?? 0, String(f[3]))
    }

    func signal(_ s: Int32) { if process.isRunning { Foundation.kill(process.processIdentifier, s) } }

    func kill() {
        guard !killed else { return }
        killed = true
        signal(SIGCONT)
        signal(SIGKILL)
        process.waitUntilExit()
    }
    private var killed = false
}

@Suite("Ledger members as processes", .serialized)
struct ProcessTests {
    func consortium(_ names: [String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-ledger-proc-\(UUID().uuidString)").path
        let ports = try freePorts(names.count)
        try LedgerFiles.createTestnet(dir: dir, members: zip(names, ports).map { ($0, "tcp://127.0.0.1:\($1)") })
        return dir
    }

    @Test("a member killed with SIGKILL mid-load restarts, loses nothing committed, and catches up verifying every block")
    func killAndCatchUp() async throws {
        let names = ["a", "b", "c", "d"]
        let dir = try consortium(names)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ms: [String: MemberProcess] = [:]
        defer { for m in ms.values { m.kill() } }
        for n in names { ms[n] = try MemberProcess(name: n, dir: dir, db: "\(dir)/\(n).db") }
        for m in ms.values { try await m.waitReady() }
        #expect(try await ms["a"]!.ask("load 300").hasPrefix("OK load"))
        let (hd, _) = try await ms["d"]!.height()
        // Kill d while a keeps writing: d's last durable block must survive.
        ms["a"]!.send("load 300")
        try await Task.sleep(for: .milliseconds(150))
        ms["d"]!.kill()
        #expect(try await ms["a"]!.next().hasPrefix("OK load"))  // n=4, f=1: three members commit
        let (ha, hashA) = try await ms["a"]!.height()
        let dOnDisk = try LedgerStore(path: "\(dir)/d.db").lastHeight()  // read-write: recovers the WAL of the killed process
        #expect(dOnDisk >= hd)
        // Restart d on the same database; it catches up.
        ms["d"] = try MemberProcess(name: "d", dir: dir, db: "\(dir)/d.db")
        try await ms["d"]!.waitReady()
        var caught = false
        for _ in 0..<2400 {  // up to 120 s: catching up on 2 loaded cores
            let (h, hash) = try await ms["d"]!.height()
            if h >= ha {
                // Past a's height d must hold a's very block at that height, not a fork of it.
                let dAt = h == ha ? "OK hash \(h) \(hash)" : try await ms["d"]!.ask("hash \(ha)")
                #expect(dAt == "OK hash \(ha) \(hashA)", "d's block at height \(ha) differs from a's: a fork")
                caught = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(caught, "d did not catch up to height \(ha)")
        // d takes part again.
        #expect(try await ms["d"]!.ask("propose after-restart").hasPrefix("OK committed"))
        for m in ms.values { _ = try? await m.ask("quit", timeout: .seconds(10)) }
        for m in ms.values { m.kill() }
        let r = LedgerVerifier.verify(store: try LedgerStore(path: "\(dir)/d.db"))
        #expect(r.ok, "\(String(describing: r.failure))")
    }

    @Test("a minority partition (one of four members stopped) does not stop the majority")
    func minorityPartition() async throws {
        let names = ["a", "b", "c", "d"]
        let dir = try consortium(names)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ms: [String: MemberProcess] = [:]
        defer { for m in ms.values { m.kill() } }
        for n in names { ms[n] = try MemberProcess(name: n, dir: dir, db: "\(dir)/\(n).db") }
        for m in ms.values { try await m.waitReady() }
        #expect(try await ms["b"]!.ask("propose before").hasPrefix("OK committed"))
        // Freeze c: it neither sends nor answers, like a partitioned host.
        ms["c"]!.signal(SIGSTOP)
        for i in 0..<5 {
            let r = try await ms[["a", "b", "d"][i % 3]]!.ask("propose during-\(i)")
            #expect(r.hasPrefix("OK committed"), "\(r)")
        }
        let (hMajority, _) = try await ms["a"]!.height()
        ms["c"]!.signal(SIGCONT)
        var healed = false
        for _ in 0..<2400 {  // up to 120 s: catching up on 2 loaded cores
            if try await ms["c"]!.height().0 >= hMajority { healed = true; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(healed, "c did not catch up after the partition healed")
        let heights = try await [ms["a"]!.height(), ms["b"]!.height(), ms["c"]!.height(), ms["d"]!.height()]
        #expect(heights.allSatisfy { $0.0 >= hMajority })
    }
}

extension MemberProcess {
    func send(_ cmd: String) { stdinPipe.fileHandleForWriting.write(Data((cmd + "\n").utf8)) }
}
