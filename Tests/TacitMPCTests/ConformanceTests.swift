import Testing
import TacitEngineConformance
import TacitMPC
import TacitNet
import TacitEngineTemplate

@Suite("Conformance: every registered engine, every supported party count 2...5")
struct ConformanceTests {
    static let cases: [(String, Int)] = EngineConformance.cases(testRegistry())

    @Test("results equal the plaintext computation", arguments: cases)
    func matchesPlaintext(_ name: String, _ n: Int) async throws {
        let failures = await EngineConformance.failures(try testRegistry().named(name), parties: n)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test("the suite fails an engine that computes wrongly")
    func catchesAWrongEngine() async throws {
        let failures = await EngineConformance.failures(OffByOneProtocol(), parties: 3)
        #expect(failures.contains { $0.contains("multiply differs") })
    }
}

/// The template engine with a deliberate bug (every product off by one), so the suite is
/// seen to fail an engine that computes wrongly.
struct OffByOneProtocol: MPCProtocol {
    let inner = TemplateProtocol()
    var descriptor: ProtocolDescriptor { inner.descriptor }
    func makeEngine(_ context: MPCContext) async throws -> any MPCEngine {
        guard let e = try await inner.makeEngine(context) as? TemplateEngine else {
            throw MPCError(.unsupported, "the template engine changed type")
        }
        return OffByOneEngine(e)
    }
}

final class OffByOneEngine: MPCEngine {
    let e: TemplateEngine
    init(_ e: TemplateEngine) { self.e = e }
    var context: MPCContext { e.context }
    var bounds: OperationBounds { e.bounds }
    func input(_ values: [Int64]?, from owner: PartyID, count: Int) async throws -> CleartextShare { try await e.input(values, from: owner, count: count) }
    func count(_ x: CleartextShare) -> Int { e.count(x) }
    func add(_ x: CleartextShare, _ y: CleartextShare) -> CleartextShare { e.add(x, y) }
    func subtract(_ x: CleartextShare, _ y: CleartextShare) -> CleartextShare { e.subtract(x, y) }
    func multiply(_ x: CleartextShare, byConstants c: [Int64]) -> CleartextShare { e.multiply(x, byConstants: c) }
    func addConstants(_ x: CleartextShare, _ c: [Int64]) -> CleartextShare { e.addConstants(x, c) }
    func multiply(_ x: CleartextShare, _ y: CleartextShare) async throws -> CleartextShare {
        e.addConstants(try await e.multiply(x, y), [1])
    }
    func sum(_ x: CleartextShare) -> CleartextShare { e.sum(x) }
    func concatenate(_ parts: [CleartextShare]) -> CleartextShare { e.concatenate(parts) }
    func slice(_ x: CleartextShare, _ range: Range<Int>) -> CleartextShare { e.slice(x, range) }
    func truncate(_ x: CleartextShare, fractionalBits f: Int) async throws -> CleartextShare { try await e.truncate(x, fractionalBits: f) }
    func lessThanZero(_ x: CleartextShare) async throws -> CleartextShare { try await e.lessThanZero(x) }
    func reveal(_ x: CleartextShare, to recipients: [PartyID]?) async throws -> [Int64]? { try await e.reveal(x, to: recipients) }
    func shareWords(_ x: CleartextShare) -> [UInt64] { e.shareWords(x) }
}
