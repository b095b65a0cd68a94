import Foundation
public import Logging
public import TacitJob
public import TacitNet
import TacitBytes

/// Runs any registered job protocol with all its parties in one process over `InMemoryMesh`,
/// through the same ``JobRunner`` nodes use: each protocol folder tests itself in
/// milliseconds, and `tacit simulate` prints what it measures (bytes and messages each party
/// sent, communication rounds, time).
public struct JobHarness: Sendable {
    public let registry: JobProtocolRegistry

    public init(registry: JobProtocolRegistry) { self.registry = registry }

    /// What one simulated run produced.
    public struct Report: Sendable {
        /// Each party's outcome.
        public let outcomes: [PartyID: Result<JobRunResult, JobError>]
        /// Payload bytes each party sent (to all peers together).
        public let bytesSent: [PartyID: Int]
        public let messagesSent: [PartyID: Int]
        /// Communication rounds: the longest chain of messages each sent after receiving the
        /// previous one (Lamport depth over the run).
        public let rounds: Int
        public let seconds: Double
        /// The party whose failure stopped the others (their outcomes then say "stopped: …"),
        /// nil when every party succeeded.
        public let firstFailure: PartyID?

        /// The results of every party, or the first party's error (by name).
        public func results() throws -> [PartyID: JobRunResult] {
            var out: [PartyID: JobRunResult] = [:]
            for (p, r) in outcomes.sorted(by: { $0.key < $1.key }) { out[p] = try r.get() }
            return out
        }

        /// The value of `output` at `party`, nil when it is not a recipient.
        public func value(_ output: String, at party: PartyID) throws -> JobValue? {
            try outcomes[party]?.get().output(output)?.value
        }
    }

    /// Runs `spec` with `inputs` (each input party's approved input) and `resources` (key
    /// shares, for protocols that declare them). The spec goes through the same validation
    /// as a node's; a bad spec throws before anything runs. `misbehaving` gives a party other
    /// code to run than the registered protocol (a cheating variant), so a test can check
    /// that the honest parties catch it.
    public func run(
        _ spec: JobSpec, inputs: [PartyID: DatasetInput], resources: [PartyID: JobResources] = [:],
        misbehaving: [PartyID: any JobProtocol] = [:],
        stepTimeout: Duration = .seconds(60), logger: Logger = Logger(label: "tacit.harness"),
        progress: (@Sendable (PartyID, String, Double) async -> Void)? = nil
    ) async throws -> Report {
        let problems = spec.problems(in: registry)
        if !problems.isEmpty {
            throw JobError(.invalidSpec, problems.map(\.description).joined(separator: "; "))
        }
        let proto = try registry.named(spec.protocolName)
        for p in spec.inputParties where inputs[p] == nil {
            throw JobError(.invalidInput, "input party \(p) was given no input")
        }
        let parties = spec.partyNames
        let mesh = InMemoryMesh(parties: parties, defaultTimeout: stepTimeout)
        let meter = TrafficMeter()
        let registry = self.registry
        let start = ContinuousClock.now
        let (outcomes, firstFailure) = await withTaskGroup(of: (PartyID, Result<JobRunResult, JobError>).self) { group in
            for p in parties {
                group.addTask {
                    let channel = MeteredChannel(base: mesh.channel(for: p), meter: meter)
                    do {
                        let r = try await JobRunner.run(
                            misbehaving[p] ?? proto, spec: spec, localParty: p, channel: channel.session(spec.session), input: inputs[p],
                            resources: resources[p] ?? .none, engines: registry.engines, stepTimeout: stepTimeout, logger: logger,
                            progress: { step, f in await progress?(p, step, f) })
                        return (p, .success(r))
                    } catch {
                        return (p, .failure(JobError.from(error)))
                    }
                }
            }
            // As on nodes, where a party's failure ends the job on the ledger and every other
            // party stops its run: the first failure stops the rest.
            var out: [PartyID: Result<JobRunResult, JobError>] = [:]
            var first: (PartyID, JobError)?
            for await (p, r) in group {
                if case .failure(let e) = r, first == nil {
                    first = (p, e)
                    group.cancelAll()
                    out[p] = r
                } else if case .failure = r, let (f, e) = first {
                    out[p] = .failure(JobError(.protocolFailure, "stopped: \(f) failed (\(e.message))", peer: f.name))
                } else {
                    out[p] = r
                }
            }
            return (out, first?.0)
        }
        let elapsed = ContinuousClock.now - start
        let (bytes, messages, rounds) = meter.totals()
        return Report(
            outcomes: outcomes, bytesSent: bytes, messagesSent: messages, rounds: rounds,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            firstFailure: firstFailure)
    }

    /// A spec for a simulation: `inputs` name each input party's dataset and columns (from
    /// the inputs themselves), `compute` adds parties without data, and every party approves.
    public static func spec(
        protocol name: String, engine: String? = nil, inputs: [PartyID: DatasetInput], compute: [PartyID] = [],
        parameters: [String: String] = [:], outputs: [JobSpec.Output], id: String = "simulation"
    ) -> JobSpec {
        var parties: [JobSpec.Party] = inputs.sorted { $0.key < $1.key }.map { p, i in
            JobSpec.Party(name: p, roles: [.input], input: .init(dataset: i.dataset, columns: i.columns.map(\.declaration.name)))
        }
        parties += compute.sorted().filter { inputs[$0] == nil }.map { JobSpec.Party(name: $0, roles: [.compute]) }
        return JobSpec(id: id, protocolName: name, engine: engine, parties: parties, parameters: parameters, outputs: outputs)
    }
}

extension DatasetInput {
    /// One column of decimal text, for tests and simulations.
    public static func column(
        _ name: String, _ values: [String], fractionDigits: Int = 2, party: PartyID, dataset: String = "data"
    ) -> DatasetInput {
        DatasetInput(
            jobID: "simulation", party: party, dataset: dataset,
            columns: [.init(declaration: ColumnDeclaration(name: name, type: .decimal, fractionDigits: fractionDigits), values: values)])
    }
}

/// Bytes, messages and Lamport clocks of every party of one simulated run.
final class TrafficMeter: Sendable {
    struct Key: Hashable { let from: PartyID, to: PartyID, session: SessionID, tag: Tag }
    struct State {
        var bytes: [PartyID: Int] = [:]
        var messages: [PartyID: Int] = [:]
        var clock: [PartyID: Int] = [:]
        /// The sender's clock for each message in flight, in order per (sender, receiver,
        /// session, tag): the mesh delivers in that order.
        var stamps: [Key: [Int]] = [:]
    }
    private let state = Locked(State())

    func sent(_ count: Int, _ key: Key) {
        state.withLock { s in
            s.bytes[key.from, default: 0] += count
            s.messages[key.from, default: 0] += 1
            s.stamps[key, default: []].append(s.clock[key.from] ?? 0)
        }
    }

    func received(_ key: Key) {
        state.withLock { s in
            guard var q = s.stamps[key], !q.isEmpty else { return }
            let stamp = q.removeFirst()
            s.stamps[key] = q
            s.clock[key.to] = max(s.clock[key.to] ?? 0, stamp + 1)
        }
    }

    func totals() -> ([PartyID: Int], [PartyID: Int], Int) {
        state.withLock { ($0.bytes, $0.messages, $0.clock.values.max() ?? 0) }
    }
}

/// A party's in-memory channel that reports what it sends and receives to a meter.
struct MeteredChannel: PartyChannel {
    let base: InMemoryChannel
    let meter: TrafficMeter

    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { base.parties }
    var defaultTimeout: Duration { base.defaultTimeout }

    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws {
        meter.sent(payload.count, .init(from: localParty, to: peer, session: session, tag: tag))
        try await base.send(payload, to: peer, session: session, tag: tag)
    }

    func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws -> Payload {
        let p = try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
        meter.received(.init(from: peer, to: localParty, session: session, tag: tag))
        return p
    }

    func endSession(_ session: SessionID) { base.endSession(session) }
}
