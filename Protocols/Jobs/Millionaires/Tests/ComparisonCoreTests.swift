import Testing
import TacitJob

@testable import TacitMillionaires

@Suite("Comparison core")
struct ComparisonCoreTests {
    final class Fixed: ComparisonPath {
        let role: ComparisonRole = .holdsX
        let bits: Int
        var stats = ComparisonStats()
        init(bits: Int) { self.bits = bits }
        func prepare(count: Int) async throws {}
        func compare(_ values: [UInt64]) async throws -> ComparisonShares {
            try checkFits(values)
            return ComparisonShares(lessThan: values.map { _ in false }, equal: values.map { _ in false })
        }
    }

    @Test("a value wider than the path's bits is refused before anything is sent")
    func fits() async throws {
        let p = Fixed(bits: 8)
        _ = try await p.compare([0, 255])
        await #expect(throws: JobError(.invalidInput, "")) { _ = try await p.compare([256]) }
        _ = try await Fixed(bits: 64).compare([UInt64.max])
    }
}
