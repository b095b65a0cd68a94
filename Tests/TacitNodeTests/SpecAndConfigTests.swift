import Foundation
import Testing
import TacitMath
import TacitJob
@testable import TacitNode
import TacitProtocols
import TacitNet

struct SpecValidationTests {
    static let members: [PartyID] = ["insurer", "hospital-a", "hospital-b"]
    static let offered: [PartyID: [DatasetDeclaration]] = [
        "hospital-a": [DatasetDeclaration(name: "claims", file: "/x.csv", columns: [ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2)])]
    ]
    static let context = SpecContext(members: members, registry: .standard(), offered: offered)

    static let good = """
        protocol: paillier-aggregation
        parties:
          - name: hospital-a
            roles: [input]
            input: {dataset: claims, columns: [amount]}
          - name: insurer
            roles: [compute]
        outputs:
          - name: total
            recipients: [insurer]
        """

    func error(_ text: String) -> NodeError? {
        do { _ = try JobSpec.parse(text, file: "job.yaml", context: Self.context); return nil } catch let e as NodeError { return e } catch { return nil }
    }

    @Test func goodSpecParses() throws {
        let s = try JobSpec.parse(Self.good, context: Self.context)
        #expect(s.protocolName == "paillier-aggregation")
        #expect(s.inputParties == ["hospital-a"])
        #expect(s.approvers == ["hospital-a", "insurer"])
        #expect(s.outputs[0].recipients == ["insurer"])
    }

    @Test(arguments: [
        ("protocol: paillier-aggregation", "protocol: paillier-agregation", 1, "unknown protocol 'paillier-agregation'; did you mean 'paillier-aggregation'?"),
        ("  - name: insurer\n", "  - name: bank\n", 6, "'bank' is not a member of this consortium"),
        ("    roles: [compute]\n", "", 6, "party 'insurer' has no role; add `roles: [input]`"),
        ("columns: [amount]", "columns: [diagnosis]", 5, "column 'diagnosis' is not offered in hospital-a's dataset 'claims'"),
        ("dataset: claims", "dataset: payroll", 5, "hospital-a offers no dataset 'payroll'"),
        ("recipients: [insurer]", "recipients: [hospital-b]", 10, "recipient 'hospital-b' is not a party of this job"),
        ("roles: [compute]", "roles: [compute, boss]", 7, "unknown role 'boss'"),
        ("protocol: paillier-aggregation\n", "protocol: paillier-aggregation\nprotocol: x\n", 2, "duplicate key 'protocol' (first at line 1)"),
        ("outputs:\n", "outputz:\n", 8, "unknown field 'outputz'; did you mean 'outputs'?"),
        ("recipients: [insurer]", "recipients: {a: 1}", 10, "expected a list of recipients, found a mapping"),
        ("  - name: total\n", "  - nom: total\n", 9, "unknown field 'nom'; did you mean 'name'?"),
        ("\n    recipients: [insurer]", "", 9, "missing required field 'recipients'"),
        ("columns: [amount]", "columns: [amount, amount]", 5, "a column is listed twice"),
        ("protocol: paillier-aggregation\n", "protocol: paillier-aggregation\nparameters: {statistic: median}\n", 2, "parameters.statistic: unknown statistic 'median'"),
        ("columns: [amount]", "columns: [amount, age]", 5, "paillier-aggregation takes exactly one column per input party"),
        // Computation and engine are named separately; the old form is refused with the new one.
        ("protocol: paillier-aggregation", "protocol: shamir", 1,
         "'shamir' is a secret-sharing engine, not a job protocol: a spec names what is computed and the engine separately; write `protocol: statistics` and `engine: shamir`"),
        ("protocol: paillier-aggregation", "protocol: statistics", 1, "statistics runs on a secret-sharing engine; add `engine:` with one of additive-dealer, additive-ot, replicated, shamir"),
        ("protocol: paillier-aggregation", "protocol: statistics\nengine: shamr", 2, "unknown engine 'shamr'; did you mean 'shamir'?"),
        ("protocol: paillier-aggregation", "protocol: paillier-aggregation\nengine: shamir", 2, "paillier-aggregation does not run on a secret-sharing engine; remove `engine:`"),
        ("protocol: paillier-aggregation", "protocol: statistics\nengine: shamir", 4, "engine shamir runs with 3...16 parties; this job has 2"),
    ])
    func brokenSpecsPointAtTheLine(_ from: String, _ to: String, _ line: Int, _ message: String) throws {
        let text = Self.good.replacingOccurrences(of: from, with: to)
        let offered = [PartyID("hospital-a"): [DatasetDeclaration(name: "claims", file: "/x.csv", columns: [
            ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2), ColumnDeclaration(name: "age", type: .integer)])]]
        let ctx = message.contains("one column") ? SpecContext(members: Self.members, registry: .standard(), offered: offered) : Self.context
        do {
            _ = try JobSpec.parse(text, file: "job.yaml", context: ctx)
            Issue.record("accepted a broken spec:\n\(text)")
        } catch let e as NodeError {
            #expect(e.code == .invalidSpec)
            #expect(e.line == line, "\(e)")
            #expect(e.description.hasPrefix("job.yaml:\(line):"), "\(e)")
            #expect(e.message.contains(message), "\(e)")
        }
    }

    @Test func policyMustIncludeEveryInputPartyAndOnlyParties() {
        let missing = Self.good + "\npolicy:\n  approvers: [insurer]\n"
        #expect(error(missing)?.message.contains("input party 'hospital-a' is missing from the approvers") == true)
        #expect(error(missing)?.line == 12)
        let stranger = Self.good + "\npolicy:\n  approvers: [hospital-a, hospital-b]\n"
        #expect(error(stranger)?.message.contains("approver 'hospital-b' is not a party of this job") == true)
    }

    /// additive-dealer's dealer learns every input: a YAML spec must name a compute-only
    /// dealer under `parameters:`. On main the spec without one parsed (the first party,
    /// hospital-a, an input party, dealt) and `dealer:` was an unknown parameter.
    @Test func additiveDealerNeedsANamedNonInputDealer() throws {
        func spec(_ dealer: String?) -> String {
            Self.good.replacingOccurrences(of: "protocol: paillier-aggregation\n", with: """
                protocol: statistics
                engine: additive-dealer
                parameters:
                  statistic: sum
                \(dealer.map { "  dealer: \($0)\n" } ?? "")
                """)
        }
        let none = error(spec(nil))
        #expect(none?.code == .invalidSpec && none?.message.contains("parameters.dealer: engine additive-dealer: additive-dealer needs a named dealer") == true, "\(String(describing: none))")
        let input = error(spec("hospital-a"))
        #expect(input?.code == .invalidSpec && input?.message.contains("the dealer 'hospital-a' is an input party") == true, "\(String(describing: input))")
        let parsed = try JobSpec.parse(spec("insurer"), context: Self.context)
        #expect(parsed.parameters["dealer"] == "insurer")
        #expect(parsed.summary(in: .standard()).contains { $0.contains("The dealer (insurer) learns the inputs") })
    }

    @Test func wrongTypesAndEmptyFiles() {
        #expect(error("")?.message.contains("the file is empty") == true)
        #expect(error("- a\n- b\n")?.message.contains("expected a job spec") == true)
        #expect(error("protocol: [a, b]\nparties: []\noutputs: []\n")?.message.contains("protocol: expected a string, found a list") == true)
        #expect(error("protocol: paillier-aggregation\nparties: [\n")?.message.contains("not valid YAML") == true)
    }
}

struct NodeConfigTests {
    static let good = """
        name: hospital-a
        genesis: ../genesis.bin
        ca: ../ca.crt
        keys:
          transport: keys/a.key
          signing: keys/a.signing
        dataDirectory: data
        datasets:
          - name: claims
            file: claims.csv
            columns:
              - {name: amount, type: decimal, fractionDigits: 2}
              - {name: age, type: integer}
        """

    @Test func parsesAndResolvesPaths() throws {
        let c = try NodeConfig.parse(Self.good, baseDirectory: "/srv/tacit/a")
        #expect(c.name == "hospital-a")
        #expect(c.genesisPath == "/srv/tacit/genesis.bin")
        #expect(c.caPath == "/srv/tacit/ca.crt")
        #expect(c.datasets[0].file == "/srv/tacit/a/data/claims.csv")
        #expect(c.controlSocketPath == "/srv/tacit/a/data/control.sock")
        #expect(c.protocolTimeout == .seconds(60))
    }

    @Test(arguments: [
        ("type: integer", "type: money", 13, "unknown column type 'money'"),
        ("dataDirectory: data\n", "dataDirectory: data\ndataDirectory: x\n", 8, "duplicate key 'dataDirectory'"),
        ("  signing: keys/a.signing\n", "", 5, "missing required field 'signing'"),
        ("name: hospital-a", "name: hospital a", 1, "may contain only letters"),
        ("name: claims", "nam: claims", 9, "unknown field 'nam'; did you mean 'name'?"),
    ])
    func brokenConfigsPointAtTheLine(_ from: String, _ to: String, _ line: Int, _ message: String) {
        do {
            _ = try NodeConfig.parse(Self.good.replacingOccurrences(of: from, with: to), baseDirectory: "/")
            Issue.record("accepted a broken config")
        } catch let e as NodeError {
            #expect(e.line == line, "\(e)")
            #expect(e.message.contains(message), "\(e)")
        } catch { Issue.record("\(error)") }
    }
}
