import TacitMath
import TacitMPC

/// Cuckoo hashing for the KKRT path: the receiver puts each of its n items in one of its three
/// candidate bins, at most one item a bin, no stash; the sender maps each of its items to all
/// three (simple hashing), so an item both hold meets itself in the receiver's bin.
///
/// Items enter as 128-bit identifiers (``OTPSI`` hashes elements to them with SHA-256 under the
/// session). A hash seed picks the three functions: one AES-128 call keyed by the seed per item,
/// its output cut into three 42-bit pieces, each mapped to 0..<m by a multiply-shift (the
/// piece times m, top bits); over m < 2^28 bins the rounding bias is below 2^-14 of a bin's
/// width, far below what matters to the placement's success.
///
/// Parameters (Pinkas, Schneider, Zohner, "Scalable Private Set Intersection Based on OT
/// Extension", ACM TOPS 2018, §5; also Pinkas, Rosulek, Trieu, Yanai, Eurocrypt 2019, which uses
/// the same figure): with three hash functions and no stash, m = 1.27·n bins fail to hold n items
/// with probability about 2^-40 for large n (their experiments, extrapolated, cover 2^12 and
/// up). Their figures are worse for small sets, so below 2^12 items this uses m = 2n (+ 8), where
/// the cost is negligible and the walk almost never runs. A failed placement is not trusted to
/// be rare: ``place(positions:items:bins:rng:maxKicks:)`` reports it and the caller retries with a
/// fresh seed.
enum Cuckoo {
    static let functions = 3
    /// Items from which ε = 1.27 is used.
    static let largeSet = 1 << 12

    /// Bins for `n` items.
    static func binCount(for n: Int) -> Int {
        guard n > 0 else { return 0 }
        if n < largeSet { return 2 * n + 8 }
        return (n * 127 + 99) / 100
    }

    /// The three candidate bins of each 128-bit identifier (words 2i, 2i + 1 of `ids`), into
    /// `out[3i ..< 3i + 3]`, under `seed` (16 bytes). `aes` must be keyed by the seed; one per
    /// thread.
    static func positions(
        ids: UnsafeBufferPointer<UInt64>, range: Range<Int>, bins m: Int, aes: FixedKeyAES,
        into out: UnsafeMutableBufferPointer<UInt32>
    ) {
        precondition(m > 0 && m < 1 << 32 && ids.count >= 2 * range.upperBound && out.count >= 3 * range.upperBound)
        let batch = 512
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * batch) { buf in
            var start = range.lowerBound
            while start < range.upperBound {
                let k = min(batch, range.upperBound - start)
                for i in 0..<(2 * k) { buf[i] = ids[2 * start + i] }
                aes.encrypt(inPlace: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buf[0..<(2 * k)])))
                for i in 0..<k {
                    let w0 = buf[2 * i], w1 = buf[2 * i + 1]
                    let mask: UInt64 = (1 << 42) - 1
                    let pieces = (w0 & mask, (w0 >> 42) | ((w1 & 0xF_FFFF) << 22), (w1 >> 20) & mask)
                    let o = 3 * (start + i)
                    out[o] = UInt32(truncatingIfNeeded: (pieces.0 << 22).multipliedFullWidth(by: UInt64(m)).high)
                    out[o + 1] = UInt32(truncatingIfNeeded: (pieces.1 << 22).multipliedFullWidth(by: UInt64(m)).high)
                    out[o + 2] = UInt32(truncatingIfNeeded: (pieces.2 << 22).multipliedFullWidth(by: UInt64(m)).high)
                }
                start += k
            }
        }
    }

    /// ``positions(ids:range:bins:aes:into:)`` for all `n` items, split over two threads.
    static func positions(ids: [UInt64], items n: Int, bins m: Int, seed: [UInt8]) -> [UInt32] {
        guard n > 0 else { return [] }
        let aes = [FixedKeyAES(key: seed), FixedKeyAES(key: seed)]
        return [UInt32](unsafeUninitializedCapacity: 3 * n) { buffer, initialised in
            let out = buffer
            ids.withUnsafeBufferPointer { ids in
                OTPSI.twoWay(n) { h, range in
                    positions(ids: ids, range: range, bins: m, aes: aes[h], into: out)
                }
            }
            initialised = 3 * n
        }
    }

    /// A placement: for each bin, the item in it (-1 for none) and which of the item's three
    /// functions put it there.
    struct Table: Equatable {
        var item: [Int32]
        var function: [UInt8]
        var bins: Int { item.count }
    }

    /// Places items 0..<n (candidate bins `positions[3i ..< 3i + 3]`) by a random walk: an item
    /// takes a free candidate bin if it has one, else evicts the occupant of a random candidate
    /// (not the bin it was just evicted from), which then does the same, for at most `maxKicks`
    /// evictions per item. Nil when an item found no place: the caller retries with another seed.
    static func place(
        positions: [UInt32], items n: Int, bins m: Int, rng: inout some RandomNumberGenerator, maxKicks: Int = 1000
    ) -> Table? {
        precondition(positions.count == 3 * n && (n == 0 || m > 0))
        var item = [Int32](repeating: -1, count: m)
        var function = [UInt8](repeating: 0, count: m)
        for start in 0..<n {
            var x = start, previous = -1, placed = false
            for _ in 0...maxKicks {
                for h in 0..<functions {
                    let b = Int(positions[3 * x + h])
                    if item[b] < 0 {
                        item[b] = Int32(x)
                        function[b] = UInt8(h)
                        placed = true
                        break
                    }
                }
                if placed { break }
                // All candidates taken: evict from one other than the bin x just left.
                var h = Int(rng.next() % 3)
                for _ in 0..<2 where Int(positions[3 * x + h]) == previous { h = (h + 1) % 3 }
                let b = Int(positions[3 * x + h])
                if b == previous { return nil }  // all three candidates are that one bin
                let evicted = Int(item[b])
                item[b] = Int32(x)
                function[b] = UInt8(h)
                x = evicted
                previous = b
            }
            if !placed { return nil }
        }
        return Table(item: item, function: function)
    }
}
