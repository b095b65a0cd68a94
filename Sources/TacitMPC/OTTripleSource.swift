/// Dealer-free triples by OT extension (placeholder until the OT code lands).
public final class OTTripleSource: TripleSource, @unchecked Sendable {
    public init() {}
    public func setup(_ context: MPCContext) async throws {}
    public func arithmeticTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples {
        throw MPCError(.unsupported, "OT triples not yet implemented")
    }
    public func binaryTriples(_ count: Int, _ context: MPCContext) async throws -> BeaverTriples {
        throw MPCError(.unsupported, "OT triples not yet implemented")
    }
    public func truncationPairs(_ count: Int, fractionalBits: Int, _ context: MPCContext) async throws -> TruncationPairs? { nil }
}
