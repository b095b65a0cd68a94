/// Element-wise kernels on vectors of 64-bit words, the representation every share vector in
/// the runtime uses (Z/2^64 elements, packed bits, or canonical GF(2^61−1) residues). Written
/// as plain loops over buffer pointers so the optimiser vectorises them.
public enum Words {
    @inlinable
    static func map2(_ a: [UInt64], _ b: [UInt64], _ op: StaticString, _ f: (UInt64, UInt64) -> UInt64) -> [UInt64] {
        precondition(a.count == b.count, "Words.\(op): lengths differ (\(a.count) and \(b.count))")
        let n = a.count
        return [UInt64](unsafeUninitializedCapacity: n) { out, done in
            a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in
                    for i in 0..<n { out[i] = f(x[i], y[i]) }
                }
            }
            done = n
        }
    }

    @inlinable
    static func map1(_ a: [UInt64], _ f: (UInt64) -> UInt64) -> [UInt64] {
        let n = a.count
        return [UInt64](unsafeUninitializedCapacity: n) { out, done in
            a.withUnsafeBufferPointer { x in
                for i in 0..<n { out[i] = f(x[i]) }
            }
            done = n
        }
    }

    @inlinable public static func add(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] { map2(a, b, "add") { $0 &+ $1 } }
    @inlinable public static func sub(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] { map2(a, b, "sub") { $0 &- $1 } }
    @inlinable public static func mul(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] { map2(a, b, "mul") { $0 &* $1 } }
    @inlinable public static func xor(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] { map2(a, b, "xor") { $0 ^ $1 } }
    @inlinable public static func and(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] { map2(a, b, "and") { $0 & $1 } }
    @inlinable public static func negate(_ a: [UInt64]) -> [UInt64] { map1(a) { 0 &- $0 } }
    @inlinable public static func shiftLeft(_ a: [UInt64], _ k: UInt64) -> [UInt64] { map1(a) { $0 << k } }
    @inlinable public static func scale(_ a: [UInt64], _ c: UInt64) -> [UInt64] { map1(a) { $0 &* c } }

    /// Element-wise by constants: one per element, or a single one for all.
    @inlinable
    public static func broadcast(_ c: [UInt64], count: Int) -> [UInt64] {
        precondition(c.count == 1 || c.count == count, "constants: give one, or one per element (\(count)); got \(c.count)")
        return c.count == count ? c : [UInt64](repeating: c[0], count: count)
    }

    /// Word `i` of a message body (little-endian, any alignment).
    @inlinable @inline(__always)
    public static func load(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
    }

    /// Writes `words` into a message body (little-endian).
    @inlinable
    public static func store(_ words: UnsafeBufferPointer<UInt64>, into raw: UnsafeMutableRawBufferPointer, at word: Int = 0) {
        precondition(raw.count >= 8 * (word + words.count), "Words.store: the message body is too short")
        guard let src = words.baseAddress, words.count > 0 else { return }
        #if _endian(big)
        for i in 0..<words.count { raw.storeBytes(of: words[i].littleEndian, toByteOffset: 8 * (word + i), as: UInt64.self) }
        #else
        raw.baseAddress!.advanced(by: 8 * word).copyMemory(from: src, byteCount: 8 * words.count)
        #endif
    }

    /// In place a += b.
    @inlinable
    public static func addInPlace(_ a: inout [UInt64], _ b: [UInt64]) {
        precondition(a.count == b.count, "Words.addInPlace: lengths differ")
        a.withUnsafeMutableBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for i in 0..<x.count { x[i] = x[i] &+ y[i] }
            }
        }
    }

    /// In place a ^= b.
    @inlinable
    public static func xorInPlace(_ a: inout [UInt64], _ b: [UInt64]) {
        precondition(a.count == b.count, "Words.xorInPlace: lengths differ")
        a.withUnsafeMutableBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for i in 0..<x.count { x[i] ^= y[i] }
            }
        }
    }
}

/// A word buffer that lives as long as its owner and only grows: hot loops reuse it instead
/// of allocating (and page-faulting in) a fresh array per step. Its memory stays valid
/// across suspension points, unlike an array's `withUnsafe…` pointer. Not thread-safe: one
/// owner (an engine or a triple source, each driven by one job task).
public final class WordScratch {
    // Not Sendable: used by its owner's task only.
    public private(set) var buffer: UnsafeMutableBufferPointer<UInt64>

    public init(_ count: Int = 0) {
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// The first `count` words (contents unspecified), growing the buffer if needed.
    public func words(_ count: Int) -> UnsafeMutableBufferPointer<UInt64> {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: 0)
        }
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
    }
}

/// Packs values of varying bit widths (1…64) into consecutive little-endian bits of words.
struct BitWriter {
    let out: UnsafeMutableBufferPointer<UInt64>
    var index = 0
    var acc: UInt64 = 0
    var filled = 0

    init(_ out: UnsafeMutableBufferPointer<UInt64>) { self.out = out }

    /// `value` must be below 2^width.
    @inline(__always)
    mutating func write(_ value: UInt64, width: Int) {
        acc |= value &<< UInt64(filled)
        let total = filled + width
        if total >= 64 {
            out[index] = acc
            index += 1
            acc = filled == 0 ? 0 : value &>> UInt64(64 - filled)
            filled = total - 64
        } else {
            filled = total
        }
    }

    /// Writes the last partial word, if any.
    mutating func flush() {
        if filled > 0 {
            out[index] = acc
            index += 1
            acc = 0
            filled = 0
        }
    }
}

/// Reads what ``BitWriter`` wrote, in the same order and widths.
struct BitReader {
    let input: UnsafeBufferPointer<UInt64>
    var index = 0
    var current: UInt64
    var position = 0

    init(_ input: UnsafeBufferPointer<UInt64>) {
        self.input = input
        current = input.isEmpty ? 0 : input[0]
    }

    @inline(__always)
    mutating func read(width: Int) -> UInt64 {
        var v = current &>> UInt64(position)
        let total = position + width
        if total >= 64 {
            index += 1
            let next = index < input.count ? input[index] : 0
            if total > 64 { v |= next &<< UInt64(64 - position) }
            current = next
            position = total - 64
        } else {
            position = total
        }
        return width == 64 ? v : v & ((1 &<< UInt64(width)) &- 1)
    }
}
