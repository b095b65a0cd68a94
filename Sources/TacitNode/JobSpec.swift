import Foundation
public import TacitNet

/// A job: which protocol, run by which parties on which of their data, who receives what, and
/// who must approve. Written by people as YAML, carried on the ledger as JSON.
///
/// ```yaml
/// id: claims-total-2026q1            # optional; the node assigns one when absent
/// protocol: paillier-aggregation
/// description: Total of Q1 claims across hospitals
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
///   statistic: sum
/// outputs:
///   - name: total
///     recipients: [insurer]
///     public: false                    # true: the value itself goes on the ledger
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
        public init(name: String, recipients: [PartyID], isPublic: Bool = false) {
            self.name = name
            self.recipients = recipients
            self.isPublic = isPublic
        }
    }

    public var id: String
    public var protocolName: String
    public var description: String
    public var parties: [Party]
    public var parameters: [String: String]
    public var outputs: [Output]
    /// Parties that must approve before anything is read. Always includes every input party.
    public var approvers: [PartyID]

    public var partyNames: [PartyID] { parties.map(\.name) }
    public var inputParties: [PartyID] { parties.filter { $0.roles.contains(.input) }.map(\.name) }
    public func party(_ name: PartyID) -> Party? { parties.first { $0.name == name } }
    public func isRecipient(_ p: PartyID) -> Bool { outputs.contains { $0.recipients.contains(p) } }

    /// Session of the mesh the job's protocol runs in: derived from the job id, so every party
    /// agrees on it without talking, and away from the ledger's session.
    public var session: SessionID {
        let digest = SHA256Bytes.hash(Array("tacit.job.session.v1:\(id)".utf8))
        var v: UInt64 = 0
        for b in digest.prefix(8) { v = v << 8 | UInt64(b) }
        return SessionID(v < 16 ? v + 16 : v)
    }
}

/// A problem a protocol finds in a spec, at a path such as `parameters.statistic`.
public struct SpecProblem: Sendable, Hashable {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
}

/// What the validator checks a spec against.
public struct SpecContext: Sendable {
    /// Consortium members: every party a job names must be one.
    public var members: [PartyID]
    public var registry: ProtocolRegistry
    /// Datasets known to be offered, by party. A party missing here is not checked at submit
    /// time; its own node checks when the proposal reaches it (and rejects it if needed).
    public var offered: [PartyID: [DatasetDeclaration]]

    public init(members: [PartyID], registry: ProtocolRegistry, offered: [PartyID: [DatasetDeclaration]] = [:]) {
        self.members = members
        self.registry = registry
        self.offered = offered
    }
}

extension JobSpec {
    static let fields = ["id", "protocol", "description", "parties", "parameters", "outputs", "policy"]

    /// Parses and validates a spec. Every error names the field, points at its line, and
    /// says what to do.
    public static func parse(_ text: String, file: String? = nil, context: SpecContext) throws -> JobSpec {
        do { return try parseUnlocated(text, context: context) } catch let e as NodeError {
            throw file.map { e.inFile($0) } ?? e
        }
    }

    private static func parseUnlocated(_ text: String, context: SpecContext) throws -> JobSpec {
        let root = try YAMLValue.parse(text, code: .invalidSpec, expected: "a job spec mapping")
        let m = try root.mapping(
            allowed: fields, required: ["protocol", "parties", "outputs"], what: "a job spec")
        var lines: [String: YAMLValue] = [:]

        var id = ""
        if let v = m["id"] { id = try v.name("job id") }

        let protoValue = try m.required("protocol")
        let protoName = try protoValue.string()
        guard let proto = context.registry.lookup(protoName) else {
            let names = context.registry.names
            let hint = YAMLValue.closest(protoName, in: names).map { "did you mean '\($0)'? " } ?? ""
            throw protoValue.error("unknown protocol '\(protoName)'; \(hint)this node knows: \(names.joined(separator: ", "))")
        }
        let description = try m["description"]?.string() ?? ""

        // Parties.
        var parties: [Party] = []
        let partyList = try m.required("parties").list(what: "parties")
        if partyList.isEmpty { throw try m.required("parties").error("a job needs at least one party") }
        for item in partyList {
            let pm = try item.mapping(allowed: ["name", "roles", "role", "input"], required: ["name"], what: "a party")
            let nameValue = try pm.required("name")
            let name = PartyID(try nameValue.string())
            guard context.members.contains(name) else {
                throw nameValue.error(
                    "'\(name)' is not a member of this consortium; members: \(context.members.map(\.name).joined(separator: ", "))")
            }
            if let first = parties.firstIndex(where: { $0.name == name }) {
                throw nameValue.error("party '\(name)' is listed twice (also parties[\(first + 1)]); list each party once with all its roles")
            }
            guard let rolesValue = pm["roles"] ?? pm["role"] else {
                throw item.error("party '\(name)' has no role; add `roles: [input]` (contributes data) or `roles: [compute]` (computes without data)")
            }
            if pm["roles"] != nil && pm["role"] != nil {
                throw pm["role"]!.error("give either 'role' or 'roles', not both")
            }
            var roles: [Role] = []
            for (i, text) in try rolesValue.stringList(what: "roles").enumerated() {
                guard let r = Role(rawValue: text) else {
                    let at = (try? rolesValue.list(what: "roles")).flatMap { i < $0.count ? $0[i] : nil } ?? rolesValue
                    throw at.error("unknown role '\(text)'; roles are: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if !roles.contains(r) { roles.append(r) }
            }
            var input: InputSelection?
            if let iv = pm["input"] {
                let im = try iv.mapping(allowed: ["dataset", "columns"], required: ["dataset", "columns"], what: "an input")
                let datasetValue = try im.required("dataset")
                let dataset = try datasetValue.name("dataset name")
                let columnsValue = try im.required("columns")
                let columns = try columnsValue.stringList(what: "columns")
                if Set(columns).count != columns.count {
                    throw columnsValue.error("a column is listed twice")
                }
                if let offered = context.offered[name] {
                    guard let d = offered.first(where: { $0.name == dataset }) else {
                        throw datasetValue.error(
                            "\(name) offers no dataset '\(dataset)'; it offers: \(offered.map(\.name).joined(separator: ", ").ifEmpty("none"))")
                    }
                    for c in columns where d.column(named: c) == nil {
                        throw columnsValue.error(
                            "column '\(c)' is not offered in \(name)'s dataset '\(dataset)'; offered columns: \(d.columns.map(\.name).joined(separator: ", "))")
                    }
                }
                input = InputSelection(dataset: dataset, columns: columns)
                lines["parties[\(parties.count + 1)].input"] = iv
            }
            if roles.contains(.input) && input == nil {
                throw item.error("party '\(name)' has role input but no `input:`; add `input: {dataset: NAME, columns: [COLUMN]}`")
            }
            if !roles.contains(.input), let iv = pm["input"] {
                throw iv.error("party '\(name)' gives an input but has no input role; add `input` to its roles or remove `input:`")
            }
            parties.append(Party(name: name, roles: roles, input: input))
            lines["parties[\(parties.count)]"] = item
        }
        let partyNames = parties.map(\.name)

        // Parameters: a flat mapping of names to scalars.
        var parameters: [String: String] = [:]
        if let pv = m["parameters"] {
            let pm = try pv.mapping(allowed: proto.parameterNames, what: "the parameters of \(proto.name)")
            for (k, v) in pm.fields {
                parameters[k] = try v.string()
                lines["parameters.\(k)"] = v
            }
            lines["parameters"] = pv
        }

        // Outputs.
        var outputs: [Output] = []
        let outList = try m.required("outputs").list(what: "outputs")
        if outList.isEmpty { throw try m.required("outputs").error("a job needs at least one output") }
        for item in outList {
            let om = try item.mapping(allowed: ["name", "recipients", "public"], required: ["name", "recipients"], what: "an output")
            let name = try om.required("name").name("output name")
            if outputs.contains(where: { $0.name == name }) {
                throw try om.required("name").error("output '\(name)' is listed twice")
            }
            let rv = try om.required("recipients")
            let recipients = try rv.stringList(what: "recipients").map { PartyID($0) }
            for r in recipients where !partyNames.contains(r) {
                throw rv.error("recipient '\(r)' is not a party of this job; add it under `parties:` (e.g. with roles: [compute]) or remove it")
            }
            outputs.append(Output(name: name, recipients: recipients, isPublic: try om["public"]?.bool() ?? false))
            lines["outputs[\(outputs.count)]"] = item
        }
        lines["outputs"] = try m.required("outputs")

        // Policy.
        var approvers = partyNames
        if let pv = m["policy"] {
            let pm = try pv.mapping(allowed: ["approvers"], required: ["approvers"], what: "the approval policy")
            let av = try pm.required("approvers")
            let list = try av.stringList(what: "approvers").map { PartyID($0) }
            for a in list where !partyNames.contains(a) {
                throw av.error("approver '\(a)' is not a party of this job; only parties of the job can approve it")
            }
            for p in parties where p.roles.contains(.input) && !list.contains(p.name) {
                throw av.error("input party '\(p.name)' is missing from the approvers; a party's data is never used without its own approval, so every input party must approve")
            }
            approvers = list.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        }

        let spec = JobSpec(
            id: id, protocolName: proto.name, description: description, parties: parties,
            parameters: parameters, outputs: outputs, approvers: approvers)

        // The protocol's own rules (party counts, roles, parameters, outputs).
        if let problem = proto.validate(spec).first {
            let at = Self.bestLocation(problem.path, lines: lines) ?? root
            throw NodeError(.invalidSpec, "\(problem.path): \(problem.message)", line: at.line, column: at.column)
        }
        return spec
    }

    private static func bestLocation(_ path: String, lines: [String: YAMLValue]) -> YAMLValue? {
        var p = path
        while !p.isEmpty {
            if let v = lines[p] { return v }
            if let dot = p.lastIndex(where: { $0 == "." || $0 == "[" }) { p = String(p[..<dot]) } else { break }
        }
        return nil
    }

    /// Canonical JSON (sorted keys), as carried on the ledger.
    public func canonicalJSON() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! e.encode(self), as: UTF8.self)
    }

    /// A reviewer's summary of what the job uses and reveals, for `tacit job status`.
    public func summary() -> [String] {
        var out = ["protocol: \(protocolName)\(description.isEmpty ? "" : " — \(description)")"]
        for p in parties {
            var line = "  \(p.name): \(p.roles.map(\.rawValue).joined(separator: ", "))"
            if let i = p.input { line += "; uses dataset '\(i.dataset)' columns [\(i.columns.joined(separator: ", "))]" }
            out.append(line)
        }
        for o in outputs {
            out.append("  output '\(o.name)' → \(o.recipients.map(\.name).joined(separator: ", "))\(o.isPublic ? " (public: recorded on the ledger)" : "")")
        }
        if !parameters.isEmpty {
            out.append("  parameters: " + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        out.append("  approvers: \(approvers.map(\.name).joined(separator: ", "))")
        return out
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
