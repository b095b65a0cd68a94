import TacitNet

extension JobStatus {
    /// The parties' names, for display.
    public var awaitingApprovalNames: [String] { awaitingApproval.map(\.name) }
    public var awaitingCommitmentNames: [String] { awaitingCommitment.map(\.name) }
    public var awaitingResultNames: [String] { awaitingResult.map(\.name) }
}

extension JobStatus {
    /// What `tacit job status` prints, one line each: the web console shows approvers the same.
    public var statusLines: [String] {
        var out = ["job \(id): \(phase.rawValue)\(reason.map { " — \($0)" } ?? "")"]
        out += summary.map { "  " + $0 }
        out.append("  this node: \(localRoles.isEmpty ? "no role" : localRoles.joined(separator: ", "))\(localUse.map { "; would use \($0)" } ?? "")")
        if !awaitingApproval.isEmpty { out.append("  awaiting approval from: \(awaitingApprovalNames.joined(separator: ", "))") }
        if phase == .approved, !awaitingCommitment.isEmpty {
            out.append("  awaiting input commitments from: \(awaitingCommitmentNames.joined(separator: ", "))")
        }
        for (p, c) in commitments.sorted(by: { $0.key < $1.key }) { out.append("  input committed by \(p): \(c)") }
        if let step = progressStep { out.append("  progress: \(Int((progress ?? 0) * 100))% \(step)") }
        if !awaitingResult.isEmpty, phase == .committed { out.append("  running; results pending from: \(awaitingResultNames.joined(separator: ", "))") }
        for o in outputs ?? [] { out.append("  output \(o.name): digest \(o.digest)\(o.publicValue.map { ", public value \($0)" } ?? "")") }
        return out
    }
}
