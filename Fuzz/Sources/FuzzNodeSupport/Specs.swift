import TacitJob
import TacitNet
@testable import TacitNode
import TacitProtocols

/// The consortium and specs the node-level targets share: YAML specs for every shipped
/// protocol and engine, as `Docs/TacitNode.md` writes them.
public enum SampleSpecs {
    public static let members: [PartyID] = ["insurer", "hospital-a", "hospital-b", "lab"]
    public static let registry = JobProtocolRegistry.standard()
    public static let offered: [PartyID: [DatasetDeclaration]] = [
        "hospital-a": [DatasetDeclaration(name: "claims", file: "/x.csv", columns: [ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2)])]
    ]
    public static let context = SpecContext(members: members, registry: registry, offered: offered)

    static func parties(_ compute: Bool) -> String {
        let roles = compute ? "[input, compute]" : "[input]"
        return """
            parties:
              - name: hospital-a
                roles: \(roles)
                input: {dataset: claims, columns: [amount]}
              - name: hospital-b
                roles: \(roles)
                input: {dataset: claims, columns: [amount]}
              - name: insurer
                roles: [compute]

            """
    }

    public static let yaml: [(String, String)] = [
        ("paillier-sum", """
            id: claims-total-2026q1
            protocol: paillier-aggregation
            description: Total of Q1 claims
            \(parties(false))parameters:
              statistic: sum
              fractionDigits: 2
            outputs:
              - name: total
                recipients: [insurer]
                public: false
            policy:
              approvers: [hospital-a, hospital-b, insurer]
            """),
        ("statistics-shamir-mean", """
            protocol: statistics
            engine: shamir
            \(parties(true))parameters: {statistic: mean, fractionDigits: 3}
            outputs:
              - {name: mean, recipients: [insurer, hospital-a], public: true}
            """),
        ("statistics-additive-count", """
            protocol: statistics
            engine: additive-ot
            \(parties(true))parameters: {statistic: count-above, threshold: "100.25"}
            outputs:
              - name: over
                recipients: [hospital-b]
            """),
        ("mean-variance-dealer", """
            id: mv-1
            protocol: mean-variance
            engine: additive-dealer
            \(parties(true))  - name: lab
                roles: [compute]
            parameters: {fractionDigits: 2}
            outputs:
              - {name: mean, recipients: [insurer]}
              - {name: variance, recipients: [insurer]}
            """),
    ]
}
