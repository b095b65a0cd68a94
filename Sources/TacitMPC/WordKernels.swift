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
