import Foundation
public import Logging
import TacitCrypto
import TacitLedger
public import TacitJob
public import TacitProtocols
public import TacitNet
import TacitBytes

/// A running party node: the mesh, the ledger replica, the job manager and the control
/// socket, composed from a `NodeConfig`.
public final class PartyNode: Sendable {
    public let config: NodeConfig
    public let mesh: ZeroMQMesh
    public let ledger: ConsortiumLedger
    public let jobs: JobManager
    private let control: ControlServer
    private let started = ContinuousClock.now
    let logger: Logger
    private let registry: JobProtocolRegistry
    /// Applies committed membership changes to the mesh's allow-list; ends with the ledger.
    private let membershipFollower: Task<Void, Never>
    /// This node's Paillier key share and the holders its file lists, for `node-status`.
    let paillierShare: Locked<(material: PaillierKeyMaterial, holders: [String])?>
    /// The `tacit paillier keygen` ceremony of this node, if one ran since start.
    let keygen = Locked(PaillierKeygenStatus(state: .idle))
    /// How the ceremony makes the key: without a dealer unless a request says `dealer`.
    static let distributedKeyMaker: PaillierKeyMaker? = PaillierCeremony.distributed

    public static func start(config: NodeConfig, registry: JobProtocolRegistry = .standard(), logger: Logger) async throws -> PartyNode {
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(config.dataDirectory, 0o700)
        let keyPair = CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: config.transportKeyPath))
        let (genesis, genesisConsortium, identity, encryptionKey) = try Self.ledgerIdentity(config, curvePublicKey: keyPair.publicKey.z85, logger: logger)
        // The allow-list is the membership after every committed block, not the genesis: a
        // member removed since must not be admitted, one added since must be able to connect.
        var consortium = genesisConsortium
        if let m = Self.replayedMembership(genesis: genesis, databasePath: config.ledgerDatabasePath, logger: logger) {
            guard let c = Self.transportConsortium(m, logger: logger) else {
                throw NodeError(.invalidConfig, "no member of the ledger \(config.ledgerDatabasePath) has a usable transport entry (CURVE key, endpoint)")
            }
            consortium = c
        }
        guard consortium.member(named: config.name)?.publicKey == keyPair.publicKey else {
            throw NodeError(
                .invalidConfig,
                "\(config.name) is no longer a member with this transport key on the ledger \(config.ledgerDatabasePath) "
                    + "(members: \(consortium.names.map(\.name).joined(separator: ", "))); ask the consortium to re-admit it")
        }
        var secrets = JobResources.none
        var shareHolders: [String] = []
        var registration: TacitLedger.Transaction?
        if let sharePath = config.paillierSharePath {
            do { try SecretFile.requirePrivate(atPath: sharePath) } catch { throw NodeError(.keys, error.message) }
            guard let data = FileManager.default.contents(atPath: sharePath) else {
                throw NodeError(.keys, "cannot read the Paillier key share \(sharePath)")
            }
            let file = try JSONDecoder().decode(PaillierShareFile.self, from: data)
            let (share, index) = try file.load(allowInsecureKeySizes: config.allowInsecureKeySizes)
            guard index[config.name] == share.index else {
                throw NodeError(.keys, "\(sharePath) is share \(share.index), which belongs to \(file.holders[share.index - 1]), not \(config.name)")
            }
            if share.thresholdKey.publicKey.bits < 2048 {
                logger.critical("INSECURE: the consortium's Paillier key has \(share.thresholdKey.publicKey.bits) bits; for tests and local trials only")
            }
            secrets = JobResources(paillier: PaillierKeyMaterial(share: share, indexOf: index))
            shareHolders = file.holders
            registration = try file.registrationTransaction(chainID: genesis.hash)
        }
        for d in config.datasets where !FileManager.default.fileExists(atPath: d.file) {
            logger.warning("dataset '\(d.name)' file \(d.file) does not exist yet; jobs using it will fail")
        }

        var meshConfig = MeshConfiguration(name: config.name, keyPair: keyPair, consortium: consortium)
        meshConfig.bindEndpoint = config.bind
        meshConfig.defaultTimeout = config.protocolTimeout
        meshConfig.heartbeatTimeout = .seconds(5)
        meshConfig.reconnectIntervalMax = .seconds(1)
        let mesh = try ZeroMQMesh(configuration: meshConfig, logger: logger)
        do {
            let ledger = try await ConsortiumLedger.start(
                identity: identity, genesis: genesis, databasePath: config.ledgerDatabasePath, channel: mesh,
                encryptionKey: encryptionKey, submitTimeout: .seconds(60), logger: logger)
            if let material = secrets.paillier {
                do {
                    try await Self.checkPaillierShare(material, holders: shareHolders, registration: registration, ledger: ledger, me: config.name, logger: logger)
                } catch {
                    await ledger.close()
                    throw error
                }
            }
            let delay = ProcessInfo.processInfo.environment["TACIT_TEST_PROGRESS_DELAY_MS"].flatMap(Int.init).map { Duration.milliseconds($0) }
            let jobs = JobManager(
                party: config.name, ledger: ledger, channel: mesh, registry: registry, secrets: secrets, datasets: config.datasets,
                members: { [ledger] in await ledger.members() },
                paillierKey: { [ledger] in await ledger.node.state.keys[ThresholdKeyRecord.paillierScheme] }, dataDirectory: config.dataDirectory, stepTimeout: config.protocolTimeout,
                logger: logger, progressDelay: delay)
            let follower = Self.followMembership(ledger: ledger, mesh: mesh, logger: logger)
            let node: PartyNode
            do {
                node = try PartyNode(
                    config: config, mesh: mesh, ledger: ledger, jobs: jobs, registry: registry, follower: follower,
                    paillierShare: secrets.paillier.map { ($0, shareHolders) }, logger: logger)
            } catch {
                follower.cancel()
                await ledger.close()
                throw error
            }
            await jobs.start()
            let entryCount = await ledger.entries().count
            logger.info("node up", metadata: [
                "party": "\(config.name)", "bound": "\(mesh.boundEndpoint)", "control": "\(config.controlSocketPath)",
                "ledgerEntries": "\(entryCount)",
            ])
            return node
        } catch {
            mesh.close()
            throw error
        }
    }

    /// The genesis (checked against the CA this node trusts), the mesh's consortium derived
    /// from the membership that lists this node, and this node's ledger identity (its key
    /// must be the one that membership certifies for it, its CURVE key and its encryption key,
    /// when configured, the ones it lists).
    ///
    /// The membership is the genesis's, or, for a member added after the genesis, that of the
    /// local replica: its operator starts from a verified backup of a member's replica
    /// (`tacit ledger backup`), which must still verify here as a chain from this genesis.
    static func ledgerIdentity(_ config: NodeConfig, curvePublicKey: String, logger: Logger) throws -> (Genesis, Consortium, SigningIdentity, EncryptionKey?) {
        do {
            let genesis = try LedgerFiles.genesis(path: config.genesisPath)
            let founders = try genesis.verify()
            if let caPath = config.caPath {
                let ca = try ConsortiumCA.der(try LedgerKeyFiles.readCertificate(path: caPath))
                guard ca == genesis.caCertificateDER else {
                    throw NodeError(.keys, "the genesis \(config.genesisPath) was issued under another CA than \(caPath); ask the consortium for its genesis")
                }
            }
            var membership = founders
            var source = "the genesis \(config.genesisPath)"
            if founders.records[config.name.name] == nil {
                guard let m = try Self.verifiedReplicaMembership(genesis: genesis, databasePath: config.ledgerDatabasePath),
                      m.records[config.name.name] != nil else {
                    throw NodeError(
                        .invalidConfig,
                        "\(config.name) is not a member in the genesis \(config.genesisPath) (members: \(founders.names.joined(separator: ", "))) "
                            + "nor on the ledger replica \(config.ledgerDatabasePath); a member added since the genesis starts from a "
                            + "verified backup of a member's replica (tacit ledger backup, then tacit ledger verify --chain-id) copied there")
                }
                membership = m
                source = "the ledger replica \(config.ledgerDatabasePath)"
            }
            guard let me = membership.records[config.name.name] else {
                throw NodeError(.invalidConfig, "\(config.name) is not a member in \(source) (members: \(membership.names.joined(separator: ", ")))")
            }
            guard me.curveKey == curvePublicKey else {
                throw NodeError(.keys, "the transport key \(config.transportKeyPath) is not the CURVE key \(source) lists for \(config.name)")
            }
            let key = try SigningKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "ed25519", path: config.signingKeyPath))
            guard membership.keys[config.name.name] == key.publicKey else {
                throw NodeError(.keys, "the signing key \(config.signingKeyPath) is not the key \(config.name)'s certificate in \(source) certifies")
            }
            var encryptionKey: EncryptionKey?
            if let path = config.encryptionKeyPath {
                let k = try EncryptionKey(rawRepresentation: try LedgerKeyFiles.readSecret(kind: "x25519", path: path))
                guard k.publicKey == me.encryptionKey else {
                    throw NodeError(.keys, "the encryption key \(path) is not the X25519 key \(source) lists for \(config.name); give this member's own \(config.name).enc.key")
                }
                encryptionKey = k
            }
            guard let consortium = transportConsortium(membership, logger: logger) else {
                throw NodeError(.invalidConfig, "no member in \(source) has a usable transport entry (CURVE key, endpoint)")
            }
            return (genesis, consortium, SigningIdentity(name: config.name.name, key: key), encryptionKey)
        } catch let e as LedgerError {
            throw NodeError(.keys, e.reason)
        }
    }

    /// The membership of the replica at `databasePath` once the whole chain verified (every
    /// block's quorum, every signature, every endorsement) from `genesis`; nil when there is no
    /// replica. Throws if it does not verify or belongs to another genesis: the membership
    /// then proves nothing.
    static func verifiedReplicaMembership(genesis: Genesis, databasePath: String) throws -> Membership? {
        guard FileManager.default.fileExists(atPath: databasePath) else { return nil }
        let store: LedgerStore
        do { store = try LedgerStore(path: databasePath, readOnly: true) } catch let e as LedgerError {
            throw NodeError(.ledger, "cannot open the ledger replica \(databasePath): \(e.reason)")
        }
        let report = LedgerVerifier.verify(store: store, expecting: .init(chainID: genesis.hash))
        if let f = report.failure {
            throw NodeError(
                .ledger,
                "the ledger replica \(databasePath) does not verify against the genesis \(genesis.hash.short)"
                    + "\(f.height.map { " (block \($0))" } ?? ""): \(f.reason); start from a fresh backup of a member's replica")
        }
        return report.state?.membership
    }

    /// The membership after replaying the local replica, or nil when there is none yet (a new
    /// node) or it cannot be read (then the genesis is used, and the follower corrects the
    /// allow-list as soon as the ledger is up).
    static func replayedMembership(genesis: Genesis, databasePath: String, logger: Logger) -> Membership? {
        guard FileManager.default.fileExists(atPath: databasePath) else { return nil }
        do {
            let replica = try Replica(store: try LedgerStore(path: databasePath, readOnly: true))
            guard replica.state.genesis.hash == genesis.hash else { return nil }
            return replica.state.membership
        } catch {
            logger.warning(
                "cannot replay the ledger before starting the mesh; starting from the genesis membership",
                metadata: ["database": "\(databasePath)", "error": "\(error)"])
            return nil
        }
    }

    /// The mesh's consortium from a ledger membership. Records come from other members'
    /// transactions: one the transport cannot use (bad CURVE key, name or endpoint, or a
    /// CURVE key two members share) is left out with a logged reason rather than stopping the
    /// node or the allow-list from following the ledger.
    static func transportConsortium(_ m: Membership, logger: Logger) -> Consortium? {
        var members: [Consortium.Member] = []
        for name in m.names {
            guard let r = m.records[name] else { continue }
            do {
                members.append(try Consortium.Member(name: PartyID(name), publicKey: CurvePublicKey(z85: r.curveKey), endpoint: r.endpoint))
            } catch {
                logger.error("ledger member left out of the transport allow-list", metadata: ["member": "\(name)", "error": "\(error)"])
            }
        }
        let keyCounts = Dictionary(grouping: members, by: \.publicKey).mapValues(\.count)
        for m in members where keyCounts[m.publicKey, default: 0] > 1 {
            logger.error("ledger member left out of the transport allow-list: its CURVE key is another member's too", metadata: ["member": "\(m.name)"])
        }
        members.removeAll { keyCounts[$0.publicKey, default: 0] > 1 }
        // nil only when no record is usable, which leaves this node out too.
        return try? Consortium(members: members)
    }

    /// A share is used only for the key registered on the ledger: one for another consortium
    /// or an older key stops the node here. With no key registered yet, the registration the
    /// share file carries (signed by every holder) is submitted; any holder's node may do it
    /// and the ledger takes it once.
    static func checkPaillierShare(
        _ material: PaillierKeyMaterial, holders: [String], registration: TacitLedger.Transaction?, ledger: ConsortiumLedger, me: PartyID,
        logger: Logger
    ) async throws {
        if let registered = await ledger.node.state.keys[ThresholdKeyRecord.paillierScheme] {
            if let problem = PaillierKeyRegistration.problem(share: material.share, holders: holders, me: me.name, registered: registered) {
                throw NodeError(.keys, problem)
            }
            logger.info("Paillier share matches the key on the ledger", metadata: [
                "fingerprint": "\(PaillierKeyRegistration.fingerprint(material.share.thresholdKey, holders: holders))", "share": "\(material.share.index)",
            ])
            return
        }
        guard let registration else {
            logger.warning("no Paillier key is registered on the ledger yet; Paillier jobs are refused until the holders register one")
            return
        }
        do {
            try await ledger.node.submit([registration])
            logger.notice("submitted the Paillier key registration from the share file", metadata: ["transaction": "\(registration.id.short)"])
        } catch let e as LedgerError where e.code == .replay {
            // Another holder's node submitted it first.
        } catch {
            logger.warning("could not submit the Paillier key registration: \(error)")
        }
    }

    /// Follows committed blocks: after each, the ledger's membership becomes the allow-list.
    static func followMembership(ledger: ConsortiumLedger, mesh: ZeroMQMesh, logger: Logger) -> Task<Void, Never> {
        Task {
            let commits = await ledger.node.commits()
            func sync() async {
                guard let wanted = transportConsortium(await ledger.node.state.membership, logger: logger) else {
                    logger.critical("no ledger member has a usable transport entry; the mesh keeps the last membership it had")
                    return
                }
                guard wanted != mesh.consortium else { return }
                do {
                    try mesh.updateConsortium(wanted)
                    logger.notice("transport allow-list follows the ledger", metadata: ["members": "\(wanted.names.map(\.name))"])
                    // The ledger links its peers from the mesh's parties: a member added now
                    // takes part in consensus from this point, without a restart.
                    await ledger.node.refreshPeers()
                } catch let e as NetError where e.code == .invalidIdentity {
                    logger.critical("this node is no longer a member with its transport key on the ledger; its mesh keeps the last membership it had. \(e.reason)")
                } catch {
                    logger.error("cannot apply the ledger's membership to the transport: \(error)")
                }
            }
            await sync()
            for await _ in commits {
                if Task.isCancelled { return }
                await sync()
            }
        }
    }

    private init(
        config: NodeConfig, mesh: ZeroMQMesh, ledger: ConsortiumLedger, jobs: JobManager, registry: JobProtocolRegistry,
        follower: Task<Void, Never>, paillierShare: (material: PaillierKeyMaterial, holders: [String])?, logger: Logger
    ) throws {
        self.membershipFollower = follower
        self.paillierShare = Locked(paillierShare)
        self.config = config
        self.mesh = mesh
        self.ledger = ledger
        self.jobs = jobs
        self.registry = registry
        self.logger = logger
        let box = HandlerBox()
        control = try ControlServer(path: config.controlSocketPath) { request in await box.handle(request) }
        box.node.withLock { $0 = self }
    }

    /// Stops taking requests, fails in-flight runs with a ledger record, closes the ledger and
    /// the mesh (flushing what is queued), and removes the control socket.
    public func shutdown() async {
        logger.info("shutting down")
        control.close()
        // A failure recorded now needs a quorum still up; do not wait for it long.
        ledger.setSubmitTimeout(.seconds(8))
        await jobs.shutdown()
        // Give the ledger a moment to push the last records out before the mesh closes.
        try? await Task.sleep(for: .milliseconds(300))
        membershipFollower.cancel()
        await ledger.close()
        mesh.close()
        logger.info("stopped")
    }

    func handle(_ r: ControlRequest) async -> ControlResponse {
        do {
            var out = ControlResponse()
            func job() throws -> String {
                guard let j = r.job, !j.isEmpty else { throw NodeError(.control, "op '\(r.op)' needs \"job\"") }
                return j
            }
            switch r.op {
            case "submit":
                guard let spec = r.spec else { throw NodeError(.control, "op 'submit' needs \"spec\" (the YAML text)") }
                out.job = try await jobs.submit(specText: spec, file: r.file)
            case "approve": try await jobs.approve(try job(), columns: r.columns)
            case "reject": try await jobs.reject(try job(), reason: r.reason ?? "")
            case "status": out.status = try await jobs.status(try job())
            case "result": out.result = try await jobs.result(try job())
            case "list": out.jobs = await jobs.list()
            case "opening": out.opening = try await jobs.opening(try job())
            case "ledger":
                let all = await ledger.entries()
                out.entries = r.job.map { j in all.filter { $0.transaction.jobID == j } } ?? all
            case "verify": out.verification = await ledger.verify()
            case "paillier-keygen":
                guard let request = r.keygen else { throw NodeError(.control, "op 'paillier-keygen' needs \"keygen\" (the parameters)") }
                try await startKeygen(request)
                out.keygen = keygen.withLock { $0 }
            case "paillier-keygen-status":
                out.keygen = keygen.withLock { $0 }
            case "node-status":
                let list = await jobs.list()
                let stats = mesh.stats
                out.node = NodeStatus(
                    party: config.name.name, endpoint: mesh.boundEndpoint, members: mesh.parties.map(\.name), protocols: registry.names,
                    datasets: config.datasets.map { "\($0.name) [\($0.columns.map(\.name).joined(separator: ", "))]" },
                    ledgerEntries: await ledger.entries().count,
                    jobsByPhase: Dictionary(grouping: list, by: \.phase.rawValue).mapValues(\.count),
                    runningJobs: await jobs.runningJobs, uptimeSeconds: Int((ContinuousClock.now - started).components.seconds),
                    messagesSent: stats.messagesSent, messagesReceived: stats.messagesReceived)
                out.node?.bytesSent = stats.bytesSent
                out.node?.bytesReceived = stats.bytesReceived
                let registered = await ledger.node.state.keys[ThresholdKeyRecord.paillierScheme]
                if let registered, let key = try? Paillier.Wire.decodeThresholdPublicKey(registered.record.publicKey, policy: .insecureAnySizeForTesting) {
                    out.node?.paillierKey =
                        "\(key.threshold)-of-\(key.parties), \(key.publicKey.bits) bits, holders \(registered.record.holders.joined(separator: ", ")), "
                        + "registered at block \(registered.height), fingerprint \(Fingerprint.sha256(registered.record.fingerprint.bytes))"
                }
                if let (material, holders) = paillierShare.withLock({ $0 }) {
                    out.node?.paillierShare = "share \(material.share.index), fingerprint \(PaillierKeyRegistration.fingerprint(material.share.thresholdKey, holders: holders))"
                    out.node?.paillierShareProblem = PaillierKeyRegistration.problem(
                        share: material.share, holders: holders, me: config.name.name, registered: registered)
                }
            default: return .failure("unknown op '\(r.op)'")
            }
            return out
        } catch let e as NodeError {
            return .failure(e.description)
        } catch {
            return .failure("\(error)")
        }
    }
}

private final class HandlerBox: Sendable {
    let node = Locked<PartyNode?>(nil)
    func handle(_ r: ControlRequest) async -> ControlResponse {
        guard let n = node.withLock({ $0 }) else { return .failure("the node is starting; try again") }
        return await n.handle(r)
    }
}

