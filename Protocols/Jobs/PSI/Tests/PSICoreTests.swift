import Testing
import TacitMath
@testable import TacitPSI

@Suite("PSI sets")
struct PSICoreTests {
    @Test("duplicates are dropped, the first occurrence's order kept")
    func dedup() {
        let s = PSISet([[1], [2], [1], [3], [2]].map { $0.map(UInt8.init) })
        #expect(s.elements == [[1], [2], [3]])
        #expect(s.count == 3)
    }

    @Test("the packed set against Swift's Set and Array: 50,000 random strings with repeats, the empty one, growth of the table")
    func packedAgainstPlain() {
        var rng = SecureRandom()
        var items: [[UInt8]] = [[]]
        for _ in 0..<50_000 {
            let n = Int.random(in: 0...6, using: &rng)
            // Few distinct short strings and many long ones: both collisions and growth.
            items.append((0..<n).map { _ in UInt8.random(in: 0...3, using: &rng) } + (n > 4 ? (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) } : []))
        }
        items.append([])
        var seen = Set<[UInt8]>()
        let plain = items.filter { seen.insert($0).inserted }
        let packed = PSISet(items)
        #expect(packed.count == plain.count)
        #expect(packed.elements == plain)
        #expect((0..<packed.count).allSatisfy { packed[$0] == plain[$0] })
        // Windows and a shuffle read the same bytes.
        let w = packed[100..<200]
        #expect((0..<w.count).map { i in w.withMessage(i) { Array($0) } } == Array(plain[100..<200]))
        let shuffled = packed.shuffled(using: &rng)
        let back = (0..<shuffled.count).map { i in shuffled.withMessage(i) { Array($0) } }
        #expect(Set(back) == Set(plain) && back.count == plain.count)
        let part = shuffled[10..<20]
        #expect((0..<10).map { i in part.withMessage(i) { Array($0) } } == Array(back[10..<20]))
    }
}
