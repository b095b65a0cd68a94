import Foundation
import Logging
import Testing
import TacitBytes
import TacitJob
import TacitLedger
import TacitNet
import TacitProtocols
import TacitTestSupport

@testable import TacitNode

/// A member added on the ledger takes part in consensus and jobs without any node restarting
/// (issue 11: ledger peers were linked once at start and a job's members fixed at start, so
/// an added member was heard only after every other node restarted).
@Suite("An added member takes part without a restart", .serialized, .timeLimit(.minutes(8)))
struct AddedMemberTests {
    static let founders = ["A", "B", "C"]
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func timeouts() -> ConsensusTimeouts {
        var t = ConsensusTimeouts()
        t.propose = .milliseconds(300)
        t.tick = .milliseconds(100)
        return t
    }

    /// One member's mesh, ledger and membership follower, as `PartyNode.start` wires them.
    struct Member {
        let mesh: ZeroMQMesh
        let ledger: ConsortiumLedger
        let follower: Task<Void, Never>

        static func start(_ name: String, dir: String, genesis: Genesis, consortium: Consortium) async throws -> Member {
            var c = MeshConfiguration(
                name: PartyID(name), keyPair: CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(dir)/\(name).key")),
                consortium: consortium)
            c.linger = .milliseconds(100)
            c.reconnectIntervalMax = .milliseconds(300)
            let mesh = try ZeroMQMesh(configuration: c, logger: AddedMemberTests.quiet)
            do {
                let ledger = try await ConsortiumLedger.start(
                    identity: try LedgerFiles.signingKey(dir: dir, name: name), genesis: genesis, databasePath: "\(dir)/\(name).sqlite",
                    channel: mesh, timeouts: AddedMemberTests.timeouts(), submitTimeout: .seconds(30), logger: AddedMemberTests.quiet)
                return Member(mesh: mesh, ledger: ledger, follower: PartyNode.followMembership(ledger: ledger, mesh: mesh, logger: AddedMemberTests.quiet))
            } catch {
                mesh.close()
                throw error
            }
        }

        func stop() async {
            follower.cancel()
            await ledger.close()
            mesh.close()
        }
    }

    static func addition(_ record: MemberRecord, dir: String, genesis: Genesis) throws -> Transaction {
        // Every founder endorses: the default change threshold is all members.
        let ids = try founders.map { try LedgerFiles.signingKey(dir: dir, name: $0) }
        return Transaction(chainID: genesis.hash, author: ids[0], nonce: 1, body: .memberAdded(record), endorsers: Array(ids.dropFirst()))
    }

    @Test("D, added on the ledger and started from a verified backup of A's replica, makes the quorum once C stops")
    func addedMemberTakesPartInConsensus() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-added-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = try freePorts(4)
        let genesis = try LedgerFiles.createTestnet(
            dir: dir, members: Self.founders.enumerated().map { ($1, "tcp://127.0.0.1:\(ports[$0])") })
        let recordD = try LedgerFiles.createTestnetMember(dir: dir, name: "D", endpoint: "tcp://127.0.0.1:\(ports[3])")
        let start = try LedgerFiles.consortium(try genesis.verify())
        var members: [String: Member] = [:]
        func stopAll() async { for m in members.values { await m.stop() } }
        do {
            for n in Self.founders { members[n] = try await Member.start(n, dir: dir, genesis: genesis, consortium: start) }
            let a = try #require(members["A"])
            let added = try await a.ledger.node.submitAndWait(try Self.addition(recordD, dir: dir, genesis: genesis), timeout: commitTimeout)

            // D's operator copies A's replica (`tacit ledger backup`) and verifies it against the
            // consortium's chain id before starting from it.
            let backup = try LedgerReplica(path: "\(dir)/A.sqlite").backup(to: "\(dir)/D.sqlite")
            #expect(backup.failure == nil && backup.verifiedHeight >= added)
            let pinned = try LedgerReplica(path: "\(dir)/D.sqlite").verify(pins: .init(chainID: genesis.hash.hex))
            #expect(pinned.failure == nil && pinned.state?.members == ["A", "B", "C", "D"])
            let replayed = try #require(PartyNode.replayedMembership(genesis: genesis, databasePath: "\(dir)/D.sqlite", logger: Self.quiet))
            let consortiumD = try #require(PartyNode.transportConsortium(replayed, logger: Self.quiet))
            members["D"] = try await Member.start("D", dir: dir, genesis: genesis, consortium: consortiumD)
            let d = try #require(members["D"])

            // With four members the quorum is three: once C is down, nothing commits unless
            // A and B exchange votes with D.
            await members.removeValue(forKey: "C")?.stop()
            let header = JobHeader(jobID: "after-d", protocolName: "sum", parties: [.init(name: "A", role: "input", inputFields: ["x"])])
            let tx = await a.ledger.node.author(.jobProposed(header, spec: Array("{}".utf8)))
            let h = try await a.ledger.node.submitAndWait(tx, timeout: commitTimeout)
            #expect(h > added)
            let deadline = ContinuousClock.now + .seconds(60)
            while await d.ledger.node.height < h, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let hashD = await d.ledger.node.hash(at: h)
            let hashA = await a.ledger.node.hash(at: h)
            #expect(hashD != nil && hashD == hashA, "D's block \(h) differs from A's")
            // C is down but still a member: A keeps its link to C and has one to D.
            #expect(await a.ledger.node.linkedPeers == ["B", "C", "D"])
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }

    /// A, B and C commit D's `MemberAdded` over the in-memory mesh; returns the directory
    /// with A's replica at `A.sqlite` and the genesis.
    static func replicaWithD() async throws -> (dir: String, genesis: Genesis) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-added-\(UUID().uuidString.prefix(8))").path
        let genesis = try LedgerFiles.createTestnet(dir: dir, members: founders.enumerated().map { ($1, "tcp://127.0.0.1:\(20001 + $0)") })
        let recordD = try LedgerFiles.createTestnetMember(dir: dir, name: "D", endpoint: "tcp://127.0.0.1:20004")
        let mesh = InMemoryMesh(parties: founders.map { PartyID($0) })
        var nodes: [LedgerNode] = []
        for n in founders {
            let replica = try Replica(store: try LedgerStore(path: "\(dir)/\(n).sqlite"), genesis: genesis)
            let node = try LedgerNode(
                identity: try LedgerFiles.signingKey(dir: dir, name: n), replica: replica, channel: mesh.channel(for: PartyID(n)),
                timeouts: timeouts(), logger: quiet)
            await node.start()
            nodes.append(node)
        }
        do { _ = try await nodes[0].submitAndWait(try addition(recordD, dir: dir, genesis: genesis), timeout: commitTimeout) } catch {
            for n in nodes { await n.stop() }
            throw error
        }
        for n in nodes { await n.stop() }
        return (dir, genesis)
    }

    static func config(_ name: String, dir: String, data: String) throws -> NodeConfig {
        try FileManager.default.createDirectory(atPath: "\(dir)/\(data)", withIntermediateDirectories: true)
        return try NodeConfig.parse(
            """
            name: \(name)
            genesis: genesis.bin
            ca: ca.crt
            keys: {transport: \(name).key, signing: \(name).signing.key}
            dataDirectory: \(data)
            """, baseDirectory: dir)
    }

    static func curveKey(_ name: String, dir: String) throws -> String {
        CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(dir)/\(name).key")).publicKey.z85
    }

    @Test("a member the genesis does not list starts from a verified replica that lists it; one listed nowhere gets a clear error")
    func addedMemberStartsFromAReplica() async throws {
        let (dir, genesis) = try await Self.replicaWithD()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try Self.config("D", dir: dir, data: "d")
        // Without a replica D is a stranger to this node: the genesis alone does not list it.
        await expectNodeError(.invalidConfig) { _ = try PartyNode.ledgerIdentity(d, curvePublicKey: try Self.curveKey("D", dir: dir), logger: Self.quiet) }

        _ = try LedgerReplica(path: "\(dir)/A.sqlite").backup(to: d.ledgerDatabasePath)
        let (_, consortium, identity, _) = try PartyNode.ledgerIdentity(d, curvePublicKey: try Self.curveKey("D", dir: dir), logger: Self.quiet)
        #expect(identity.name == "D")
        #expect(consortium.names == ["A", "B", "C", "D"])
        // The replica lists D with D's keys, not with any key: another transport key is refused.
        await expectNodeError(.keys) { _ = try PartyNode.ledgerIdentity(d, curvePublicKey: try Self.curveKey("A", dir: dir), logger: Self.quiet) }

        // E has keys under the same CA but was never added: the replica does not let it in.
        _ = try LedgerFiles.createTestnetMember(dir: dir, name: "E", endpoint: "tcp://127.0.0.1:20005")
        let e = try Self.config("E", dir: dir, data: "e")
        _ = try LedgerReplica(path: "\(dir)/A.sqlite").backup(to: e.ledgerDatabasePath)
        await expectNodeError(.invalidConfig) { _ = try PartyNode.ledgerIdentity(e, curvePublicKey: try Self.curveKey("E", dir: dir), logger: Self.quiet) }

        // A replica of another chain proves nothing about this one, whatever it lists.
        let other = try await Self.replicaWithD()
        defer { try? FileManager.default.removeItem(atPath: other.dir) }
        #expect(other.genesis.hash != genesis.hash)
        try FileManager.default.removeItem(atPath: d.ledgerDatabasePath)
        _ = try LedgerReplica(path: "\(other.dir)/A.sqlite").backup(to: d.ledgerDatabasePath)
        await expectNodeError(.ledger) { _ = try PartyNode.ledgerIdentity(d, curvePublicKey: try Self.curveKey("D", dir: dir), logger: Self.quiet) }
    }

    static let specNamingD = """
        id: with-d
        protocol: paillier-aggregation
        parties:
          - {name: A, roles: [input], input: {dataset: elsewhere, columns: [amount]}}
          - {name: D, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: B, roles: [compute]}
        parameters: {statistic: mean}
        outputs:
          - {name: avg, recipients: [B], public: true}
        """

    /// What A's operator submits: A computes, so only the membership can make it invalid.
    static let specFromA = """
        id: from-a
        protocol: paillier-aggregation
        parties:
          - {name: B, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: D, roles: [input], input: {dataset: claims, columns: [amount]}}
          - {name: A, roles: [compute]}
        parameters: {statistic: mean}
        outputs:
          - {name: avg, recipients: [A], public: true}
        """

    @Test("a job naming a member added after the node started is acted on, not ignored until a restart")
    func jobsFollowTheCurrentMembership() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-added-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ledger = InMemoryLedger()
        let mesh = InMemoryMesh(parties: ["A", "B", "D"], defaultTimeout: .seconds(5))
        let current = Locked<[PartyID]>(["A", "B"])
        // A offers no dataset 'elsewhere', so once it accepts the spec it rejects the job.
        let a = JobManager(
            party: "A", ledger: ledger.replica(for: "A"), channel: mesh.channel(for: "A"), registry: .standard(), secrets: .none,
            datasets: [], members: { current.withLock { $0 } }, dataDirectory: dir, stepTimeout: .seconds(5), logger: Self.quiet)
        let spec = try JobSpec.parse(Self.specNamingD, context: SpecContext(members: ["A", "B", "D"], registry: .standard()))
        func rejectedByA() -> Bool {
            ledger.allEntries.contains { if case .jobRejected("with-d", _) = $0.transaction { $0.author == "A" } else { false } }
        }

        // Before D is added: A's operator cannot name D, and D's proposal on the ledger is ignored.
        await expectNodeError(.invalidSpec) { _ = try await a.submit(specText: Self.specFromA, file: nil) }
        ledger.append(.jobProposed(spec), author: "D")
        await a.reconcile()
        #expect(!rejectedByA())

        // The ledger adds D; A acts on the same proposal at its next reconcile, no restart.
        current.withLock { $0 = ["A", "B", "D"] }
        await a.reconcile()
        #expect(rejectedByA())
        let id = try await a.submit(specText: Self.specFromA, file: nil)
        #expect(id == "from-a")
    }

    static func nodeConfig(_ name: String, dir: String) throws -> NodeConfig {
        let data = "\(dir)/\(name)-data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try "amount\n10.00\n5.25\n".write(toFile: "\(data)/claims.csv", atomically: true, encoding: .utf8)
        return try NodeConfig.parse(
            """
            name: \(name)
            genesis: genesis.bin
            ca: ca.crt
            keys: {transport: \(name).key, signing: \(name).signing.key}
            dataDirectory: \(name)-data
            datasets:
              - name: claims
                file: claims.csv
                columns:
                  - {name: amount, type: decimal, fractionDigits: 2}
            protocolTimeoutSeconds: 30
            """, baseDirectory: dir)
    }

    @Test("party nodes run a job with a member added while they ran; the member's node starts from a backup")
    func nodesRunAJobWithAnAddedMember() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tn-added-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = try freePorts(4)
        let genesis = try LedgerFiles.createTestnet(dir: dir, members: Self.founders.enumerated().map { ($1, "tcp://127.0.0.1:\(ports[$0])") })
        let recordD = try LedgerFiles.createTestnetMember(dir: dir, name: "D", endpoint: "tcp://127.0.0.1:\(ports[3])")
        var nodes: [String: PartyNode] = [:]
        func shutdownAll() async { for n in nodes.values { await n.shutdown() } }
        do {
            for n in Self.founders { nodes[n] = try await PartyNode.start(config: try Self.nodeConfig(n, dir: dir), logger: Self.quiet) }
            let a = try #require(nodes["A"])
            _ = try await a.ledger.node.submitAndWait(try Self.addition(recordD, dir: dir, genesis: genesis), timeout: commitTimeout)
            let configD = try Self.nodeConfig("D", dir: dir)
            _ = try LedgerReplica(path: a.config.ledgerDatabasePath).backup(to: configD.ledgerDatabasePath)
            nodes["D"] = try await PartyNode.start(config: configD, logger: Self.quiet)
            let d = try #require(nodes["D"])

            // A and B started before D existed; D proposes, all approve, A and D give inputs.
            let id = try await d.jobs.submit(
                specText: """
                    id: with-d
                    protocol: statistics
                    engine: shamir
                    parties:
                      - {name: A, roles: [input], input: {dataset: claims, columns: [amount]}}
                      - {name: D, roles: [input], input: {dataset: claims, columns: [amount]}}
                      - {name: B, roles: [compute]}
                    parameters: {statistic: sum}
                    outputs:
                      - {name: total, recipients: [D]}
                    """, file: nil)
            // Committed at D's replica when submit returns; the others may still be a block behind.
            let seen = ContinuousClock.now + .seconds(60)
            for n in ["A", "B", "D"] {
                while (try? await nodes[n]!.jobs.status(id)) == nil, ContinuousClock.now < seen { try await Task.sleep(for: .milliseconds(20)) }
                try await nodes[n]!.jobs.approve(id, columns: nil)
            }
            let deadline = ContinuousClock.now + .seconds(120)
            var phase = try await d.jobs.status(id).phase
            while !phase.isTerminal, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                phase = try await d.jobs.status(id).phase
            }
            let status = try await d.jobs.status(id)
            #expect(status.phase == .completed, "\(status.reason ?? "not finished: \(status.phase)")")
            if status.phase == .completed {
                #expect(try await d.jobs.result(id).outputs.first?.value == .number("30.50"))
            }
        } catch {
            await shutdownAll()
            throw error
        }
        await shutdownAll()
    }
}
