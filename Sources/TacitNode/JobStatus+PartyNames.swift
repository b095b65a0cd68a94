import TacitNet

extension JobStatus {
    /// The parties' names, for display.
    public var awaitingApprovalNames: [String] { awaitingApproval.map(\.name) }
    public var awaitingCommitmentNames: [String] { awaitingCommitment.map(\.name) }
    public var awaitingResultNames: [String] { awaitingResult.map(\.name) }
}
