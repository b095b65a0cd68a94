import Foundation
public import Logging
public import TacitNet
import TacitBytes
import TacitMath
public import TacitMPC

/// One output as this party ends a run.
public struct OutputResult: Sendable, Hashable, Codable {
    public var name: String
    /// The value, only at recipients.
    public var value: JobValue?
    /// ``ResultDigest`` over the job id, output name, the value's canonical text and a salt
    /// the recipients share: what every party signs in `ResultRecorded` without learning the
    /// value.
    public var digest: String
    /// The value's canonical text again when the spec makes the output public (then it goes
    /// on the ledger).
    public var publicValue: String?
    /// The salt behind the digest (hex), at recipients only: lets them prove the value later.
    public var salt: String?

    public init(name: String, value: JobValue?, digest: String, publicValue: String?, salt: String?) {
        self.name = name
        self.value = value
        self.digest = digest
        self.publicValue = publicValue
        self.salt = salt
    }
}

public struct JobRunResult: Sendable, Hashable, Codable {
    public var outputs: [OutputResult]
    public init(outputs: [OutputResult]) { self.outputs = outputs }
    public func output(_ name: String) -> OutputResult? { outputs.first { $0.name == name } }
}

/// Digests of results: what every party signs without learning a private value.
///
/// `SHA-256( LP("tacit.result-digest.v1") ‖ LP(salt) ‖ LP(job id) ‖ LP(output name) ‖ LP(text) )`
/// where `LP(x)` is x's length as 4 bytes big-endian followed by x, and `text` the value's
/// ``JobValue/canonicalText`` (a number's decimal text as `tacit job result` prints it).
public enum ResultDigest {
    public static func compute(jobID: String, output: String, value: String, salt: [UInt8]) -> String {
        var w = ByteWriter()
        w.string("tacit.result-digest.v1")
        w.data(salt)
        w.string(jobID)
        w.string(output)
        w.string(value)
        return Hex.encode(SHA256Bytes.hash(w.bytes))
    }
    public static let saltBytes = 32
}

/// Runs job protocols: builds each party's context from what the protocol declares, runs it,
/// checks it returned exactly its recipients' outputs, agrees on the salted result digests,
/// and ends every session the run opened. The node, `tacit simulate` and the in-process
/// harness all run protocols through here.
public enum JobRunner {
    public static func run(
        _ proto: any JobProtocol, spec: JobSpec, localParty: PartyID, channel: SessionChannel, input: DatasetInput?,
        resources: JobResources, engines: EngineRegistry, stepTimeout: Duration, logger: Logger,
        progress: @escaping @Sendable (String, Double) async -> Void = { _, _ in }
    ) async throws -> JobRunResult {
        let d = proto.descriptor
        var engine: (any MPCProtocol)?
        if d.needs.contains(.engine) {
            guard let name = spec.engine else {
                throw JobError(.invalidSpec, "\(d.name) runs on an engine; add `engine:` to the spec (registered: \(engines.names.joined(separator: ", ")))")
            }
            guard let e = engines.lookup(name) else {
                throw JobError(.unknownProtocol, "this node has no engine '\(name)' (registered: \(engines.names.joined(separator: ", ")))")
            }
            // Configured by the spec's engine parameters (a named dealer): never the bare default.
            engine = try spec.configuredEngine(e)
        }
        let given = JobResources(
            paillier: d.needs.contains(.paillierKeyShare) ? resources.paillier : nil,
            state: d.needs.contains(.protocolState) ? resources.state : nil)
        let ctx = JobContext(
            spec: spec, localParty: localParty, base: channel, input: input, resources: given, needs: d.needs, engine: engine,
            stepTimeout: stepTimeout, logger: logger, progress: progress)
        defer { ctx.sessions.endAll() }

        let values = try await proto.run(ctx)
        for name in values.keys where spec.output(name)?.recipients.contains(localParty) != true {
            throw JobError(.protocolFailure, "\(d.name) produced output '\(name)' at \(localParty), which is not one of its recipients; nothing is recorded")
        }
        var outputs: [OutputResult] = []
        let digests = ctx.session("tacit.result-digests")
        for (k, output) in spec.outputs.enumerated() {
            let mine = output.recipients.contains(localParty) ? values[output.name] : nil
            if output.recipients.contains(localParty) && mine == nil {
                throw JobError(.protocolFailure, "\(d.name) ended without output '\(output.name)' at its recipient \(localParty)")
            }
            outputs.append(try await agree(
                spec: spec, output: output, value: mine, me: localParty, channel: digests, tag: Tag(UInt64(k) + 1), timeout: stepTimeout))
        }
        await progress("result digests agreed", 1)
        return JobRunResult(outputs: outputs)
    }

    struct Note: Codable { var digest: String; var publicValue: String? }

    /// The salted digest of one output, agreed once its value is known to the recipients: the
    /// first recipient (by name) picks the salt and sends it to the other recipients, and
    /// sends the digest (and the value's text, when the output is public) to everyone else.
    static func agree(
        spec: JobSpec, output: JobSpec.Output, value: JobValue?, me: PartyID, channel: SessionChannel, tag: Tag, timeout: Duration
    ) async throws -> OutputResult {
        let recipients = output.recipients.sorted()
        guard let lead = recipients.first else { throw JobError(.invalidSpec, "output '\(output.name)' has no recipients") }
        let others = spec.partyNames.filter { $0 != me && !recipients.contains($0) }
        if let value {
            let salt: [UInt8]
            if me == lead {
                salt = SecureRandom.bytes(ResultDigest.saltBytes)
                for r in recipients where r != me { try await channel.send(Payload(salt), to: r, tag: tag) }
            } else {
                salt = try await channel.receive(from: lead, tag: tag, timeout: timeout).bytes
                guard salt.count == ResultDigest.saltBytes else {
                    throw JobError(.protocolFailure, "\(lead) sent a digest salt of \(salt.count) bytes for output '\(output.name)'; expected \(ResultDigest.saltBytes)", peer: lead.name)
                }
            }
            let text = value.canonicalText
            let digest = ResultDigest.compute(jobID: spec.id, output: output.name, value: text, salt: salt)
            let publicValue = output.isPublic ? text : nil
            if me == lead {
                let note = try JSONEncoder().encode(Note(digest: digest, publicValue: publicValue))
                for p in others { try await channel.send(Payload(Array(note)), to: p, tag: tag) }
            }
            return OutputResult(name: output.name, value: value, digest: digest, publicValue: publicValue, salt: Hex.encode(salt))
        }
        let bytes = try await channel.receive(from: lead, tag: tag, timeout: timeout).bytes
        guard let note = try? JSONDecoder().decode(Note.self, from: Data(bytes)),
              note.digest.count == 64, Hex.decode(note.digest) != nil,
              output.isPublic == (note.publicValue != nil)
        else {
            throw JobError(.protocolFailure, "\(lead) sent a malformed result digest for output '\(output.name)'", peer: lead.name)
        }
        return OutputResult(name: output.name, value: nil, digest: note.digest.lowercased(), publicValue: note.publicValue, salt: nil)
    }
}
