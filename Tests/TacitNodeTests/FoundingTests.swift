import Foundation
import Testing
import TacitTestSupport
import TacitNet
import TacitJob
import TacitBytes
@testable import TacitNode

/// A consortium founded the way three organisations do it, with the CLI only and no
/// `tacit init`: each member makes its own keys in its own directory, the CA certifies public
/// keys, the founders sign the genesis, each writes its node config, the nodes start, the
/// holders make the Paillier key together (`tacit paillier keygen`), and a Paillier job runs.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct FoundingTests {
    static let parties = ["hospital-a", "hospital-b", "insurer"]
    static let claims = ["hospital-a": ["100.25", "2000.00"], "hospital-b": ["33.10"]]

    func tacit(_ args: [String], timeout: TimeInterval = 120) async throws -> String {
        let r = try await TacitBinary.run(args, timeout: timeout)
        guard r.status == 0 else { throw TestFailure("tacit \(args.joined(separator: " ")): \(r.out)\(r.err)") }
        return r.out
    }

    func found(in dir: String) async throws {
        let ports = try freePorts(Self.parties.count)
        _ = try await tacit(["ca", "init", "--dir", "\(dir)/ca"])
        var records: [String] = []
        for (i, n) in Self.parties.enumerated() {
            let keys = "\(dir)/\(n)/keys"
            _ = try await tacit(["keys", "generate", "--name", n, "--out", keys])
            _ = try await tacit(["ledger", "keys", "--name", n, "--out", keys])
            _ = try await tacit(["ca", "issue", "--ca", "\(dir)/ca", "--member", n, "--public-key", "\(keys)/\(n).signing.pub", "--out", "\(dir)/\(n)"])
            records.append("\(dir)/\(n).member")
            _ = try await tacit([
                "ledger", "member", "--name", n, "--keys", keys, "--cert", "\(dir)/\(n)/\(n).crt", "--ca", "\(dir)/ca/ca.crt",
                "--endpoint", "tcp://127.0.0.1:\(ports[i])", "--out", records[i],
            ])
        }
        let genesis = "\(dir)/genesis.bin"
        _ = try await tacit(["ledger", "genesis", "--ca", "\(dir)/ca/ca.crt", "--chain", "founding"] + records.flatMap { ["--member", $0] } + ["--out", genesis])
        for n in Self.parties {
            _ = try await tacit(["ledger", "sign-genesis", "--genesis", genesis, "--name", n, "--key", "\(dir)/\(n)/keys/\(n).signing.key", "--ca", "\(dir)/ca/ca.crt", "--yes"])
        }
        for n in Self.parties {
            try FileManager.default.copyItem(atPath: genesis, toPath: "\(dir)/\(n)/genesis.bin")
            try FileManager.default.copyItem(atPath: "\(dir)/ca/ca.crt", toPath: "\(dir)/\(n)/ca.crt")
            _ = try await tacit(["node", "config", "--name", n, "--genesis", "genesis.bin", "--ca", "ca.crt", "--keys", "keys", "--data", "data", "--out", "\(dir)/\(n)/node.yaml"])
            var extra = "allowInsecureKeySizes: true\nprotocolTimeoutSeconds: 20\n"
            if let amounts = Self.claims[n] {
                try FileManager.default.createDirectory(atPath: "\(dir)/\(n)/data", withIntermediateDirectories: true)
                try (["claim,amount"] + amounts.enumerated().map { "c\($0.offset),\($0.element)" }).joined(separator: "\n")
                    .write(toFile: "\(dir)/\(n)/data/claims.csv", atomically: true, encoding: .utf8)
                extra += "datasets:\n  - name: claims\n    file: claims.csv\n    columns:\n      - {name: amount, type: decimal, fractionDigits: 2}\n"
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/\(n)/node.yaml"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(extra.utf8))
            try handle.close()
        }
    }

    @Test func foundedWithoutInitMakesItsPaillierKeyAndRunsAJob() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-found-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await found(in: dir)
        var nodes: [String: NodeProcess] = [:]
        defer { nodes.values.forEach { $0.kill() } }
        for n in Self.parties { nodes[n] = try NodeProcess(name: n, config: "\(dir)/\(n)/node.yaml") }
        for n in Self.parties { try await nodes[n]!.waitReady() }

        // Before the key: a Paillier job is refused up front.
        let spec = """
            id: total
            protocol: paillier-aggregation
            parties:
              - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [amount]}}
              - {name: hospital-b, roles: [input], input: {dataset: claims, columns: [amount]}}
              - {name: insurer, roles: [compute]}
            outputs:
              - {name: total, recipients: [insurer]}
            """
        let early = try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: spec))
        #expect(!early.ok && early.error?.contains("none is registered") == true, "\(early.error ?? "")")

        // Every holder runs the same command at its own node, at the same time.
        // A holder with other parameters fails the ceremony on every holder, named.
        let mismatched = await keygenAtEveryHolder(dir) { $0 == "insurer" ? ["--threshold", "3"] : [] }
        for n in Self.parties {
            let (status, text) = try #require(mismatched[n])
            #expect(status == 1 && text.contains("runs the ceremony with other parameters"), "\(n): \(text)")
            #expect(text.contains(n == "insurer" ? "hospital-a" : "insurer"), "\(n) names the other side: \(text)")
        }
        // Retried with the next attempt and the same parameters everywhere.
        let outputs = await keygenAtEveryHolder(dir) { _ in ["--attempt", "2"] }
        var fingerprints: Set<String> = []
        for n in Self.parties {
            let (status, text) = try #require(outputs[n])
            #expect(status == 0, "\(n): \(text)\n\(nodes[n]!.stderr)")
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("key fingerprint ") }) {
                fingerprints.insert(String(line.split(separator: " ")[2]).trimmingCharacters(in: CharacterSet(charactersIn: ";")))
            }
            let share = "\(dir)/\(n)/keys/paillier-share.json"
            #expect((try FileManager.default.attributesOfItem(atPath: share)[.posixPermissions] as? Int) == 0o600)
        }
        #expect(fingerprints.count == 1, "every holder has the same key: \(fingerprints)")
        for n in Self.parties {
            let s = try #require(try nodes[n]!.ask(ControlRequest(op: "node-status")).node)
            #expect(s.paillierKey?.contains(try #require(fingerprints.first)) == true && s.paillierShareProblem == nil, "\(n): \(String(describing: s))")
        }
        // A second ceremony cannot overwrite a share.
        let again = try await TacitBinary.run(["paillier", "keygen", "--config", "\(dir)/insurer/node.yaml", "--bits", "512"] + Self.keygenMode)
        #expect(again.status == 1 && again.err.contains("already exists"), "\(again.err)")

        // The share is in use at once: the job runs and the insurer learns the total.
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: spec)).ok)
        for n in Self.parties {
            _ = try await nodes[n]!.waitFor("total", "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: "total", columns: Self.claims[n] == nil ? nil : ["amount"]))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
        for n in Self.parties {
            let s = try await nodes[n]!.waitFor("total", timeout: .seconds(180), "completed") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(n): \(s.reason ?? "")")
        }
        let result = try nodes["insurer"]!.ask(ControlRequest(op: "result", job: "total"))
        #expect(result.result?.outputs.first?.value == .number("2133.35"))
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }
    }

    /// `tacit paillier keygen` at every holder at once, with `extra(holder)` options. Threads,
    /// not tasks: each run blocks until its process exits, and three blocking tasks on a
    /// 2-thread pool would start the third holder only after another finished.
    func keygenAtEveryHolder(_ dir: String, extra: @escaping @Sendable (String) -> [String]) async -> [String: (Int32, String)] {
        let results = Locked([String: (Int32, String)]())
        let group = DispatchGroup()
        for n in Self.parties {
            group.enter()
            Thread.detachNewThread {
                let args = ["paillier", "keygen", "--config", "\(dir)/\(n)/node.yaml", "--bits", "512"] + Self.keygenMode + extra(n)
                let r = try? TacitBinary.runBlocking(args, timeout: 300)
                results.withLock { $0[n] = r.map { ($0.status, $0.out + $0.err) } ?? (-1, "could not run tacit") }
                group.leave()
            }
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                group.wait()
                c.resume()
            }
        }
        return results.withLock { $0 }
    }

    /// How the key is made here: without a dealer once the dealer-free generation is built in.
    static var keygenMode: [String] { PartyNode.distributedKeyMaker == nil ? ["--dealer"] : [] }
}
