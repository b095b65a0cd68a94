public import Logging
public import TacitCrypto
public import TacitMPC
import TacitProtocols
public import TacitNet

/// A protocol as the node needs it: a name to validate specs against, its own spec rules, the
/// facts an operator reviews before approving, and a way to run it over a job-scoped channel.
///
/// Two families implement it: `PaillierAggregation` (threshold Paillier, with the node's key
/// share), and `SecretSharedStatistic`, which adapts every protocol of TacitMPC's registry
/// (`additive-dealer`, `additive-ot`, `shamir`, and any a researcher registers there).
public protocol JobProtocol: Sendable {
    /// The name job specs use (`protocol: paillier-aggregation`).
    var name: String { get }
    /// One line on what it computes.
    var summary: String { get }
    /// Semi-honest or malicious, honest or dishonest majority, trusted dealer or not.
    var securityModel: String { get }
    /// What each party learns, in words an operator can judge.
    var learns: String { get }
    /// Keys allowed under `parameters:`.
    var parameterNames: [String] { get }
    /// Protocol-specific rules; paths like `parameters.statistic` or `parties[2].input`.
    func validate(_ spec: JobSpec) -> [SpecProblem]
    /// Runs this party's side. Must send nothing to a party that is not a recipient of an
    /// output that would let it learn that output, and must reveal nothing when it throws.
    func run(_ context: JobContext) async throws -> JobRunResult
}

/// The protocols a node can run: a plain value built at start-up (no global state).
public struct ProtocolRegistry: Sendable {
    private let byName: [String: any JobProtocol]

    public init(_ protocols: [any JobProtocol]) {
        var m: [String: any JobProtocol] = [:]
        for p in protocols {
            precondition(m[p.name] == nil, "two protocols are registered as '\(p.name)'")
            m[p.name] = p
        }
        byName = m
    }

    public func lookup(_ name: String) -> (any JobProtocol)? { byName[name] }
    public var names: [String] { byName.keys.sorted() }
    public var all: [any JobProtocol] { names.compactMap { byName[$0] } }

    /// What ships with the node: Paillier aggregation, and a secret-shared statistic job for
    /// each protocol of TacitMPC's standard registry.
    public static let builtIn = ProtocolRegistry(mpc: TacitMPC.ProtocolRegistry.standard())

    /// Paillier aggregation plus a `SecretSharedStatistic` job protocol for each protocol of
    /// `mpc` (a node that registers its own MPC protocols builds its registry with this).
    public init(mpc: TacitMPC.ProtocolRegistry) {
        self.init([PaillierAggregation()] + mpc.all.map { SecretSharedStatistic($0) as any JobProtocol })
    }
}

/// What a protocol run gets: the job, this party's approved input (nil unless it has one),
/// its secrets, a channel scoped to the job, and a progress reporter.
public struct JobContext: Sendable {
    public let spec: JobSpec
    public let localParty: PartyID
    public let channel: SessionChannel
    /// This party's input, read through `DatasetReader` with its own approval.
    public let input: DatasetInput?
    public let secrets: NodeSecrets
    /// Receives without their own timeout wait this long (`protocolTimeoutSeconds`).
    public let stepTimeout: Duration
    public let logger: Logger
    private let report: @Sendable (String, Double) async -> Void

    public init(spec: JobSpec, localParty: PartyID, channel: SessionChannel, input: DatasetInput?,
                secrets: NodeSecrets, stepTimeout: Duration, logger: Logger,
                progress: @escaping @Sendable (String, Double) async -> Void) {
        self.spec = spec
        self.localParty = localParty
        self.channel = channel
        self.input = input
        self.secrets = secrets
        self.stepTimeout = stepTimeout
        self.logger = logger
        self.report = progress
    }

    /// Reports a step and the fraction done (0...1); shown by `tacit job status`.
    public func progress(_ step: String, _ fraction: Double) async { await report(step, fraction) }

    public func receive(from peer: PartyID, tag: Tag) async throws -> Payload {
        try await channel.receive(from: peer, tag: tag, timeout: stepTimeout)
    }
    public func gather(from peers: [PartyID], tag: Tag) async throws -> [PartyID: Payload] {
        try await channel.gather(from: peers, tag: tag, timeout: stepTimeout)
    }
}

/// Secrets a node holds for protocols.
public struct NodeSecrets: Sendable {
    /// This party's share of the consortium's threshold Paillier key, if dealt.
    public let paillierShare: Paillier.ThresholdKeyShare?
    /// Which consortium member holds which share index (1-based).
    public let paillierShareIndex: [PartyID: Int]

    public init(paillierShare: Paillier.ThresholdKeyShare?, paillierShareIndex: [PartyID: Int]) {
        self.paillierShare = paillierShare
        self.paillierShareIndex = paillierShareIndex
    }
}

/// One output as this party ends a run.
public struct OutputResult: Sendable, Hashable, Codable {
    public var name: String
    /// The value, only at recipients.
    public var value: String?
    /// SHA-256 over the job id, output name, value and a salt the recipients share: what every
    /// party signs in `ResultRecorded` without learning the value.
    public var digest: String
    /// The value again when the spec makes the output public (then it goes on the ledger).
    public var publicValue: String?

    public init(name: String, value: String?, digest: String, publicValue: String?) {
        self.name = name
        self.value = value
        self.digest = digest
        self.publicValue = publicValue
    }
}

public struct JobRunResult: Sendable, Hashable, Codable {
    public var outputs: [OutputResult]
    /// Salt behind the digests, known to recipients only (lets them prove a value later).
    public var digestSalt: String?
    public init(outputs: [OutputResult], digestSalt: String?) {
        self.outputs = outputs
        self.digestSalt = digestSalt
    }
}
