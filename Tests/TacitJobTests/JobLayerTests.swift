import Foundation
import Logging
import Testing
import TacitJob
import TacitJobHarness
import TacitMPC
import TacitNet
import TacitProtocols

@Suite("The job layer")
struct JobLayerTests {
    /// Vectors computed independently with Python's hashlib and struct from Docs/TacitJob.md:
    /// SHA-256 over the length-prefixed (4-byte big-endian) fields, salt = bytes 0...31.
    @Test("result digests match the documented construction")
    func digestVectors() {
        let salt = (0..<32).map { UInt8($0) }
        #expect(ResultDigest.compute(jobID: "claims-2026", output: "total", value: "18892.84", salt: salt)
                == "efff732de25f3690d6a15612a24644d5606a333be13ed30b4ec5b62d82822fed")
        let set = JobValue.makeSet(["bé", "a", "bé"])
        #expect(set.canonicalText == #"{"items":["a","bé"],"kind":"set"}"#)
        #expect(ResultDigest.compute(jobID: "psi-1", output: "matches", value: set.canonicalText, salt: salt)
                == "0297f3171904e6bb3219149e87c2cf13c118fe9bd7f902c79d73ecd561c91e9f")
    }

    @Test("values round-trip through JSON; a table refuses ragged rows")
    func values() throws {
        let table = try JobTable(columns: ["claim", "payout"], rows: [["c1", "10.00"], ["c2", "0.00"]])
        for v: JobValue in [.number("-3.25"), .makeSet(["x"]), .table(table)] {
            #expect(try JSONDecoder().decode(JobValue.self, from: JSONEncoder().encode(v)) == v)
        }
        #expect(JobValue.table(table).canonicalText == #"{"columns":["claim","payout"],"kind":"table","rows":[["c1","10.00"],["c2","0.00"]]}"#)
        #expect(throws: JobError(.protocolFailure, "")) { try JobTable(columns: ["a", "b"], rows: [["1"]]) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JobValue.self, from: Data(#"{"kind":"blob"}"#.utf8)) }
    }

    @Test("length-prefixed fields: truncated, overlong or too many fields are refused, never trapped")
    func fields() {
        let good = LengthPrefixedFields.encode([[1, 2, 3], [], [9]])
        #expect(LengthPrefixedFields.decode(good, maxFields: 3) == [[1, 2, 3], [], [9]])
        #expect(LengthPrefixedFields.decode(good, maxFields: 2) == nil)
        #expect(LengthPrefixedFields.decode(Array(good.dropLast()), maxFields: 3) == nil)
        #expect(LengthPrefixedFields.decode([0, 0, 0], maxFields: 3) == nil)
        #expect(LengthPrefixedFields.decode([0xFF, 0xFF, 0xFF, 0xFF, 1], maxFields: 3) == nil)
    }

    /// A job protocol that records the sessions it is given and sends on two sub-sessions
    /// with the same tag: the messages must not mix.
    struct TwoSteps: JobProtocol {
        let descriptor = JobDescriptor(name: "two-steps", summary: "test", security: "none", learns: "everything")
        func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] { [] }
        func run(_ ctx: JobContext) async throws -> [String: JobValue] {
            let a = ctx.session("a"), b = ctx.session("b")
            #expect(a.session != b.session && a.session != ctx.channel.session && ctx.session("a").session == a.session)
            let others = ctx.spec.partyNames.filter { $0 != ctx.localParty }
            for p in others {
                try await b.send(Payload(Array("b-\(ctx.localParty)".utf8)), to: p, tag: 1)
                try await a.send(Payload(Array("a-\(ctx.localParty)".utf8)), to: p, tag: 1)
            }
            var seen: [String] = []
            for p in others {
                seen.append(String(decoding: try await a.receive(from: p, tag: 1).bytes, as: UTF8.self))
                seen.append(String(decoding: try await b.receive(from: p, tag: 1).bytes, as: UTF8.self))
            }
            return ctx.spec.output("log")?.recipients.contains(ctx.localParty) == true ? ["log": .makeSet(seen)] : [:]
        }
    }

    @Test("sub-sessions keep one job's steps apart; only recipients get values, everyone the digest")
    func subSessionsAndRecipients() async throws {
        var registry = JobProtocolRegistry(engines: .standard())
        try registry.register(TwoSteps())
        let spec = JobSpec(id: "j", protocolName: "two-steps", parties: [
            .init(name: "x", roles: [.compute]), .init(name: "y", roles: [.compute]), .init(name: "z", roles: [.compute]),
        ], outputs: [.init(name: "log", recipients: ["y"])])
        let r = try await JobHarness(registry: registry).run(spec, inputs: [:])
        #expect(try r.value("log", at: "y") == .makeSet(["a-x", "b-x", "a-z", "b-z"]))
        #expect(try r.value("log", at: "x") == nil)
        let results = try r.results()
        #expect(Set(results.values.map { $0.outputs[0].digest }).count == 1)
        #expect(results["y"]?.outputs[0].salt?.count == 64 && results["x"]?.outputs[0].salt == nil)
        #expect(r.rounds >= 2 && r.messagesSent["x"] ?? 0 >= 4)
    }

    /// Returns a value for an output it does not receive: the runner refuses to record it.
    struct Leaky: JobProtocol {
        let descriptor = JobDescriptor(name: "leaky", summary: "test", security: "none", learns: "everything")
        func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] { [] }
        func run(_ ctx: JobContext) async throws -> [String: JobValue] { ["out": .number("1")] }
    }

    @Test("a protocol that hands a value to a non-recipient fails the job")
    func valuesOnlyAtRecipients() async throws {
        var registry = JobProtocolRegistry(engines: .standard())
        try registry.register(Leaky())
        let spec = JobSpec(id: "j", protocolName: "leaky", parties: [.init(name: "x", roles: [.compute]), .init(name: "y", roles: [.compute])],
                           outputs: [.init(name: "out", recipients: ["y"])])
        let r = try await JobHarness(registry: registry).run(spec, inputs: [:])
        guard case .failure(let e)? = r.outcomes["x"] else { Issue.record("x recorded a value it must not have"); return }
        #expect(e.message.contains("not one of its recipients"))
    }

    @Test("spec rules hold whatever the source: ids, recipients, approvers, engines")
    func specProblems() {
        let registry = JobProtocolRegistry.standard()
        func problems(_ edit: (inout JobSpec) -> Void) -> [String] {
            var s = JobSpec(id: "ok", protocolName: "statistics", engine: "shamir", parties: [
                .init(name: "a", roles: [.input], input: .init(dataset: "d", columns: ["v"])),
                .init(name: "b", roles: [.input], input: .init(dataset: "d", columns: ["v"])), .init(name: "c", roles: [.compute]),
            ], outputs: [.init(name: "r", recipients: ["c"])])
            edit(&s)
            return s.problems(in: registry, members: ["a", "b", "c"]).map(\.description)
        }
        #expect(problems { _ in }.isEmpty)
        #expect(problems { $0.id = "../keys" }.contains { $0.hasPrefix("id: job id '../keys' may contain only") })
        #expect(problems { $0.outputs = [] }.contains { $0.contains("at least one output") })
        #expect(problems { $0.outputs[0].recipients = [] }.contains { $0.contains("has no recipients") })
        #expect(problems { $0.outputs[0].recipients = ["mallory"] }.contains { $0.contains("recipient 'mallory' is not a party") })
        #expect(problems { $0.approvers = ["c"] }.contains { $0.contains("input party 'a' is missing from the approvers") })
        #expect(problems { $0.parties.append(.init(name: "d", roles: [.compute])) }.contains { $0.contains("'d' is not a member") })
        #expect(problems { $0.engine = nil }.contains { $0.hasPrefix("engine: statistics runs on a secret-sharing engine") })
        #expect(problems { $0.protocolName = "shamir" }.contains { $0.contains("'shamir' is an engine, not a job protocol") })
        #expect(problems { $0.parameters["statistic"] = "median" }.contains { $0.contains("unknown statistic 'median'") })
        #expect(problems { $0.parties[0].input = nil }.contains { $0.contains("has role input but no `input:`") })
    }
}

@Suite("Canonical text of tables and sets")
struct CanonicalTextTests {
    static func encoder(_ v: JobValue) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }

    @Test("written directly, it is byte for byte JSONEncoder's, whatever the strings hold")
    func sameAsJSONEncoder() throws {
        let alphabet: [String] = ["a", "Z", "0", " ", "/", ",", "-", ".", "é", "漢", "🙂", "\u{7f}", "\u{2028}", "\u{2029}", "\u{a0}", "<", "&", "'",
                                  "\"", "\\", "\n", "\t", "\u{01}", "\u{1f}"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<400 {
            let cell = { () -> String in (0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet[Int.random(in: 0..<(round % 2 == 0 ? 18 : alphabet.count), using: &rng)] }.joined() }
            let columns = (0..<Int.random(in: 1...3, using: &rng)).map { _ in cell() }
            let rows = (0..<Int.random(in: 0...5, using: &rng)).map { _ in columns.map { _ in cell() } }
            let t = JobValue.table(try JobTable(columns: columns, rows: rows))
            #expect(t.canonicalText == (try Self.encoder(t)), "\(columns) \(rows)")
            let s = JobValue.makeSet(rows.flatMap { $0 })
            #expect(s.canonicalText == (try Self.encoder(s)))
        }
    }
}
