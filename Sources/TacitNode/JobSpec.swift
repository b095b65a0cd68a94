import Foundation
public import TacitJob
import TacitMPC
public import TacitNet

/// What the validator checks a spec against.
public struct SpecContext: Sendable {
    /// Consortium members: every party a job names must be one.
    public var members: [PartyID]
    public var registry: JobProtocolRegistry
    /// Datasets known to be offered, by party. A party missing here is not checked at submit
    /// time; its own node checks when the proposal reaches it (and rejects it if needed).
    public var offered: [PartyID: [DatasetDeclaration]]

    public init(members: [PartyID], registry: JobProtocolRegistry, offered: [PartyID: [DatasetDeclaration]] = [:]) {
        self.members = members
        self.registry = registry
        self.offered = offered
    }
}

extension JobSpec {
    static let fields = ["id", "protocol", "engine", "description", "parties", "parameters", "outputs", "policy"]

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
            if context.registry.engines.names.contains(protoName) {
                // The old form named the engine as the protocol.
                throw protoValue.error(
                    "'\(protoName)' is a secret-sharing engine, not a job protocol: a spec names what is computed and the engine separately; write `protocol: statistics` and `engine: \(protoName)`")
            }
            let names = context.registry.names
            let hint = YAMLValue.closest(protoName, in: names).map { "did you mean '\($0)'? " } ?? ""
            throw protoValue.error("unknown protocol '\(protoName)'; \(hint)this node knows: \(names.joined(separator: ", "))")
        }
        var engine: String?
        if let ev = m["engine"] {
            let name = try ev.string()
            guard proto.descriptor.needs.contains(.engine) else {
                throw ev.error("\(proto.descriptor.name) does not run on a secret-sharing engine; remove `engine:`")
            }
            guard context.registry.engines.lookup(name) != nil else {
                let names = context.registry.engines.names
                let hint = YAMLValue.closest(name, in: names).map { "did you mean '\($0)'? " } ?? ""
                throw ev.error("unknown engine '\(name)'; \(hint)this node has: \(names.joined(separator: ", "))")
            }
            engine = name
        } else if let d = proto.descriptor.defaultEngine, context.registry.engines.lookup(d) != nil {
            engine = d
        } else if proto.descriptor.needs.contains(.engine) {
            throw protoValue.error(
                "\(proto.descriptor.name) runs on a secret-sharing engine; add `engine:` with one of \(context.registry.engines.names.joined(separator: ", "))")
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
            // The job protocol's parameters and those of the engine it runs on (`dealer`).
            let engineParameters = engine.flatMap { context.registry.engines.lookup($0)?.descriptor.parameterNames } ?? []
            let pm = try pv.mapping(
                allowed: proto.descriptor.parameterNames + engineParameters,
                what: "the parameters of \(proto.descriptor.name)\(engine.map { " on \($0)" } ?? "")")
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
            let om = try item.mapping(allowed: ["name", "recipients", "public", "sealed", "readers"], required: ["name", "recipients"], what: "an output")
            let name = try om.required("name").name("output name")
            if outputs.contains(where: { $0.name == name }) {
                throw try om.required("name").error("output '\(name)' is listed twice")
            }
            let rv = try om.required("recipients")
            let recipients = try rv.stringList(what: "recipients").map { PartyID($0) }
            for r in recipients where !partyNames.contains(r) {
                throw rv.error("recipient '\(r)' is not a party of this job; add it under `parties:` (e.g. with roles: [compute]) or remove it")
            }
            var readers: [PartyID] = []
            if let rv = om["readers"] {
                readers = try rv.stringList(what: "readers").map { PartyID($0) }
                for r in readers where !context.members.contains(r) {
                    throw rv.error(
                        "reader '\(r)' is not a member of this consortium; members: \(context.members.map(\.name).joined(separator: ", "))")
                }
                lines["outputs[\(outputs.count + 1)].readers"] = rv
            }
            outputs.append(Output(
                name: name, recipients: recipients, isPublic: try om["public"]?.bool() ?? false, sealed: try om["sealed"]?.bool() ?? false,
                readers: readers))
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
            id: id, protocolName: proto.descriptor.name, engine: engine, description: description, parties: parties,
            parameters: parameters, outputs: outputs, approvers: approvers)

        // Everything else, by the same rules a spec from the ledger meets (party counts of
        // the protocol and engine, the protocol's own rules).
        if let pv = m["policy"] { lines["policy"] = pv }
        lines["parties"] = try m.required("parties")
        lines["protocol"] = protoValue
        if let ev = m["engine"] { lines["engine"] = ev }
        if let iv = m["id"] { lines["id"] = iv }
        if let problem = spec.problems(in: context.registry, members: context.members).first {
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
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
