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

/// The layout of Gilboa corrections: per element, 64 values x_k < 2^(64−k) (k < 64), 2080
/// bits in all, packed at fixed positions so that neither side branches or carries a bit
/// cursor: x_k for 1 ≤ k < 32 shares word k with x_(64−k) (64 − k bits + k bits), x_0
/// fills word 0, and the 32-bit x_32 of elements 2i and 2i + 1 share a word of a tail after
/// every element's 32 words. `count` elements take 32·count + ⌈count/2⌉ words.
enum GilboaPacking {
    static func words(_ count: Int) -> Int { 32 * count + (count + 1) / 2 }

    /// Writes element `e`'s 64 values (`x[k]` < 2^(64−k)) of a batch of `count`.
    @inline(__always)
    static func pack(_ x: UnsafeMutablePointer<UInt64>, element e: Int, count: Int, into out: UnsafeMutableBufferPointer<UInt64>) {
        let base = 32 &* e
        out[base] = x[0]
        for k in 1..<32 { out[base &+ k] = x[k] | (x[64 &- k] &<< UInt64(64 &- k)) }
        let t = 32 &* count &+ e / 2
        if e & 1 == 0 { out[t] = x[32] } else { out[t] |= x[32] &<< 32 }
    }

    /// Element `e`'s 64 values into `x`.
    @inline(__always)
    static func unpack(_ input: UnsafeBufferPointer<UInt64>, element e: Int, count: Int, into x: UnsafeMutablePointer<UInt64>) {
        let base = 32 &* e
        x[0] = input[base]
        for k in 1..<32 {
            let m = input[base &+ k]
            x[k] = m & (UInt64.max &>> UInt64(k))
            x[64 &- k] = m &>> UInt64(64 &- k)
        }
        x[32] = (input[32 &* count &+ e / 2] &>> UInt64(32 &* (e & 1))) & 0xFFFF_FFFF
    }
}
