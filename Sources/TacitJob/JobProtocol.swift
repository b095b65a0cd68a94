public import TacitMPC

/// A computation run as a job: a whole protocol over a job-scoped channel, from each party's
/// approved input to the outputs its recipients receive. Implement this in a folder under
/// `Protocols/Jobs/`, register it in a ``JobProtocolRegistry``, and nodes, `tacit simulate`
/// and the in-process harness can run it. Nothing outside its folder changes.
///
/// A job protocol never touches ZeroMQ, the ledger or the node: everything it may use comes
/// through its ``JobContext``, and only what its descriptor declares (``JobNeeds``).
public protocol JobProtocol: Sendable {
    var descriptor: JobDescriptor { get }

    /// The protocol's own rules for a spec the job layer has already checked for structure
    /// (names, parties, roles, recipients, approvers, declared parameters, party counts and,
    /// for protocols that run on an engine, that the engine exists and supports the party
    /// count). `engine` is that engine's descriptor, nil for protocols without one.
    /// Paths look like `parameters.statistic` or `parties[2].input`.
    func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem]

    /// Runs this party's side. Returns the value of every output this party is a recipient
    /// of, by output name, and nothing else; the job layer then agrees on the salted result
    /// digests. Must send nothing to a party that would let it learn an output it does not
    /// receive, and must reveal nothing when it throws.
    func run(_ context: JobContext) async throws -> [String: JobValue]
}

/// What a job protocol declares about itself; shown to approvers before they approve, and
/// checked by the job layer.
public struct JobDescriptor: Sendable {
    /// The name job specs use (`protocol: statistics`).
    public let name: String
    /// One line on what it computes.
    public let summary: String
    /// Semi-honest or malicious, honest or dishonest majority, trusted dealer or not. For a
    /// protocol on an engine, the engine's model applies on top (see ``review(engine:)``).
    public let security: String
    /// What each party learns, in words an operator can judge.
    public let learns: String
    /// The keys allowed under `parameters:`.
    public let parameters: [JobParameter]
    /// What the protocol needs from its context beyond the channel and the input.
    public let needs: JobNeeds
    /// Job party counts it runs with (an engine may narrow them further).
    public let partyCounts: ClosedRange<Int>
    /// The outputs a spec usually names (`tacit simulate` uses them when given none).
    public let defaultOutputs: [String]
    /// What its input columns hold: numbers (most protocols) or identifiers to match (PSI);
    /// `tacit simulate` reads a CSV's columns accordingly.
    public let inputs: InputKind

    public enum InputKind: Sendable, Equatable { case numbers, identifiers }
    /// The engine a spec without `engine:` runs on (written into the spec when it is parsed,
    /// so approvers see it); nil: the spec must name one.
    public let defaultEngine: String?

    public init(
        name: String, summary: String, security: String, learns: String, parameters: [JobParameter] = [],
        needs: JobNeeds = [], partyCounts: ClosedRange<Int> = 2...64, defaultOutputs: [String] = ["result"],
        inputs: InputKind = .numbers, defaultEngine: String? = nil
    ) {
        self.inputs = inputs
        self.defaultEngine = defaultEngine
        self.name = name
        self.summary = summary
        self.security = security
        self.learns = learns
        self.parameters = parameters
        self.needs = needs
        self.partyCounts = partyCounts
        self.defaultOutputs = defaultOutputs
    }

    public var parameterNames: [String] { parameters.map(\.name) }

    /// The text an approver reviews: this protocol's model and what each party learns, and,
    /// on an engine, the engine's model and what it lets each party learn.
    public func review(engine: ProtocolDescriptor?) -> (security: String, learns: String) {
        guard let engine else { return (security, learns) }
        return ("\(security); engine \(engine.name): \(engine.security.description)",
                "\(learns) Engine \(engine.name): \(engine.learns)")
    }
}

/// A parameter a job protocol accepts under `parameters:` (values are strings in the spec).
public struct JobParameter: Sendable, Hashable {
    public let name: String
    /// What it means, its values and its default.
    public let summary: String
    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }
}

/// What a protocol asks of its context. A context gives nothing that is not declared.
public struct JobNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Runs on a secret-sharing engine named by the spec's `engine:` (required there).
    public static let engine = JobNeeds(rawValue: 1)
    /// This party's share of the consortium's threshold Paillier key.
    public static let paillierKeyShare = JobNeeds(rawValue: 2)
    /// Local state kept between this protocol's jobs at this node (``ProtocolState``).
    public static let protocolState = JobNeeds(rawValue: 4)
}

/// The job protocols a node, a tool or a test offers, by name: a plain value built at
/// start-up (no global state). Not to be confused with TacitMPC's ``EngineRegistry`` of
/// secret-sharing engines, which it is paired with.
public struct JobProtocolRegistry: Sendable {
    private var byName: [String: any JobProtocol] = [:]
    /// The engines jobs on shares may name.
    public let engines: EngineRegistry

    public init(engines: EngineRegistry) { self.engines = engines }

    public init(_ protocols: [any JobProtocol], engines: EngineRegistry) throws {
        self.engines = engines
        for p in protocols { try register(p) }
    }

    /// Adds a protocol; a second one with the same name is an error.
    public mutating func register(_ p: any JobProtocol) throws {
        let name = p.descriptor.name
        guard byName[name] == nil else {
            throw JobError(.invalidSpec, "a job protocol named '\(name)' is already registered")
        }
        byName[name] = p
    }

    public func lookup(_ name: String) -> (any JobProtocol)? { byName[name] }
    public var names: [String] { byName.keys.sorted() }
    public var all: [any JobProtocol] { names.compactMap { byName[$0] } }

    /// The protocol named `name`, or an error that lists what is registered.
    public func named(_ name: String) throws -> any JobProtocol {
        if let p = byName[name] { return p }
        if engines.names.contains(name) {
            throw JobError(.unknownProtocol, "'\(name)' is an engine, not a job protocol; write `protocol: statistics` (or another job protocol) and `engine: \(name)`; job protocols: \(names.joined(separator: ", "))")
        }
        throw JobError(.unknownProtocol, "no job protocol named '\(name)'; registered: \(names.joined(separator: ", "))")
    }

    /// The engine named `name`, or an error that lists what is registered.
    public func engine(_ name: String) throws -> any MPCProtocol {
        guard let e = engines.lookup(name) else {
            throw JobError(.unknownProtocol, "no engine named '\(name)'; registered engines: \(engines.names.joined(separator: ", "))")
        }
        return e
    }
}
