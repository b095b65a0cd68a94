import Foundation
import Testing
import TacitTestSupport
import TacitNet
import TacitJob
@testable import TacitNode
import TacitProtocols

/// Separate `tacit node` processes on loopback (CURVE on, free ports, small insecure keys).
/// Serialized: each test starts three processes and CI has two cores.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct EndToEndTests {
    static let parties = ["insurer", "hospital-a", "hospital-b"]

    static func spec(id: String, column: String = "amount", statistic: String = "sum") -> String {
        """
        id: \(id)
        protocol: paillier-aggregation
        description: claim total
        parties:
          - name: hospital-a
            roles: [input]
            input: {dataset: claims, columns: [\(column)]}
          - name: hospital-b
            roles: [input]
            input: {dataset: claims, columns: [amount]}
          - name: insurer
            roles: [compute]
        parameters:
          statistic: \(statistic)
        outputs:
          - name: total
            recipients: [insurer]
        """
    }

    func approveAll(_ nodes: [String: NodeProcess], _ job: String, except: Set<String> = []) async throws {
        for n in Self.parties where !except.contains(n) {
            _ = try await nodes[n]!.waitFor(job, "visible") { _ in true }
            let r = try nodes[n]!.ask(ControlRequest(op: "approve", job: job))
            #expect(r.ok, "\(n): \(r.error ?? "")")
        }
    }

    @Test func fullJobThenRestartPreservesLedgerAndStates() async throws {
        // The key as `tacit init` makes it by default: without a dealer.
        let c = try await LocalConsortium(Self.parties, dealer: false)
        defer { c.cleanup() }
        var nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }

        let submit = try await TacitBinary.run(["job", "submit", "--config", c.config("insurer"), try c.writeSpec(Self.spec(id: "total-1"))])
        #expect(submit.status == 0, "\(submit.err)")
        try await approveAll(nodes, "total-1")
        for n in Self.parties {
            let s = try await nodes[n]!.waitFor("total-1", "completed") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(n): \(s.reason ?? "")")
        }
        let result = try nodes["insurer"]!.ask(ControlRequest(op: "result", job: "total-1"))
        #expect(result.result?.outputs.first?.value == .number("18892.84"))
        // A hospital is not a recipient: refused, and only the digest is on its ledger.
        let refused = try nodes["hospital-a"]!.ask(ControlRequest(op: "result", job: "total-1"))
        #expect(!refused.ok && refused.error!.contains("not a recipient"))

        // A second job left waiting for approval, to see a non-terminal state survive too.
        #expect(try nodes["hospital-a"]!.ask(ControlRequest(op: "submit", spec: Self.spec(id: "pending-1"))).ok)
        _ = try await nodes["insurer"]!.waitFor("pending-1", "visible") { _ in true }

        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0, "\(n) did not exit cleanly:\n\(nodes[n]!.stderr)") }
        nodes = try await c.start()
        for n in Self.parties {
            let s = try #require(try nodes[n]!.status("total-1"))
            #expect(s.phase == .completed)
            let p = try #require(try nodes[n]!.status("pending-1"))
            #expect(p.phase == .proposed)
            let v = try #require(try nodes[n]!.ask(ControlRequest(op: "verify")).verification)
            #expect(v.ok, "\(v.problems)")
            #expect(v.entries == 10)
        }
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "result", job: "total-1")).result?.outputs.first?.value == .number("18892.84"))
        // The pending job still runs after the restart.
        try await approveAll(nodes, "pending-1")
        let s = try await nodes["insurer"]!.waitFor("pending-1", "completed") { $0.phase.isTerminal }
        #expect(s.phase == .completed)
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }

        // Each replica is the consortium's real ledger: TacitLedger's verifier re-checks chain,
        // signatures, certificates, quorums and its own job invariants, offline.
        for n in Self.parties {
            let v = try await TacitBinary.run(["ledger", "verify", "--db", "\(c.dir)/\(n)/data/ledger.sqlite"])
            #expect(v.status == 0, "\(v.out)\(v.err)")
            #expect(v.out.contains("job total-1 (paillier-aggregation): complete"), "\(v.out)")
            #expect(v.out.contains("job pending-1 (paillier-aggregation): complete"), "\(v.out)")
        }
    }

    @Test func jobWithoutOwnersApprovalNeverRuns() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        let nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.spec(id: "no-ok"))).ok)
        try await approveAll(nodes, "no-ok", except: ["hospital-a"])
        // Everyone else approved; hospital-a's node has not, so nothing is committed or run.
        try await Task.sleep(for: .seconds(2))
        for n in Self.parties {
            let s = try #require(try nodes[n]!.status("no-ok"))
            #expect(s.phase == .proposed)
            #expect(s.awaitingApproval.map(\.name) == ["hospital-a"])
            #expect(s.commitments.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(c.dir)/hospital-a/data/openings/\(JobManager.fileName("no-ok")).json"))
        // Its operator rejects: the job ends there, on every replica.
        let r = try nodes["hospital-a"]!.ask(ControlRequest(op: "reject", job: "no-ok", reason: "not this quarter"))
        #expect(r.ok)
        for n in Self.parties {
            let s = try await nodes[n]!.waitFor("no-ok", "rejected") { $0.phase == .rejected }
            #expect(s.reason?.contains("not this quarter") == true)
            #expect(s.commitments.isEmpty)
        }
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }
    }

    @Test func unapprovedColumnIsRefused() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        let nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }
        // `diagnosis` is in hospital-a's CSV but not among the columns its node offers: its node
        // rejects the proposal on its own.
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.spec(id: "dx", column: "diagnosis"))).ok)
        for n in Self.parties {
            let s = try await nodes[n]!.waitFor("dx", "rejected") { $0.phase == .rejected }
            #expect(s.reason?.contains("hospital-a: column 'diagnosis'") == true, "\(s.reason ?? "")")
        }
        // An operator approving other columns than the job uses is refused before anything is recorded.
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.spec(id: "age", column: "patient_age"))).ok)
        _ = try await nodes["hospital-a"]!.waitFor("age", "visible") { _ in true }
        let r = try nodes["hospital-a"]!.ask(ControlRequest(op: "approve", job: "age", columns: ["amount"]))
        #expect(!r.ok)
        #expect(r.error?.contains("which you did not approve") == true, "\(r.error ?? "")")
        // Without --columns a data owner is shown what it would consent to; with no terminal to
        // confirm on, nothing is approved.
        let bare = try await TacitBinary.run(["job", "approve", "--config", c.config("hospital-a"), "age"])
        #expect(bare.status == 1)
        #expect(bare.err.contains("patient_age") && bare.err.contains("--columns"), "\(bare.err)")
        let s = try #require(try nodes["hospital-a"]!.status("age"))
        #expect(s.approvals.isEmpty)
        let confirmed = try await TacitBinary.run(["job", "approve", "--config", c.config("hospital-a"), "age", "--yes"])
        #expect(confirmed.status == 0, "\(confirmed.err)")
        #expect(try await nodes["hospital-a"]!.waitFor("age", "approved by hospital-a") { $0.approvals == ["hospital-a"] }.approvals == ["hospital-a"])
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }
    }

    @Test func partyKilledMidJobFailsTheJobAndOthersExitCleanly() async throws {
        let c = try await LocalConsortium(Self.parties, timeout: 4)
        defer { c.cleanup() }
        // Each progress step pauses, so the run is long enough to kill a party inside it.
        let nodes = try await c.start(environment: ["TACIT_TEST_PROGRESS_DELAY_MS": "1500"])
        defer { nodes.values.forEach { $0.kill() } }
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.spec(id: "killed"))).ok)
        try await approveAll(nodes, "killed")
        _ = try await nodes["hospital-b"]!.waitFor("killed", "running") { $0.progressStep != nil }
        nodes["hospital-b"]!.kill()
        for n in ["insurer", "hospital-a"] {
            let s = try await nodes[n]!.waitFor("killed", "failed", { $0.phase.isTerminal })
            #expect(s.phase == .failed, "\(n): \(s.phase)")
            #expect(s.reason?.contains("hospital-b") == true, "\(s.reason ?? "")")
        }
        // Nothing was revealed: the insurer has no result.
        #expect(!FileManager.default.fileExists(atPath: "\(c.dir)/insurer/data/results/killed.json"))
        for n in ["insurer", "hospital-a"] { #expect(await nodes[n]!.terminate() == 0, "\(nodes[n]!.stderr)") }
        // Restarted, the killed party does not resume the run: it catches up with the failure
        // from its peers' replicas (or records that it restarted mid-run) and stays failed.
        let again = try await c.start()
        defer { again.values.forEach { $0.kill() } }
        let s = try await again["hospital-b"]!.waitFor("killed", "failed") { $0.phase == .failed }
        #expect(s.phase == .failed)
        for n in Self.parties { #expect(await again[n]!.terminate() == 0) }
        let v = try await TacitBinary.run(["ledger", "verify", "--db", "\(c.dir)/hospital-b/data/ledger.sqlite"])
        #expect(v.status == 0 && v.out.contains("job killed (paillier-aggregation): failed"), "\(v.out)\(v.err)")
    }

    static func mpcSpec(id: String, engine: String, parameters: String) -> String {
        """
        id: \(id)
        protocol: statistics
        engine: \(engine)
        description: secret-shared statistic
        parties:
          - name: hospital-a
            roles: [input]
            input: {dataset: claims, columns: [amount]}
          - name: hospital-b
            roles: [input]
            input: {dataset: claims, columns: [amount]}
          - name: insurer
            roles: [compute]
        parameters:
        \(parameters)
        outputs:
          - name: statistic
            recipients: [insurer]
        """
    }

    /// The secret-sharing family (TacitMPC's protocols as job protocols): a mean under Shamir
    /// and a count above a threshold (secure comparison) under additive sharing with a dealer
    /// and under three-party replicated sharing.
    @Test func secretSharedStatisticsRunAsJobs() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        let nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }
        let jobs = [
            ("mean-1", "shamir", "  statistic: mean", "3148.81"),
            // The dealer learns every input: a compute-only party, never a hospital.
            ("above-1", "additive-dealer", "  statistic: count-above\n  threshold: \"500.00\"\n  dealer: insurer", "4"),
            // Three-party replicated sharing: no dealer, the comparison circuit across nodes.
            ("above-rep3", "replicated", "  statistic: count-above\n  threshold: \"500.00\"", "4"),
        ]
        for (id, proto, params, _) in jobs {
            let submit = try await TacitBinary.run(
                ["job", "submit", "--config", c.config("insurer"), try c.writeSpec(Self.mpcSpec(id: id, engine: proto, parameters: params), name: "\(id).yaml")])
            #expect(submit.status == 0, "\(submit.err)")
            try await approveAll(nodes, id)
        }
        for (id, _, _, expected) in jobs {
            for n in Self.parties {
                let s = try await nodes[n]!.waitFor(id, "completed") { $0.phase.isTerminal }
                #expect(s.phase == .completed, "\(n) \(id): \(s.reason ?? "")")
            }
            let r = try nodes["insurer"]!.ask(ControlRequest(op: "result", job: id))
            #expect(r.result?.outputs.first?.value == .number(expected), "\(id): \(r.error ?? "")")
            // Only the recipient holds a value; the hospitals have the digest.
            #expect(!FileManager.default.fileExists(atPath: "\(c.dir)/hospital-a/data/results/\(JobManager.fileName(id)).json"))
            #expect(!(try nodes["hospital-b"]!.ask(ControlRequest(op: "result", job: id))).ok)
        }
        // A spec the protocol cannot run is refused before it reaches the ledger.
        let bad = try await TacitBinary.run([
            "job", "submit", "--config", c.config("insurer"),
            try c.writeSpec(Self.mpcSpec(id: "bad-1", engine: "shamir", parameters: "  statistic: count-above"), name: "bad-1.yaml"),
        ])
        #expect(bad.status != 0 && bad.err.contains("count-above needs a threshold"), "\(bad.err)")
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0, "\(nodes[n]!.stderr)") }
        let v = try await TacitBinary.run(["ledger", "verify", "--db", "\(c.dir)/hospital-a/data/ledger.sqlite"])
        #expect(v.status == 0 && v.out.contains("job mean-1 (statistics/shamir): complete") && v.out.contains("job above-1 (statistics/additive-dealer): complete"), "\(v.out)\(v.err)")
    }

    /// A consortium founded the way real organisations do it: each member generates its own
    /// ledger keys, the CA certifies only public keys, the genesis is assembled from public
    /// records and signed by each founder in turn; nodes refuse it until every founder signed.
    @Test func genesisFoundedAcrossMembersRunsAJob() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        func tacit(_ args: [String]) async throws -> String {
            let r = try await TacitBinary.run(args)
            guard r.status == 0 else { throw TestFailure("tacit \(args.joined(separator: " ")): \(r.out)\(r.err)") }
            return r.out
        }
        let ca = "\(c.dir)/real-ca"
        _ = try await tacit(["ca", "init", "--dir", ca])
        let ports = try freePorts(Self.parties.count)
        var records: [String] = []
        for (i, n) in Self.parties.enumerated() {
            let keys = "\(c.dir)/\(n)/keys"
            // The member's own ledger keys replace the ones `tacit init` dealt.
            try FileManager.default.removeItem(atPath: "\(keys)/\(n).signing.key")
            try FileManager.default.removeItem(atPath: "\(keys)/\(n).enc.key")
            // The Paillier share `tacit init` dealt is for its own chain: a node on this genesis
            // would refuse it. This consortium runs a secret-shared job and holds no share.
            try FileManager.default.removeItem(atPath: "\(keys)/paillier-share.json")
            let yaml = try String(contentsOfFile: c.config(n), encoding: .utf8)
            try yaml.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("paillierShare:") }.joined(separator: "\n")
                .write(toFile: c.config(n), atomically: true, encoding: .utf8)
            _ = try await tacit(["ledger", "keys", "--name", n, "--out", keys])
            let again = try await TacitBinary.run(["ledger", "keys", "--name", n, "--out", keys])
            #expect(again.status != 0 && again.err.contains("refusing to replace a key"), "\(again.err)")
            _ = try await tacit(["ca", "issue", "--ca", ca, "--member", n, "--public-key", "\(keys)/\(n).signing.pub", "--out", "\(c.dir)/\(n)"])
            #expect(!FileManager.default.fileExists(atPath: "\(c.dir)/\(n)/\(n).signing.key"))
            records.append("\(c.dir)/\(n).member")
            _ = try await tacit([
                "ledger", "member", "--name", n, "--keys", keys, "--cert", "\(c.dir)/\(n)/\(n).crt", "--ca", "\(ca)/ca.crt",
                "--endpoint", "tcp://127.0.0.1:\(ports[i])", "--out", records.last!,
            ])
        }
        let genesis = "\(c.dir)/real-genesis.bin"
        _ = try await tacit(["ledger", "genesis", "--ca", "\(ca)/ca.crt", "--chain", "e2e"] + records.flatMap { ["--member", $0] } + ["--out", genesis])
        for n in Self.parties {
            try FileManager.default.removeItem(atPath: "\(c.dir)/\(n)/ca.crt")
            try FileManager.default.copyItem(atPath: "\(ca)/ca.crt", toPath: "\(c.dir)/\(n)/ca.crt")
        }
        // A founder's key that its certificate does not certify is refused.
        let wrong = try await TacitBinary.run(["ledger", "sign-genesis", "--genesis", genesis, "--name", "insurer", "--key", "\(c.dir)/hospital-a/keys/hospital-a.signing.key"])
        #expect(wrong.status != 0 && wrong.err.contains("is not the key insurer's certificate"), "\(wrong.err)")
        // What founders compare before signing: `inspect` lists each member's fingerprints as
        // the member computes them from its own files, and the CA it was issued under.
        let shown = try await tacit(["ledger", "inspect", genesis, "--ca", "\(ca)/ca.crt"])
        #expect(shown.contains("matches the CA certificate given with --ca") && shown.contains("to sign     \(Self.parties.sorted().joined(separator: ", "))"), "\(shown)")
        for n in Self.parties {
            let own = try await tacit(["keys", "fingerprint", "\(c.dir)/\(n)/keys/\(n).pub", "\(c.dir)/\(n)/keys/\(n).signing.pub"])
            let prints = own.split(separator: "\n").compactMap { $0.components(separatedBy: "SHA-256 ").last }
            #expect(prints.count == 2)
            for p in prints { #expect(shown.contains(p), "\(n)'s fingerprint \(p) is not in the inspection") }
        }
        let caPrint = try await tacit(["ca", "fingerprint", "\(ca)/ca.crt"]).components(separatedBy: "SHA-256 ").last?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(caPrint.map { shown.contains("SHA-256 \($0)") } == true)
        // Under another CA than the founder trusts: shown, and neither inspected as fine nor signed.
        let otherCA = "\(c.dir)/other-ca"
        _ = try await tacit(["ca", "init", "--dir", otherCA])
        let foreign = try await TacitBinary.run(["ledger", "inspect", genesis, "--ca", "\(otherCA)/ca.crt"])
        #expect(foreign.status == 1 && foreign.out.contains("DOES NOT MATCH"), "\(foreign.out)\(foreign.err)")
        let refused = try await TacitBinary.run(["ledger", "sign-genesis", "--genesis", genesis, "--name", "insurer", "--key", "\(c.dir)/insurer/keys/insurer.signing.key", "--ca", "\(otherCA)/ca.crt", "--yes"])
        #expect(refused.status == 1 && refused.err.contains("issued under another CA"), "\(refused.err)")
        // Without --yes and with no terminal to confirm on, nothing is signed.
        let unconfirmed = try await TacitBinary.run(["ledger", "sign-genesis", "--genesis", genesis, "--name", "insurer", "--key", "\(c.dir)/insurer/keys/insurer.signing.key"])
        #expect(unconfirmed.status == 1 && unconfirmed.err.contains("not signed"), "\(unconfirmed.err)")
        #expect(try await tacit(["ledger", "inspect", genesis]).contains("signed by   nobody yet"))
        for (k, n) in Self.parties.enumerated() {
            let out = try await tacit(["ledger", "sign-genesis", "--genesis", genesis, "--name", n, "--key", "\(c.dir)/\(n)/keys/\(n).signing.key", "--ca", "\(ca)/ca.crt", "--yes"])
            #expect(out.contains(k == Self.parties.count - 1 ? "complete" : "still to sign"), "\(out)")
            if k == 0 {
                // Not every founder has signed: a node refuses the genesis.
                try FileManager.default.removeItem(atPath: "\(c.dir)/\(n)/genesis.bin")
                try FileManager.default.copyItem(atPath: genesis, toPath: "\(c.dir)/\(n)/genesis.bin")
                let early = try await TacitBinary.run(["node", "--config", c.config(n)], timeout: 60)
                #expect(early.status != 0 && early.err.contains("lacks the signature"), "\(early.err)")
            }
        }
        for n in Self.parties {
            try? FileManager.default.removeItem(atPath: "\(c.dir)/\(n)/genesis.bin")
            try FileManager.default.copyItem(atPath: genesis, toPath: "\(c.dir)/\(n)/genesis.bin")
        }
        let nodes = try await c.start(Self.parties)
        defer { nodes.values.forEach { $0.kill() } }
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.mpcSpec(id: "sum-1", engine: "shamir", parameters: "  statistic: sum"))).ok)
        try await approveAll(nodes, "sum-1")
        for n in Self.parties {
            let s = try await nodes[n]!.waitFor("sum-1", "completed") { $0.phase.isTerminal }
            #expect(s.phase == .completed, "\(n): \(s.reason ?? "")")
        }
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "result", job: "sum-1")).result?.outputs.first?.value == .number("18892.84"))
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }
        let v = try await TacitBinary.run(["ledger", "show", "--db", "\(c.dir)/insurer/data/ledger.sqlite"])
        #expect(v.out.contains("chain e2e"), "\(v.out)")
    }

    /// The secret-sharing family when a party dies: the survivors' MPC run aborts on the
    /// missing peer, the job fails on the ledger naming it, and nothing is opened. Both
    /// honest-majority engines (the job has exactly three parties).
    @Test(arguments: ["shamir", "replicated"])
    func partyKilledMidSecretSharedJobFailsIt(_ engine: String) async throws {
        let c = try await LocalConsortium(Self.parties, timeout: 4)
        defer { c.cleanup() }
        let nodes = try await c.start(environment: ["TACIT_TEST_PROGRESS_DELAY_MS": "1500"])
        defer { nodes.values.forEach { $0.kill() } }
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.mpcSpec(id: "mpc-killed", engine: engine, parameters: "  statistic: sum"))).ok)
        try await approveAll(nodes, "mpc-killed")
        _ = try await nodes["hospital-b"]!.waitFor("mpc-killed", "running") { $0.progressStep != nil }
        nodes["hospital-b"]!.kill()
        for n in ["insurer", "hospital-a"] {
            let s = try await nodes[n]!.waitFor("mpc-killed", "failed", { $0.phase.isTerminal })
            #expect(s.phase == .failed, "\(n): \(s.phase)")
            #expect(s.reason?.contains("hospital-b") == true, "\(s.reason ?? "")")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(c.dir)/insurer/data/results/mpc-killed.json"))
        for n in ["insurer", "hospital-a"] { #expect(await nodes[n]!.terminate() == 0, "\(nodes[n]!.stderr)") }
    }

    /// A share dealt for another consortium (or another key) is never used: the genesis did
    /// not record the key, so nodes used to accept it (issue 12).
    @Test func paillierShareMustMatchTheLedgersKey() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        var nodes = try await c.start()
        defer { nodes.values.forEach { $0.kill() } }
        let status = try await TacitBinary.run(["node", "status", "--config", c.config("hospital-a")])
        #expect(status.status == 0 && status.out.contains("registered at block") && status.out.contains("matches the ledger's key"), "\(status.out)\(status.err)")
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }
        nodes = [:]

        let other = try await LocalConsortium(Self.parties)
        defer { other.cleanup() }
        let mine = "\(c.dir)/hospital-a/keys/paillier-share.json"
        let foreign = try #require(FileManager.default.contents(atPath: "\(other.dir)/hospital-a/keys/paillier-share.json"))
        func install(_ data: Data) throws {
            try FileManager.default.removeItem(atPath: mine)
            #expect(FileManager.default.createFile(atPath: mine, contents: data, attributes: [.posixPermissions: 0o600]))
        }
        // As dealt for the other consortium: its registration names the other chain.
        try install(foreign)
        let withRegistration = try await TacitBinary.run(["node", "--config", c.config("hospital-a")], timeout: 60)
        #expect(withRegistration.status != 0 && withRegistration.err.contains("for another key or consortium"), "\(withRegistration.err)")
        // Without it: the key on this ledger is another one.
        var json = try #require(try JSONSerialization.jsonObject(with: foreign) as? [String: Any])
        json["registration"] = nil
        try install(try JSONSerialization.data(withJSONObject: json))
        let bare = try await TacitBinary.run(["node", "--config", c.config("hospital-a")], timeout: 60)
        #expect(bare.status != 0 && bare.err.contains("not to the key registered on the ledger at block"), "\(bare.err)")
    }

    /// With no Paillier key on the ledger, a Paillier job is refused before it is proposed
    /// (issue 12: it was accepted and failed only after the hospitals committed their inputs).
    @Test func paillierJobIsRefusedWithoutARegisteredKey() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        for n in Self.parties {
            let path = "\(c.dir)/\(n)/keys/paillier-share.json"
            let data = try #require(FileManager.default.contents(atPath: path))
            var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            json["registration"] = nil
            try FileManager.default.removeItem(atPath: path)
            #expect(FileManager.default.createFile(atPath: path, contents: try JSONSerialization.data(withJSONObject: json), attributes: [.posixPermissions: 0o600]))
        }
        let nodes = try await c.start(Self.parties)
        defer { nodes.values.forEach { $0.kill() } }
        let r = try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.spec(id: "no-key")))
        #expect(!r.ok && r.error?.contains("none is registered on the ledger") == true, "\(r.error ?? "")")
        let s = try nodes["insurer"]!.ask(ControlRequest(op: "node-status")).node
        #expect(s?.paillierKey == nil && s?.paillierShareProblem?.contains("no Paillier key is registered") == true)
        // Jobs that need no Paillier key are unaffected.
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "submit", spec: Self.mpcSpec(id: "mean-ok", engine: "shamir", parameters: "  statistic: mean"))).ok)
        for n in Self.parties { #expect(await nodes[n]!.terminate() == 0) }
    }

    @Test func brokenSpecGetsAnErrorPointingAtTheLine() async throws {
        let c = try await LocalConsortium(Self.parties)
        defer { c.cleanup() }
        let nodes = try await c.start(["insurer"])
        defer { nodes.values.forEach { $0.kill() } }
        let broken = Self.spec(id: "bad").replacingOccurrences(of: "  - name: hospital-b\n", with: "  - name: hospital-z\n")
        let path = try c.writeSpec(broken, name: "bad.yaml")
        let r = try await TacitBinary.run(["job", "submit", "--config", c.config("insurer"), path])
        #expect(r.status != 0)
        #expect(r.err.contains("\(path):8:"), "\(r.err)")
        #expect(r.err.contains("'hospital-z' is not a member of this consortium"), "\(r.err)")
        // The node is still there and still has no jobs.
        #expect(try nodes["insurer"]!.ask(ControlRequest(op: "list")).jobs?.isEmpty == true)
        #expect(await nodes["insurer"]!.terminate() == 0)
    }
}
