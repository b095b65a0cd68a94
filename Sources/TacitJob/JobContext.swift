public import Logging
public import TacitCrypto
public import TacitMPC
public import TacitNet
import TacitBytes

/// What one party's run of a job protocol gets: the spec, this party's approved input (nil
/// unless it has one), a channel scoped to the job, sub-sessions for further steps, progress
/// reporting, and exactly the resources its descriptor declares.
public struct JobContext: Sendable {
    public let spec: JobSpec
    public let localParty: PartyID
    /// The protocol's own session of the job. Further steps (a PSI, then a statistic on its
    /// result) each take a ``session(_:)`` of their own, so their tags can never collide.
    public let channel: SessionChannel
    /// This party's input, read with its owner's approval; nil for parties without one.
    public let input: DatasetInput?
    /// Receives without their own timeout wait this long.
    public let stepTimeout: Duration
    public let logger: Logger

    let resources: JobResources
    let needs: JobNeeds
    let engineProtocol: (any MPCProtocol)?
    let sessions: SessionBook
    private let report: @Sendable (String, Double) async -> Void

    /// Built by the job layer's runner (``JobRunner``); a protocol only reads it.
    init(
        spec: JobSpec, localParty: PartyID, base: SessionChannel, input: DatasetInput?, resources: JobResources,
        needs: JobNeeds, engine: (any MPCProtocol)?, stepTimeout: Duration, logger: Logger,
        progress: @escaping @Sendable (String, Double) async -> Void
    ) {
        self.spec = spec
        self.localParty = localParty
        self.input = input
        self.resources = resources
        self.needs = needs
        self.engineProtocol = engine
        self.stepTimeout = stepTimeout
        self.logger = logger
        self.report = progress
        self.sessions = SessionBook(base: base)
        self.channel = sessions.session("protocol")
    }

    /// Reports a step and the fraction done (0...1); shown by `tacit job status`.
    public func progress(_ step: String, _ fraction: Double) async { await report(step, fraction) }

    /// A session of this job's own, for one step: the same name gives the same session on
    /// every party, different names never share messages. Ended with the job.
    public func session(_ name: String) -> SessionChannel { sessions.session(name) }

    /// This protocol's local state at this node (declared with ``JobNeeds/protocolState``).
    public func protocolState() throws -> ProtocolState {
        guard needs.contains(.protocolState) else {
            throw JobError(.missingResource, "\(spec.protocolName) asked for local state without declaring needs: .protocolState in its descriptor")
        }
        guard let store = resources.state else {
            throw JobError(.missingResource, "this node keeps no protocol state (a harness or tool without a data directory); run the job on a node")
        }
        return ProtocolState(store: store, owner: spec.protocolName)
    }

    /// The secret-sharing engine the spec names (declared with ``JobNeeds/engine``).
    public func engine() throws -> any MPCProtocol {
        guard needs.contains(.engine) else {
            throw JobError(.missingResource, "\(spec.protocolName) asked for an engine without declaring needs: .engine in its descriptor")
        }
        guard let engineProtocol else {
            throw JobError(.missingResource, "job \(spec.id) names no engine; add `engine:` to the spec")
        }
        return engineProtocol
    }

    /// Runs `body` on the spec's engine among the job's parties, in a session of its own
    /// (`name`), with this context's step timeout.
    public func onEngine<R: Sendable>(
        step name: String = "engine", _ body: @escaping @Sendable (any MPCEngine) async throws -> R
    ) async throws -> R {
        try await engine().run(channel: session(name), parties: spec.partyNames, timeout: stepTimeout, body)
    }

    /// This party's share of the consortium's threshold Paillier key, and which party holds
    /// which share index (declared with ``JobNeeds/paillierKeyShare``).
    public func paillierKeyShare() throws -> PaillierKeyMaterial {
        guard needs.contains(.paillierKeyShare) else {
            throw JobError(.missingResource, "\(spec.protocolName) asked for the Paillier key share without declaring needs: .paillierKeyShare in its descriptor")
        }
        guard let m = resources.paillier else {
            throw JobError(.missingResource, "\(localParty) holds no threshold Paillier key share (keys.paillierShare in its config); it cannot take part in \(spec.protocolName)")
        }
        return m
    }

    public func receive(from peer: PartyID, tag: Tag) async throws -> Payload {
        try await channel.receive(from: peer, tag: tag, timeout: stepTimeout)
    }
    public func gather(from peers: [PartyID], tag: Tag) async throws -> [PartyID: Payload] {
        try await channel.gather(from: peers, tag: tag, timeout: stepTimeout)
    }
}

/// Secrets and keys a node holds for protocols; a context hands a protocol only the ones its
/// descriptor declares.
public struct JobResources: Sendable {
    public var paillier: PaillierKeyMaterial?
    /// The node's store of protocols' local state; a context hands a protocol its own part.
    public var state: (any ProtocolStateStore)?
    public init(paillier: PaillierKeyMaterial? = nil, state: (any ProtocolStateStore)? = nil) {
        self.paillier = paillier
        self.state = state
    }
    public static let none = JobResources()
}

/// A party's threshold Paillier key share and the consortium's share holders.
public struct PaillierKeyMaterial: Sendable {
    public let share: Paillier.ThresholdKeyShare
    /// Which consortium member holds which share index (1-based).
    public let indexOf: [PartyID: Int]
    public init(share: Paillier.ThresholdKeyShare, indexOf: [PartyID: Int]) {
        self.share = share
        self.indexOf = indexOf
    }
}

/// The sub-sessions of one job run, so the runner can end every one of them.
final class SessionBook: Sendable {
    let base: SessionChannel
    private let opened = Locked<Set<SessionID>>([])

    init(base: SessionChannel) { self.base = base }

    func session(_ name: String) -> SessionChannel {
        var label = Array("tacit.job.subsession.v1:".utf8)
        label += withUnsafeBytes(of: base.session.rawValue.bigEndian, Array.init)
        label += Array(name.utf8)
        let id = SessionID.derived(from: label)
        opened.withLock { _ = $0.insert(id) }
        return SessionChannel(channel: base.channel, session: id)
    }

    func endAll() {
        for id in opened.withLock({ $0 }) { base.channel.endSession(id) }
        base.end()
    }
}
