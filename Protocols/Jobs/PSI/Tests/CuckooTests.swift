import Testing
import TacitMath
import TacitTestSupport

@testable import TacitPSI

@Suite("Cuckoo hashing (receiver's table)")
struct CuckooTests {
    static func randomIDs(_ n: Int, seed: UInt64) -> [UInt64] {
        var g = SeededGenerator(seed: seed)
        return (0..<(2 * n)).map { _ in g.next() }
    }

    /// Every item sits in exactly one bin, one of its three candidates, under the function the
    /// table records; every other bin is empty.
    static func checkPlacement(_ t: Cuckoo.Table, positions: [UInt32], items n: Int) {
        var seen = [Int](repeating: 0, count: n)
        var empty = 0, wrong = 0
        for b in 0..<t.bins {
            let i = Int(t.item[b])
            guard i >= 0 else { empty += 1; continue }
            seen[i] += 1
            let f = Int(t.function[b])
            if f >= 3 || Int(positions[3 * i + f]) != b { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) items sit in a bin their recorded function does not give")
        #expect(seen.allSatisfy { $0 == 1 }, "an item is missing or placed twice")
        #expect(empty == t.bins - n, "empty bins: \(empty), expected \(t.bins - n)")
    }

    @Test("2^16 items are placed under every one of several seeds, each in one of its three bins")
    func largePlacement() {
        let n = 1 << 16, m = Cuckoo.binCount(for: n)
        #expect(m == (n * 127 + 99) / 100)
        let ids = Self.randomIDs(n, seed: 1)
        var rng = SeededGenerator(seed: 2)
        for s in 0..<4 {
            let seed = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ s) }
            let positions = Cuckoo.positions(ids: ids, items: n, bins: m, seed: seed)
            #expect(positions.allSatisfy { Int($0) < m })
            guard let t = Cuckoo.place(positions: positions, items: n, bins: m, rng: &rng) else {
                Issue.record("placement failed under seed \(s)")
                continue
            }
            #expect(t.bins == m)
            Self.checkPlacement(t, positions: positions, items: n)
        }
    }

    @Test("small sets (1 … 300 items, 2n + 8 bins) are placed under 200 seeds")
    func smallPlacement() {
        var rng = SeededGenerator(seed: 3)
        var failures = 0
        for s in 0..<200 {
            let n = 1 + s * 3 / 2, m = Cuckoo.binCount(for: n)
            #expect(m == 2 * n + 8)
            let ids = Self.randomIDs(n, seed: UInt64(100 + s))
            let positions = Cuckoo.positions(ids: ids, items: n, bins: m, seed: [UInt8](repeating: UInt8(s), count: 16))
            if let t = Cuckoo.place(positions: positions, items: n, bins: m, rng: &rng) {
                Self.checkPlacement(t, positions: positions, items: n)
            } else {
                failures += 1
            }
        }
        #expect(failures == 0)
    }

    @Test("the three functions depend on the seed, and positions spread over all bins")
    func seedsAndSpread() {
        let n = 4096, m = Cuckoo.binCount(for: n)
        let ids = Self.randomIDs(n, seed: 4)
        let a = Cuckoo.positions(ids: ids, items: n, bins: m, seed: [UInt8](repeating: 1, count: 16))
        let b = Cuckoo.positions(ids: ids, items: n, bins: m, seed: [UInt8](repeating: 2, count: 16))
        #expect(a == Cuckoo.positions(ids: ids, items: n, bins: m, seed: [UInt8](repeating: 1, count: 16)))
        let same = zip(a, b).filter { $0 == $1 }.count
        #expect(same < 20, "\(same) of \(a.count) positions unchanged by a new seed")
        // 12288 draws over 5203 bins: each tenth of the range gets close to a tenth.
        var tenths = [Int](repeating: 0, count: 10)
        for p in a { tenths[Int(p) * 10 / m] += 1 }
        #expect(tenths.allSatisfy { abs($0 - a.count / 10) < a.count / 40 }, "\(tenths)")
    }

    @Test("an item whose three candidates are one full bin cannot be placed: reported, not looped")
    func impossiblePlacement() {
        var rng = SeededGenerator(seed: 5)
        // Two items, both with all three candidates bin 0, in two bins.
        #expect(Cuckoo.place(positions: [0, 0, 0, 0, 0, 0], items: 2, bins: 2, rng: &rng) == nil)
        // Three items over two bins.
        #expect(Cuckoo.place(positions: [0, 1, 0, 1, 0, 1, 0, 1, 1], items: 3, bins: 2, rng: &rng) == nil)
        // Two items over two bins always fit.
        let t = Cuckoo.place(positions: [0, 1, 1, 0, 0, 0], items: 2, bins: 2, rng: &rng)
        #expect(t?.item.sorted() == [0, 1])
        #expect(Cuckoo.binCount(for: 0) == 0)
    }
}
