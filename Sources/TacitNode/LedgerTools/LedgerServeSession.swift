import Foundation
import TacitLedger
import TacitNet

/// A member's ledger node driven line by line (`tacit ledger serve`, for the multi-process
/// ledger tests and benchmarks): `height`, `hash H`, `propose ID`, `load N`, `latency N`, `stats`, `quit`.
public final class LedgerServeSession: Sendable {
    let name: String
    let node: LedgerNode
    let mesh: ZeroMQMesh

    init(name: String, node: LedgerNode, mesh: ZeroMQMesh) {
        self.name = name
        self.node = node
        self.mesh = mesh
    }

    /// Starts member `name` of the testnet in `directory` (keys and genesis as
    /// `ConsortiumSetup.createTestnet` writes them) with its replica at `databasePath`;
    /// consensus timeouts scale with `timeoutScaleMs`. Errors are the lower layers' own.
    public static func start(directory dir: String, name: String, databasePath db: String, timeoutScaleMs: Int) async throws -> LedgerServeSession {
        let identity = try LedgerFiles.signingKey(dir: dir, name: name)
        let genesis = try LedgerFiles.genesis(dir: dir)
        let replica = try Replica(store: try LedgerStore(path: db), genesis: genesis)
        let consortium = try LedgerFiles.consortium(replica.state.membership)
        var config = MeshConfiguration(
            name: PartyID(name), keyPair: CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: "\(dir)/\(name).key")),
            consortium: consortium)
        config.reconnectIntervalMax = .milliseconds(500)
        config.linger = .milliseconds(200)
        config.sendQueueLimit = 1 << 16
        config.heartbeatInterval = .milliseconds(500)
        config.heartbeatTimeout = .seconds(2)
        let mesh = try ZeroMQMesh(configuration: config)
        var t = ConsensusTimeouts()
        t.propose = .milliseconds(timeoutScaleMs)
        t.prevote = .milliseconds(timeoutScaleMs / 2)
        t.precommit = .milliseconds(timeoutScaleMs / 2)
        t.delta = .milliseconds(timeoutScaleMs / 2)
        t.tick = .milliseconds(max(50, timeoutScaleMs / 2))
        let node = try LedgerNode(identity: identity, replica: replica, channel: mesh, timeouts: t)
        await node.start()
        return LedgerServeSession(name: name, node: node, mesh: mesh)
    }

    public var height: UInt64 { get async { await node.height } }

    /// Runs one command line. Returns the reply line (nil for a blank line) and whether the
    /// session has ended (`quit`: the node is stopped and the mesh closed).
    public func handle(_ line: String) async -> (reply: String?, finished: Bool) {
        let f = line.split(separator: " ")
        guard let cmd = f.first else { return (nil, false) }
        do {
            switch cmd {
            case "height":
                return ("OK height \(await node.height) \(await node.lastHash.hex)", false)
            case "hash" where f.count == 2:
                guard let h = UInt64(f[1]), let hash = await node.hash(at: h) else { return ("ERR no committed block at \(f[1])", false) }
                return ("OK hash \(h) \(hash.hex)", false)
            case "propose" where f.count == 2:
                let tx = await node.author(.jobProposed(JobHeader(jobID: String(f[1]), protocolName: "demo", parties: [.init(name: name, role: "input", inputFields: ["x"])]), spec: []))
                let h = try await node.submitAndWait(tx)
                return ("OK committed \(h)", false)
            case "load" where f.count == 2:
                let n = Int(f[1]) ?? 0
                let tag = UUID().uuidString.prefix(8)
                var txs: [Transaction] = []
                for i in 0..<n { txs.append(await node.author(benchBody("\(name)-\(tag)-\(i)"))) }
                let clock = ContinuousClock()
                let t0 = clock.now
                for chunk in stride(from: 0, to: n, by: 256) { try await node.submit(Array(txs[chunk..<min(n, chunk + 256)])) }
                for tx in txs { _ = try await node.waitCommitted(tx.id, timeout: .seconds(120)) }
                let ms = (clock.now - t0) / .milliseconds(1)
                return ("OK load \(n) \(String(format: "%.1f", ms))", false)
            case "latency" where f.count == 2:
                let n = Int(f[1]) ?? 0
                var samples: [Double] = []
                let clock = ContinuousClock()
                for i in 0..<n {
                    let tx = await node.author(benchBody("\(name)-lat-\(UUID().uuidString.prefix(8))-\(i)"))
                    let t0 = clock.now
                    _ = try await node.submitAndWait(tx)
                    samples.append((clock.now - t0) / .milliseconds(1))
                }
                samples.sort()
                let p50 = samples.isEmpty ? 0 : samples[samples.count / 2]
                let p99 = samples.isEmpty ? 0 : samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
                return ("OK latency \(String(format: "%.2f", p50)) \(String(format: "%.2f", p99))", false)
            case "stats":
                return ("STATS \(mesh.stats)", false)
            case "quit":
                await stop()
                return ("BYE", true)
            default:
                return ("ERR usage unknown command", false)
            }
        } catch let e as LedgerError {
            return ("ERR \(e.code) \(e.reason)", false)
        } catch {
            return ("ERR other \(error)", false)
        }
    }

    /// Stops the node and closes the mesh.
    public func stop() async {
        await node.stop()
        mesh.close()
    }

    func benchBody(_ id: String) -> TransactionBody {
        .jobProposed(JobHeader(jobID: id, protocolName: "bench", parties: [.init(name: name, role: "input", inputFields: ["x"])]), spec: [])
    }
}

/// The machine's bounds for the ledger benchmark (`tacit ledger bounds`).
public struct MachineBounds: Sendable, Hashable {
    /// Ed25519 verifications per second on one core and on all cores.
    public var verifyOneCore: Double
    public var verifyAllCores: Double
    /// Durable SQLite commits per second in the directory measured.
    public var durableCommits: Double

    public static func measure(directory: String) throws -> MachineBounds {
        let r = try LedgerBounds.measure(dir: directory)
        return MachineBounds(verifyOneCore: r.verifyOneCore, verifyAllCores: r.verifyAllCores, durableCommits: r.durableCommits)
    }
}
