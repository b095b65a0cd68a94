import Foundation
import TacitBytes
public import TacitNet

/// A job: which computation (`protocol:`), on which secret-sharing engine where it runs on
/// shares (`engine:`), by which parties on which of their data, who receives what, and who
/// must approve. Written by people as YAML, carried on the ledger as JSON (sorted keys).
///
/// ```yaml
/// id: claims-mean-2026q1             # optional; the node assigns one when absent
/// protocol: statistics
/// engine: shamir
/// parties:
///   - name: st-marys
///     roles: [input]
///     input: {dataset: claims, columns: [amount]}
///   - name: riverside
///     roles: [input]
///     input: {dataset: claims, columns: [amount]}
///   - name: insurer
///     roles: [compute]
/// parameters:
///   statistic: mean
/// outputs:
///   - name: mean
///     recipients: [insurer]
///     public: false                    # true: the value itself goes on the ledger
///     sealed: false                    # true: the value goes on the ledger encrypted to the recipients and readers
///     readers: []                      # with sealed: members that may read the sealed copy (a regulator)
/// policy:
///   approvers: [st-marys, riverside, insurer]   # default: every party
/// ```
public struct JobSpec: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Contributes data (needs `input:`).
        case input
        /// Takes part in the computation (holds key shares, exchanges messages) without data.
        case compute
    }

    public struct InputSelection: Sendable, Hashable, Codable {
        public var dataset: String
        public var columns: [String]
        public init(dataset: String, columns: [String]) {
            self.dataset = dataset
            self.columns = columns
        }
    }

    public struct Party: Sendable, Hashable, Codable {
        public var name: PartyID
        public var roles: [Role]
        public var input: InputSelection?
        public init(name: PartyID, roles: [Role], input: InputSelection? = nil) {
            self.name = name
            self.roles = roles
            self.input = input
        }
    }

    public struct Output: Sendable, Hashable, Codable {
        public var name: String
        public var recipients: [PartyID]
        public var isPublic: Bool
        /// The value also goes on the ledger, encrypted to ``sealedTo`` (the recipients and the
        /// readers), so that they can read it from any replica, offline included.
        public var sealed: Bool
        /// Members granted read access to the sealed copy only (a regulator, say): they need not
        /// be parties of the job, and take no part in it. Only with `sealed`.
        public var readers: [PartyID]

        public init(name: String, recipients: [PartyID], isPublic: Bool = false, sealed: Bool = false, readers: [PartyID] = []) {
            self.name = name
            self.recipients = recipients
            self.isPublic = isPublic
            self.sealed = sealed
            self.readers = readers
        }

        /// Who can open the sealed copy: the recipients, then the readers, each once.
        public var sealedTo: [PartyID] {
            guard sealed else { return [] }
            return (recipients + readers).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        }

        /// The party that draws the digest salt (the first recipient by name) and seals the copy.
        public var sealingParty: PartyID? { recipients.min() }

        enum CodingKeys: String, CodingKey { case name, recipients, isPublic, sealed, readers }

        // The spec's canonical JSON is on the ledger and hashed there: the new keys are written
        // only when they say something, so a spec without them encodes byte for byte as before.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            recipients = try c.decode([PartyID].self, forKey: .recipients)
            isPublic = try c.decode(Bool.self, forKey: .isPublic)
            sealed = try c.decodeIfPresent(Bool.self, forKey: .sealed) ?? false
            readers = try c.decodeIfPresent([PartyID].self, forKey: .readers) ?? []
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(recipients, forKey: .recipients)
            try c.encode(isPublic, forKey: .isPublic)
            if sealed { try c.encode(sealed, forKey: .sealed) }
            if !readers.isEmpty { try c.encode(readers, forKey: .readers) }
        }
    }

    public var id: String
    /// The job protocol: what is computed (`statistics`, `paillier-aggregation`, ...).
    public var protocolName: String
    /// The secret-sharing engine it runs on (`shamir`, `additive-ot`, ...), for protocols that
    /// run on one; nil for those that do not (Paillier aggregation).
    public var engine: String?
    public var description: String
    public var parties: [Party]
    public var parameters: [String: String]
    public var outputs: [Output]
    /// Parties that must approve before anything is read. Always includes every input party.
    public var approvers: [PartyID]

    public init(
        id: String, protocolName: String, engine: String? = nil, description: String = "", parties: [Party],
        parameters: [String: String] = [:], outputs: [Output], approvers: [PartyID]? = nil
    ) {
        self.id = id
        self.protocolName = protocolName
        self.engine = engine
        self.description = description
        self.parties = parties
        self.parameters = parameters
        self.outputs = outputs
        self.approvers = approvers ?? parties.map(\.name)
    }

    public var partyNames: [PartyID] { parties.map(\.name) }
    public var inputParties: [PartyID] { parties.filter { $0.roles.contains(.input) }.map(\.name) }
    public func party(_ name: PartyID) -> Party? { parties.first { $0.name == name } }
    public func isRecipient(_ p: PartyID) -> Bool { outputs.contains { $0.recipients.contains(p) } }
    public func output(_ name: String) -> Output? { outputs.first { $0.name == name } }

    /// Session of the mesh the job runs in: derived from the job id, so every party agrees on
    /// it without talking, and away from the ledger's session.
    public var session: SessionID { Self.session(forJob: id) }

    public static func session(forJob id: String) -> SessionID {
        SessionID.derived(from: Array("tacit.job.session.v1:\(id)".utf8))
    }

    /// Canonical JSON (sorted keys), as carried on the ledger.
    public func canonicalJSON() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, arrays and dictionaries cannot fail.
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// A reviewer's summary of what the job uses and reveals, for `tacit job status`.
    public func summary() -> [String] {
        var out = ["protocol: \(protocolName)\(engine.map { " on engine \($0)" } ?? "")\(description.isEmpty ? "" : " — \(description)")"]
        for p in parties {
            var line = "  \(p.name): \(p.roles.map(\.rawValue).joined(separator: ", "))"
            if let i = p.input { line += "; uses dataset '\(i.dataset)' columns [\(i.columns.joined(separator: ", "))]" }
            out.append(line)
        }
        for o in outputs {
            var line = "  output '\(o.name)' → \(o.recipients.map(\.name).joined(separator: ", "))"
            if o.isPublic { line += " (public: recorded on the ledger)" }
            if o.sealed { line += " (sealed on the ledger for \(o.sealedTo.map(\.name).joined(separator: ", ")))" }
            out.append(line)
        }
        if !parameters.isEmpty {
            out.append("  parameters: " + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        out.append("  approvers: \(approvers.map(\.name).joined(separator: ", "))")
        return out
    }
}

extension SessionID {
    /// A session id from a hash of `label`, kept above the reserved low ids (< 16).
    public static func derived(from label: [UInt8]) -> SessionID {
        let digest = SHA256Bytes.hash(label)
        var v: UInt64 = 0
        for b in digest.prefix(8) { v = v << 8 | UInt64(b) }
        return SessionID(v < 16 ? v + 16 : v)
    }
}

/// A problem found in a spec, at a path such as `parameters.statistic` or `parties[2].input`.
public struct SpecProblem: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// Names (job ids, datasets, columns, outputs): what may become part of a log line or a
/// lookup key. Never a file name: nodes hash peer-supplied text before it names a file.
/// The rule itself is `TacitBytes.IdentifierRules`, shared with the ledger, which refuses job
/// transactions whose id breaks it.
public enum NameRules {
    /// nil when `s` is an acceptable name.
    public static func problem(_ s: String) -> String? { IdentifierRules.problem(s) }
}
