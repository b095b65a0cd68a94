import Foundation
import Testing
import TacitTestSupport
import TacitNet
import TacitJob
@testable import TacitNode

/// A member is trusted to run the protocol, not to be harmless (Docs/TacitNode.md, "A hostile
/// member"). Three `tacit node` processes and a fourth member, mallory, whose CURVE key
/// `tacit-hostile-peer` holds: it joins the mesh, runs no node and never signs a ledger entry,
/// so the ledger commits with the three honest validators (a quorum of 3 of 4).
@Suite(.serialized, .timeLimit(.minutes(8)),
       .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status"), "reads the victim's memory from /proc"))
struct HostileMemberTests {
    static let honest = ["insurer", "hospital-a", "hospital-b"]
    static let hostile = "mallory"

    /// The hospitals' claims, as `tacit init` writes them: 15042.10 + 3850.74.
    static let total = "18892.84"

    /// A sum of the hospitals' claims for the insurer; mallory, when in it, is a compute party
    /// (not an input party, so the honest members approve it alone).
    static func spec(id: String, withMallory: Bool, engine: String? = nil) -> String {
        """
        id: \(id)
        protocol: \(engine == nil ? "paillier-aggregation" : "statistics")
        \(engine.map { "engine: \($0)\n" } ?? "")description: claim total
        parties:
          - name: hospital-a
            roles: [input]
            input: {dataset: claims, columns: [amount]}
          - name: hospital-b
            roles: [input]
            input: {dataset: claims, columns: [amount]}
          - name: insurer
            roles: [compute]
        \(withMallory ? "  - name: mallory\n    roles: [compute]\n" : "")parameters:
          statistic: sum
        outputs:
          - name: total
            recipients: [insurer]
        policy:
          approvers: [insurer, hospital-a, hospital-b]
        """
    }

    /// Traffic no node would send, from a member: every kind the transport and the ledger
    /// must drop, and messages in the job's own sessions.
    static func garbage(_ victim: String, job: String, seed: Int) -> [String] {
        [
            "random \(victim) 1500 \(seed + 1)",
            "heads \(victim) 1500 \(seed + 2)",
            "truncated \(victim) 200 \(seed + 3)",
            "oversized \(victim) 300 \(seed + 4)",
            "ledger \(victim) 1000 \(seed + 5)",
            "inject \(victim) \(job) 2000 \(seed + 6)",
        ]
    }

    /// Valid messages for sessions nobody reads: 36 MiB ones first (so the byte cap is the one
    /// they meet; 36 MiB is above glibc's largest mmap threshold, so payloads the victim drops
    /// go back to the system and do not show as resident memory), then small ones.
    static func unread(_ victim: String, seed: Int) -> [String] {
        [
            "unknown \(victim) \(unreadBytesPerRound / (36 << 20) + 1) \(36 << 20) \(seed + 7)",
            "unknown \(victim) \(unreadMessagesPerRound) 24 \(seed + 8)",
        ]
    }

    /// More than the victim's transport keeps unread from one peer (TacitNet's per-peer caps,
    /// `MailboxLimits`: 65,536 messages and 1 GiB + 256 MiB by default), so the first round
    /// fills the caps and the second finds them full.
    static let unreadMessagesPerRound = 70_000
    static let unreadBytesPerRound = (1 << 30) + (320 << 20)

    func approve(_ nodes: [String: NodeProcess], _ job: String) async throws {
        for n in Self.honest {
            _ = try await nodes[n]!.waitFor(job, "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: job))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
    }

    func command(_ peer: PeerProcess, _ line: String) async throws {
        let reply = try await peer.ask(line, timeout: .seconds(240))
        guard reply.hasPrefix("OK") else { throw TestFailure("mallory: \(line) -> \(reply)\n\(peer.stderr)") }
    }

    /// The victim answers its control socket, and its replica verifies.
    func expectHealthy(_ node: NodeProcess, _ when: String) throws {
        #expect(node.isRunning, "\(node.name) died \(when):\n\(node.stderr.suffix(4000))")
        let status = try node.ask(ControlRequest(op: "node-status"))
        #expect(status.ok && status.node?.party == node.name, "\(node.name) \(when): \(status.error ?? "")")
        let v = try #require(try node.ask(ControlRequest(op: "verify")).verification)
        #expect(v.ok, "\(node.name)'s replica \(when): \(v.problems)")
    }

    @Test("a member sending wrong protocol messages fails the jobs it is in, named as the culprit; flooding a node with garbage during a job leaves the job, the node, its memory and its replica intact")
    func hostileMemberFailsOnlyItsOwnJobs() async throws {
        let c = try await LocalConsortium(Self.honest + [Self.hostile], timeout: 30)
        defer { c.cleanup() }
        // Each progress step pauses, so the first job is still running while the flood starts.
        let nodes = try await c.start(Self.honest, environment: ["TACIT_TEST_PROGRESS_DELAY_MS": "1500"])
        defer { nodes.values.forEach { $0.kill() } }
        let mallory = try PeerProcess(
            executable: "tacit-hostile-peer", name: Self.hostile,
            arguments: ["--name", Self.hostile, "--key", "\(c.dir)/\(Self.hostile)/keys/\(Self.hostile).key", "--genesis", "\(c.dir)/genesis.bin"])
        defer { mallory.kill() }
        try await mallory.waitReady()
        let victim = nodes["insurer"]!
        let pid = try #require(Self.pid(runningConfig: victim.config), "no process runs \(victim.config)")

        // Phase 1: jobs mallory is a compute party of, one per family: threshold Paillier, and
        // a statistic on Shamir shares. Once every honest run is under way, it sends each
        // honest member wrong-length messages on the job's sessions and tags. (Before the
        // flood: once mallory has filled its caps of unread messages at the insurer, the
        // insurer drops what it sends, and a run waiting for it ends on a timeout instead.)
        for (id, engine) in [("sabotaged", nil), ("sabotaged-shamir", "shamir")] as [(String, String?)] {
            #expect(try victim.ask(ControlRequest(op: "submit", spec: Self.spec(id: id, withMallory: true, engine: engine))).ok)
            try await approve(nodes, id)
            for n in Self.honest {
                _ = try await nodes[n]!.waitFor(id, "running") { $0.progressStep != nil || $0.phase.isTerminal }
            }
            try await command(mallory, "wrong \(id) \(Self.honest.joined(separator: ",")) 300")
            for n in Self.honest {
                let s = try await nodes[n]!.waitFor(id, "failed") { $0.phase.isTerminal }
                #expect(s.phase == .failed, "\(n) \(id): \(s.phase) \(s.reason ?? "")")
                #expect(s.reason?.contains(Self.hostile) == true, "\(n) \(id): \(s.reason ?? "")")
            }
            // What is on the ledger: failures recorded by honest members only, each naming
            // mallory as the sender of a bad message, not as a party that went quiet (a timeout
            // would name it too, without showing that the wrong message was caught).
            let entries = try #require(try victim.ask(ControlRequest(op: "ledger", job: id)).entries)
            let failures = entries.compactMap { e -> (String, String)? in
                if case .jobFailed(_, let reason) = e.transaction { return (e.author.name, reason) }
                return nil
            }
            #expect(!failures.isEmpty, "\(id)")
            for (author, reason) in failures {
                #expect(Self.honest.contains(author), "\(id) \(author): \(reason)")
                #expect(reason.contains(Self.hostile), "\(id) \(author): \(reason)")
                // The ledger keeps the reason's text only; both layers' timeouts start this way.
                #expect(!reason.contains("no message from"),
                        "\(id): \(author) failed on a timeout, not on mallory's message: \(reason)")
            }
            #expect(!entries.contains { $0.transaction.isResult }, "a result was recorded for the sabotaged job \(id)")
            #expect(!FileManager.default.fileExists(atPath: "\(c.dir)/insurer/data/results/\(JobManager.fileName(id)).json"))
            for n in Self.honest { try expectHealthy(nodes[n]!, "after \(id)") }
        }

        // Phase 2: a job among the three honest members; mallory is not in it, and floods the
        // insurer (its only recipient) while it runs.
        #expect(try victim.ask(ControlRequest(op: "submit", spec: Self.spec(id: "flooded", withMallory: false))).ok)
        try await approve(nodes, "flooded")
        _ = try await victim.waitFor("flooded", "running") { $0.progressStep != nil || $0.phase.isTerminal }
        for line in Self.garbage("insurer", job: "flooded", seed: 100) { try await command(mallory, line) }
        // A message 1 MiB over the node's limit: libzmq cuts the connection at its length,
        // before allocating; mallory redials, and the barrier waits until it is back.
        try await command(mallory, "huge insurer")
        try await command(mallory, "barrier insurer 120")
        let before = try Self.residentBytes(pid)
        for line in Self.unread("insurer", seed: 100) { try await command(mallory, line) }
        try await command(mallory, "barrier insurer 120")
        let afterOne = try Self.residentBytes(pid)
        for line in Self.garbage("insurer", job: "flooded", seed: 200) + Self.unread("insurer", seed: 200) {
            try await command(mallory, line)
        }
        try await command(mallory, "barrier insurer 120")
        let afterTwo = try Self.residentBytes(pid)

        for n in Self.honest {
            let s = try await nodes[n]!.waitFor("flooded", "completed") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(n): \(s.reason ?? "")")
        }
        #expect(try victim.ask(ControlRequest(op: "result", job: "flooded")).result?.outputs.first?.value == .number(Self.total))
        try expectHealthy(victim, "after the flood")
        // Memory stays bounded: whatever the first round left behind (up to the transport's
        // per-peer caps), a second round of the same must not add to it.
        // Depends on the transport's per-peer caps on unread messages (issue 11, being added
        // in Sources/TacitNet): without them the second round's ~1.4 GB stay resident.
        let mib = { (b: Int) in b >> 20 }
        #expect(afterTwo - afterOne < 48 << 20,
                "the insurer's resident memory: \(mib(before)) MiB before the flood, \(mib(afterOne)) MiB after one round, \(mib(afterTwo)) MiB after two")

        #expect(try await mallory.ask("quit") == "BYE")
        for n in Self.honest { #expect(await nodes[n]!.terminate() == 0, "\(n) did not exit cleanly:\n\(nodes[n]!.stderr.suffix(4000))") }
        for n in Self.honest {
            let v = try await TacitBinary.run(["ledger", "verify", "--db", "\(c.dir)/\(n)/data/ledger.sqlite"])
            #expect(v.status == 0, "\(n): \(v.out)\(v.err)")
            #expect(v.out.contains("job flooded (paillier-aggregation): complete"), "\(n): \(v.out)")
            #expect(v.out.contains("job sabotaged (paillier-aggregation): failed"), "\(n): \(v.out)")
            #expect(v.out.contains("job sabotaged-shamir (statistics/shamir): failed"), "\(n): \(v.out)")
        }
    }

    /// The process running `tacit node --config PATH` (the test's own child).
    static func pid(runningConfig path: String) -> Int32? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if args.count >= 3, args.contains("node"), args.last == path { return pid }
        }
        return nil
    }

    /// VmRSS of a process, in bytes.
    static func residentBytes(_ pid: Int32) throws -> Int {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("no VmRSS in /proc/\(pid)/status") }
        return kib << 10
    }
}

extension JobTransaction {
    fileprivate var isResult: Bool { if case .resultRecorded = self { true } else { false } }
}
