public import TacitMPC
public import TacitNet

extension JobSpec {
    /// Every rule a spec must meet before a node acts on it, wherever it came from (a YAML
    /// file, the ledger, `tacit simulate`): names, parties and roles, outputs and recipients,
    /// approvers, the protocol and engine it names, their party counts and parameters, and
    /// the protocol's own rules. Empty when the spec is fine. `members`, when given, is the
    /// consortium every party must belong to.
    public func problems(in registry: JobProtocolRegistry, members: [PartyID]? = nil) -> [SpecProblem] {
        var out: [SpecProblem] = []
        func add(_ path: String, _ message: String) { out.append(SpecProblem(path: path, message)) }

        if !id.isEmpty, let p = NameRules.problem(id) { add("id", "job id '\(id)' \(p)") }
        if parties.isEmpty { add("parties", "a job needs at least one party") }
        var seen: Set<PartyID> = []
        for (i, p) in parties.enumerated() {
            let at = "parties[\(i + 1)]"
            if let problem = NameRules.problem(p.name.name) { add(at, "party name '\(p.name)' \(problem)") }
            if let members, !members.contains(p.name) {
                add(at, "'\(p.name)' is not a member of this consortium; members: \(members.map(\.name).joined(separator: ", "))")
            }
            if !seen.insert(p.name).inserted { add(at, "party '\(p.name)' is listed twice; list each party once with all its roles") }
            if p.roles.isEmpty { add(at, "party '\(p.name)' has no role; add `roles: [input]` or `roles: [compute]`") }
            if p.roles.contains(.input) != (p.input != nil) {
                add(at, p.input == nil
                    ? "party '\(p.name)' has role input but no `input:`; add `input: {dataset: NAME, columns: [COLUMN]}`"
                    : "party '\(p.name)' gives an input but has no input role; add `input` to its roles or remove `input:`")
            }
            if let sel = p.input {
                if let problem = NameRules.problem(sel.dataset) { add("\(at).input", "dataset name '\(sel.dataset)' \(problem)") }
                if sel.columns.isEmpty { add("\(at).input", "an input names at least one column") }
                for c in sel.columns { if let problem = NameRules.problem(c) { add("\(at).input", "column name '\(c)' \(problem)") } }
                if Set(sel.columns).count != sel.columns.count { add("\(at).input", "a column is listed twice") }
            }
        }
        if outputs.isEmpty { add("outputs", "a job needs at least one output") }
        var outputNames: Set<String> = []
        for (i, o) in outputs.enumerated() {
            let at = "outputs[\(i + 1)]"
            if let problem = NameRules.problem(o.name) { add(at, "output name '\(o.name)' \(problem)") }
            if !outputNames.insert(o.name).inserted { add(at, "output '\(o.name)' is listed twice") }
            if o.recipients.isEmpty { add(at, "output '\(o.name)' has no recipients; name at least one party under `recipients:`") }
            for r in o.recipients where !seen.contains(r) {
                add(at, "recipient '\(r)' is not a party of this job; add it under `parties:` (e.g. with roles: [compute]) or remove it")
            }
            if Set(o.recipients).count != o.recipients.count { add(at, "output '\(o.name)' lists a recipient twice") }
            if o.sealed, o.isPublic {
                add(at, "output '\(o.name)' is both public and sealed; a public value is already on the ledger in the clear, so remove `sealed: true` or `public: true`")
            }
            if !o.readers.isEmpty, !o.sealed {
                add("\(at).readers", "output '\(o.name)' grants readers but is not sealed; readers read only the sealed copy on the ledger, so add `sealed: true` or remove `readers:`")
            }
            var granted: Set<PartyID> = []
            for r in o.readers {
                if let problem = NameRules.problem(r.name) { add("\(at).readers", "reader name '\(r)' \(problem)"); continue }
                if let members, !members.contains(r) {
                    add("\(at).readers", "reader '\(r)' is not a member of this consortium; members: \(members.map(\.name).joined(separator: ", "))")
                }
                if o.recipients.contains(r) {
                    add("\(at).readers", "'\(r)' is a recipient of output '\(o.name)' and reads the sealed copy already; remove it from `readers:`")
                } else if !granted.insert(r).inserted {
                    add("\(at).readers", "output '\(o.name)' lists reader '\(r)' twice")
                }
            }
        }
        for a in approvers where !seen.contains(a) {
            add("policy.approvers", "approver '\(a)' is not a party of this job; only parties of the job can approve it")
        }
        for p in inputParties where !approvers.contains(p) {
            add("policy.approvers", "input party '\(p)' is missing from the approvers; a party's data is never used without its own approval, so every input party must approve")
        }
        if Set(approvers).count != approvers.count { add("policy.approvers", "an approver is listed twice") }

        guard let proto = registry.lookup(protocolName) else {
            add("protocol", registry.unknownMessage(protocolName))
            return out
        }
        let d = proto.descriptor
        if !d.partyCounts.contains(parties.count) {
            add("parties", "\(d.name) runs with \(d.partyCounts.lowerBound)...\(d.partyCounts.upperBound) parties; this job has \(parties.count)")
        }
        var engineDescriptor: ProtocolDescriptor?
        if d.needs.contains(.engine) {
            if let e = engine {
                if let found = registry.engines.lookup(e) {
                    engineDescriptor = found.descriptor
                    let counts = found.descriptor.partyCounts
                    if !counts.contains(parties.count) {
                        add("parties", "engine \(e) runs with \(counts.lowerBound)...\(counts.upperBound) parties; this job has \(parties.count) (add parties with roles: [compute], or choose another engine)")
                    }
                } else {
                    add("engine", "unknown engine '\(e)'; registered engines: \(registry.engines.names.joined(separator: ", "))")
                }
            } else {
                add("engine", "\(d.name) runs on a secret-sharing engine; add `engine:` with one of \(registry.engines.names.joined(separator: ", "))")
            }
        } else if let e = engine {
            add("engine", "\(d.name) does not run on a secret-sharing engine; remove `engine: \(e)`")
        }
        // Parameters belong to the job protocol or to the engine it runs on (`dealer`).
        let engineNames = engineDescriptor?.parameterNames ?? []
        let accepted = d.parameterNames + engineNames
        for k in parameters.keys.sorted() where !accepted.contains(k) {
            add("parameters.\(k)", "\(d.name)\(engineDescriptor.map { " on \($0.name)" } ?? "") takes no parameter '\(k)'; it takes: \(accepted.joined(separator: ", ").ifEmpty("none"))")
        }
        if let e = engine, let found = registry.engines.lookup(e), engineDescriptor != nil {
            do {
                _ = try found.configured(engineParameters(found.descriptor), parties: partyNames, inputParties: inputParties)
            } catch let error as MPCError {
                add(found.descriptor.parameterNames.count == 1 ? "parameters.\(found.descriptor.parameterNames[0])" : "parameters",
                    "engine \(e): \(error.message)")
            } catch {
                add("parameters", "engine \(e): \(error)")
            }
        }
        if out.isEmpty { out += proto.validate(self, engine: engineDescriptor) }
        return out
    }
}

extension JobSpec {
    /// The spec's values for the parameters `engine` declares (the rest are the job
    /// protocol's).
    public func engineParameters(_ engine: ProtocolDescriptor) -> [String: String] {
        parameters.filter { engine.parameterNames.contains($0.key) }
    }

    /// The engine this job runs on, set up with the spec's engine parameters: what a job
    /// always runs. Throws `JobError(.invalidSpec)` with the engine's reason when they do not
    /// fit (e.g. `additive-dealer` without a non-input `dealer`).
    public func configuredEngine(_ engine: any MPCProtocol) throws -> any MPCProtocol {
        do {
            return try engine.configured(engineParameters(engine.descriptor), parties: partyNames, inputParties: inputParties)
        } catch let e as MPCError {
            throw JobError(.invalidSpec, "engine \(engine.descriptor.name): \(e.message)")
        }
    }

    /// The shape of a computation on one column per input party: at least one input party,
    /// exactly one column each, and `outputs` outputs. For protocols' `validate`.
    public func oneColumnProblems(_ name: String, outputs expected: Int = 1) -> [SpecProblem] {
        var out: [SpecProblem] = []
        if inputParties.isEmpty { out.append(SpecProblem(path: "parties", "\(name) needs at least one party with roles: [input]")) }
        for (i, p) in parties.enumerated() {
            if let input = p.input, input.columns.count != 1 {
                out.append(SpecProblem(path: "parties[\(i + 1)].input", "\(name) takes exactly one column per input party; \(p.name) lists \(input.columns.count)"))
            }
        }
        if outputs.count != expected {
            out.append(SpecProblem(path: "outputs", "\(name) has exactly \(expected) output\(expected == 1 ? "" : "s"); this spec lists \(outputs.count)"))
        }
        return out
    }
}

extension JobProtocolRegistry {
    /// Why `name` is not a job protocol, and what to write instead.
    func unknownMessage(_ name: String) -> String {
        do { _ = try named(name); return "" } catch let e as JobError { return e.message } catch { return "\(error)" }
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}

extension JobSpec {
    /// What an approver reviews: ``summary()``, then the security model and what each party
    /// learns, of the job protocol and of the engine as this spec configures it (so that a
    /// dealer is named, with what it learns).
    public func summary(in registry: JobProtocolRegistry) -> [String] {
        var out = summary()
        guard let proto = registry.lookup(protocolName) else { return out }
        var engineDescriptor: ProtocolDescriptor?
        if let e = engine, let found = registry.engines.lookup(e) {
            engineDescriptor = ((try? configuredEngine(found)) ?? found).descriptor
        }
        let review = proto.descriptor.review(engine: engineDescriptor)
        out.append("  security: \(review.security)")
        out.append("  learns: \(review.learns)")
        return out
    }
}
