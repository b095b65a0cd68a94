import Testing
@testable import TacitPSI

@Suite("PSI sets")
struct PSICoreTests {
    @Test("duplicates are dropped, the first occurrence's order kept")
    func dedup() {
        let s = PSISet([[1], [2], [1], [3], [2]].map { $0.map(UInt8.init) })
        #expect(s.elements == [[1], [2], [3]])
        #expect(s.count == 3)
    }
}
