import Testing
import TacitJob
import TacitJobHarness
import TacitMPC
import TacitNet
import TacitProtocols

@testable import TacitPSI

/// Unbalanced mode as a job: the blacklist's node keeps its prepared list between jobs and
/// updates only what changed; the receiver keeps the list's tags.
@Suite("psi prepared: stored blacklists across jobs, against plaintext")
struct PreparedListTests {
    let harness = JobHarness(registry: .standard())

    static func ids(_ values: [String], party: PartyID) -> DatasetInput { PSIJobTests.ids(values, party: party) }

    func spec(_ inputs: [PartyID: DatasetInput], _ parameters: [String: String] = ["prepared": "yes"], id: String) -> JobSpec {
        JobHarness.spec(protocol: "psi", inputs: inputs, parameters: parameters, outputs: [JobSpec.Output(name: "result", recipients: ["bank-a"])], id: id)
    }

    /// The receiver's rows whose (standard-normalised) identifier `list` holds.
    static func expected(_ applicants: [String], _ list: [String]) throws -> JobTable {
        let n = IdentifierNormalisation.standard
        let set = Set(list.map(n.apply).filter { !$0.isEmpty })
        let rows = applicants.enumerated().filter { set.contains(n.apply($0.element)) }.map { [String($0.offset + 1), $0.element, "bank-b"] }
        return try JobTable(columns: ["row", "national_id", "listedBy"], rows: rows)
    }

    @Test("a second and third job reuse the stored list: same set, only the changes applied, results still exact")
    func reuse() async throws {
        let bankState = InMemoryProtocolStateStore(), applicantState = InMemoryProtocolStateStore()
        let resources: [PartyID: JobResources] = ["bank-a": JobResources(state: applicantState), "bank-b": JobResources(state: bankState)]
        let applicants = (0..<40).map { "person \($0)" } + ["Zoë", "ZOË"]
        var list = (30..<300).map { "PERSON \($0)" } + ["zoë"]

        func run(_ id: String) async throws -> (StoredBlacklist, ECDHPSI.ReceiverCache) {
            let inputs: [PartyID: DatasetInput] = ["bank-a": Self.ids(applicants, party: "bank-a"), "bank-b": Self.ids(list, party: "bank-b")]
            let report = try await harness.run(spec(inputs, id: id), inputs: inputs, resources: resources)
            #expect(try report.value("result", at: "bank-a") == .table(try Self.expected(applicants, list)), "\(id)")
            let kept = bankState.entries(of: "psi"), cached = applicantState.entries(of: "psi")
            try #require(kept.count == 1 && cached.count == 1)
            return (try StoredBlacklist(serialized: kept.values.first!), try ECDHPSI.ReceiverCache(serialized: cached.values.first!))
        }

        let (first, firstCache) = try await run("job-1")
        #expect(first.prepared.count == list.count)
        #expect(firstCache.setID == first.prepared.id && firstCache.version == first.prepared.version)

        // Two added, one removed: the same set (id), one version further, the right size.
        list += ["person 5", "person 6"]
        list.removeAll { $0 == "PERSON 31" }
        let (second, secondCache) = try await run("job-2")
        #expect(second.prepared.id == first.prepared.id)
        #expect(second.prepared.version == first.prepared.version + 1)
        #expect(second.prepared.count == list.count)
        #expect(secondCache.version == second.prepared.version)

        // Unchanged: nothing moves.
        let (third, thirdCache) = try await run("job-3")
        #expect(third.prepared.id == first.prepared.id && third.prepared.version == second.prepared.version)
        #expect(thirdCache.version == third.prepared.version)
    }

    @Test("a stored list updated by sync equals one prepared from scratch under the same key, and survives serialisation")
    func syncMatchesFresh() throws {
        let a = PSISet((0..<500).map { Array("id-\($0)".utf8) })
        var stored = try StoredBlacklist(a)
        let b = PSISet((250..<900).map { Array("id-\($0)".utf8) })
        let change = try stored.sync(b)
        #expect(change.added == 400 && change.removed == 250)
        #expect(stored.prepared.count == b.count)
        // The tags are the PRF of exactly b's elements under the set's key.
        #expect(Set(try stored.prepared.tagsOf(b.elements[...])) == stored.prepared.tags)
        let again = try StoredBlacklist(serialized: stored.serialized())
        #expect(again.prepared.id == stored.prepared.id && again.prepared.version == stored.prepared.version)
        #expect(again.prepared.tags == stored.prepared.tags && again.tagOf == stored.tagOf)
    }

    @Test("damaged stored bytes are refused, not trusted", arguments: [0, 13, 30, 120])
    func damaged(_ at: Int) throws {
        let stored = try StoredBlacklist(PSISet((0..<20).map { Array("x\($0)".utf8) }))
        var bytes = stored.serialized()
        #expect(throws: JobError.self) { try StoredBlacklist(serialized: Array(bytes.dropLast(3))) }
        // The magic, the format, the prepared set's own header, one of its tags (out of order
        // then, or not the entries' tags).
        bytes[min(at, bytes.count - 1)] ^= 0x5A
        #expect(throws: JobError.self) { try StoredBlacklist(serialized: bytes) }
    }

    @Test("without a node's state store the list's party fails saying so, and the receiver fails too, promptly")
    func noStore() async throws {
        let inputs: [PartyID: DatasetInput] = ["bank-a": Self.ids(["a"], party: "bank-a"), "bank-b": Self.ids(["a"], party: "bank-b")]
        let report = try await harness.run(spec(inputs, id: "job-x"), inputs: inputs)
        guard case .failure(let b) = report.outcomes["bank-b"], case .failure(let a) = report.outcomes["bank-a"] else {
            Issue.record("both must fail: \(report.outcomes)"); return
        }
        #expect(b.message.contains("keeps no protocol state"), "\(b.message)")
        #expect(a.message.contains("prepared list is not available") || a.message.contains("keeps no protocol state"), "\(a.message)")
    }

    @Test("prepared: yes with the ot path or reveal: count is a spec problem saying what to write")
    func specProblems() {
        let two: [PartyID: DatasetInput] = ["bank-a": Self.ids(["x"], party: "bank-a"), "bank-b": Self.ids(["y"], party: "bank-b")]
        let cases: [([String: String], String, String)] = [
            (["prepared": "yes", "path": "ot"], "parameters.path", "ecdh path only"),
            (["prepared": "yes", "reveal": "count"], "parameters.prepared", "cannot use prepared lists"),
            (["prepared": "maybe"], "parameters.prepared", "not yes or no"),
        ]
        for (p, path, text) in cases {
            let problems = PSI().validate(spec(two, p, id: "j"), engine: nil)
            #expect(problems.contains { $0.path == path && $0.message.contains(text) }, "\(p): \(problems)")
        }
        #expect(PSI().validate(spec(two, id: "j"), engine: nil).isEmpty)
    }
}
