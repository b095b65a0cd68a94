import Foundation
import Testing
import TacitJob
import TacitNode
import TacitProtocols
import TacitNet

/// `sealed:` and `readers:` in a job spec: parsed, validated, shown to approvers, and carried on
/// the ledger without changing the JSON of specs that do not use them.
@Suite("Sealed outputs in the job spec")
struct SealedSpecTests {
    static let members: [PartyID] = ["insurer", "hospital-a", "hospital-b", "regulator"]
    static let context = SpecContext(members: members, registry: .standard())

    static let spec = """
        id: payouts-q1
        protocol: psi
        parties:
          - {name: insurer, roles: [input], input: {dataset: claims, columns: [claim_id]}}
          - {name: hospital-a, roles: [input], input: {dataset: claims, columns: [claim_id]}}
        parameters: {path: ecdh}
        outputs:
          - name: payouts
            recipients: [insurer]
            sealed: true
            readers: [regulator]
        """

    @Test("sealed: true with readers parses, and the approvers' summary names everyone who can read the sealed copy")
    func sealedOutputParsesAndShowsTheGrant() throws {
        let s = try JobSpec.parse(Self.spec, context: Self.context)
        let o = try #require(s.output("payouts"))
        #expect(o.sealed && !o.isPublic)
        #expect(o.readers == ["regulator"])
        #expect(o.sealedTo == ["insurer", "regulator"])
        #expect(o.sealingParty == "insurer")
        #expect(s.summary().contains("  output 'payouts' → insurer (sealed on the ledger for insurer, regulator)"), "\(s.summary())")
        #expect(s.problems(in: .standard(), members: Self.members).isEmpty)
        // The grant travels in the spec's JSON, which JobProposed carries.
        let json = s.canonicalJSON()
        #expect(json.contains(#""readers":["regulator"]"#) && json.contains(#""sealed":true"#), "\(json)")
        #expect(try JSONDecoder().decode(JobSpec.self, from: Data(json.utf8)) == s)
    }

    @Test("a spec written before sealed outputs decodes, and encodes to the same bytes")
    func oldSpecJSONIsByteIdentical() throws {
        let old = #"{"approvers":["hospital-a","insurer"],"description":"","id":"j1","outputs":[{"isPublic":false,"name":"total","recipients":["insurer"]}],"parameters":{"statistic":"sum"},"parties":[{"input":{"columns":["amount"],"dataset":"claims"},"name":"hospital-a","roles":["input"]},{"name":"insurer","roles":["compute"]}],"protocolName":"paillier-aggregation"}"#
        let spec = try JSONDecoder().decode(JobSpec.self, from: Data(old.utf8))
        #expect(spec.outputs[0].sealed == false && spec.outputs[0].readers.isEmpty)
        #expect(spec.canonicalJSON() == old)
    }

    @Test("what is wrong with a grant is named at its line", arguments: [
        ("    sealed: true\n", "", 10, "outputs[1].readers: output 'payouts' grants readers but is not sealed; readers read only the sealed copy on the ledger, so add `sealed: true` or remove `readers:`"),
        ("readers: [regulator]", "readers: [auditor]", 11, "reader 'auditor' is not a member of this consortium; members: insurer, hospital-a, hospital-b, regulator"),
        ("readers: [regulator]", "readers: [regulator, regulator]", 11, "outputs[1].readers: output 'payouts' lists reader 'regulator' twice"),
        ("readers: [regulator]", "readers: [insurer]", 11, "outputs[1].readers: 'insurer' is a recipient of output 'payouts' and reads the sealed copy already; remove it from `readers:`"),
        ("    sealed: true\n", "    sealed: true\n    public: true\n", 8, "outputs[1]: output 'payouts' is both public and sealed; a public value is already on the ledger in the clear, so remove `sealed: true` or `public: true`"),
    ])
    func brokenGrantsAreRefused(_ from: String, _ to: String, _ line: Int, _ message: String) throws {
        let text = Self.spec.replacingOccurrences(of: from, with: to)
        do {
            _ = try JobSpec.parse(text, file: "job.yaml", context: Self.context)
            Issue.record("accepted:\n\(text)")
        } catch let e as NodeError {
            #expect(e.code == .invalidSpec)
            #expect(e.message.contains(message), "\(e)")
            #expect(e.line == line, "\(e)")
        }
    }

    @Test("a spec from the ledger meets the same rules: readers must be members, only of a sealed, non-public output")
    func ledgerSpecsAreChecked() throws {
        var s = try JobSpec.parse(Self.spec, context: Self.context)
        s.outputs[0].readers = ["auditor"]
        #expect(s.problems(in: .standard(), members: Self.members).map(\.path) == ["outputs[1].readers"])
        s.outputs[0].readers = ["regulator"]
        s.outputs[0].sealed = false
        #expect(s.problems(in: .standard(), members: Self.members).map(\.path) == ["outputs[1].readers"])
        s.outputs[0].readers = []
        s.outputs[0].sealed = true
        s.outputs[0].isPublic = true
        #expect(s.problems(in: .standard(), members: Self.members).map(\.path) == ["outputs[1]"])
    }
}
