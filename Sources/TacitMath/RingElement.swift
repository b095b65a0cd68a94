/// An element of a finite commutative ring that secret sharing works over. Elements encode
/// to a fixed number of little-endian bytes, and decoding validates (a share off the wire
/// may be garbage).
public protocol RingElement: Sendable, Hashable, AdditiveArithmetic, CustomStringConvertible {
    /// Bytes per element on the wire.
    static var byteWidth: Int { get }
    static var one: Self { get }
    /// The number of elements, when it fits 64 bits' worth of description; for docs and tests.
    static var orderDescription: String { get }

    /// The residue of `value`.
    init(_ value: UInt64)
    /// The residue of a signed integer (negative values wrap to the top of the ring).
    init(signed value: Int64)
    /// The canonical representative in `0..<order`.
    var canonical: UInt64 { get }

    static func * (lhs: Self, rhs: Self) -> Self
    static prefix func - (operand: Self) -> Self

    /// A uniformly random element.
    static func random(using generator: inout some RandomNumberGenerator) -> Self

    /// Reads one element from exactly `byteWidth` little-endian bytes; throws if they are not
    /// a canonical encoding.
    init(littleEndianBytes bytes: UnsafeRawBufferPointer) throws
    /// Writes the canonical encoding into exactly `byteWidth` bytes.
    func storeLittleEndian(to bytes: UnsafeMutableRawBufferPointer)
}

extension RingElement {
    public static func *= (lhs: inout Self, rhs: Self) { lhs = lhs * rhs }

    public static func random() -> Self {
        var generator = SecureRandom()
        return random(using: &generator)
    }
}

/// A field: every non-zero element has an inverse.
public protocol FieldElement: RingElement {
    /// The multiplicative inverse; nil for zero.
    var inverse: Self? { get }
}

// MARK: Z/2^64

/// The ring of integers modulo 2^64: machine arithmetic with wrap-around, the natural ring
/// for additive sharing (SPDZ2k, ABY, SecureML work here).
@frozen
public struct Ring64: RingElement {
    public var value: UInt64

    @inlinable public init(_ value: UInt64) { self.value = value }
    @inlinable public init(signed value: Int64) { self.value = UInt64(bitPattern: value) }

    @inlinable public static var byteWidth: Int { 8 }
    @inlinable public static var zero: Ring64 { Ring64(0) }
    @inlinable public static var one: Ring64 { Ring64(1) }
    public static var orderDescription: String { "2^64" }

    @inlinable public var canonical: UInt64 { value }
    /// The two's complement reading: values in `[2^63, 2^64)` are negative.
    @inlinable public var signedValue: Int64 { Int64(bitPattern: value) }

    @inlinable public static func + (lhs: Ring64, rhs: Ring64) -> Ring64 { Ring64(lhs.value &+ rhs.value) }
    @inlinable public static func - (lhs: Ring64, rhs: Ring64) -> Ring64 { Ring64(lhs.value &- rhs.value) }
    @inlinable public static func * (lhs: Ring64, rhs: Ring64) -> Ring64 { Ring64(lhs.value &* rhs.value) }
    @inlinable public static prefix func - (operand: Ring64) -> Ring64 { Ring64(0 &- operand.value) }

    @inlinable
    public static func random(using generator: inout some RandomNumberGenerator) -> Ring64 {
        Ring64(generator.next())
    }

    @inlinable
    public init(littleEndianBytes bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count == 8 else {
            throw MathError(.invalidNumber, "a Z/2^64 element is 8 bytes, got \(bytes.count)")
        }
        value = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    }

    @inlinable
    public func storeLittleEndian(to bytes: UnsafeMutableRawBufferPointer) {
        bytes.storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    public var description: String { String(value) }
}

// MARK: The prime field of p = 2^61 − 1

/// The field modulo the Mersenne prime p = 2^61 − 1, for Shamir sharing: reduction is a shift
/// and an add, and 61 bits leave room for 32-bit values with a 20-bit-plus statistical
/// masking margin.
@frozen
public struct Mersenne61: FieldElement {
    public static let modulus: UInt64 = (1 << 61) - 1

    /// Always in `0..<modulus`.
    public let value: UInt64

    @inlinable
    public init(_ value: UInt64) {
        self.value = Mersenne61.reduce(value)
    }

    @inlinable
    init(unchecked value: UInt64) {
        self.value = value
    }

    /// Negative values map to `p − |value|`.
    @inlinable
    public init(signed value: Int64) {
        let magnitude = Mersenne61(value.magnitude)
        self = value < 0 ? -magnitude : magnitude
    }

    @inlinable public static var byteWidth: Int { 8 }
    @inlinable public static var zero: Mersenne61 { Mersenne61(unchecked: 0) }
    @inlinable public static var one: Mersenne61 { Mersenne61(unchecked: 1) }
    public static var orderDescription: String { "2^61 - 1" }

    @inlinable public var canonical: UInt64 { value }

    /// The centred reading: residues above (p − 1)/2 are negative.
    @inlinable public var signedValue: Int64 {
        value > Mersenne61.modulus / 2 ? -Int64(Mersenne61.modulus - value) : Int64(value)
    }

    /// x mod p for any 64-bit x, using 2^61 ≡ 1.
    @inlinable
    static func reduce(_ x: UInt64) -> UInt64 {
        var r = (x & modulus) &+ (x >> 61)
        if r >= modulus { r &-= modulus }
        return r
    }

    @inlinable
    public static func + (lhs: Mersenne61, rhs: Mersenne61) -> Mersenne61 {
        var r = lhs.value &+ rhs.value
        if r >= modulus { r &-= modulus }
        return Mersenne61(unchecked: r)
    }

    @inlinable
    public static func - (lhs: Mersenne61, rhs: Mersenne61) -> Mersenne61 {
        let r = lhs.value >= rhs.value ? lhs.value &- rhs.value : lhs.value &+ (modulus &- rhs.value)
        return Mersenne61(unchecked: r)
    }

    @inlinable
    public static prefix func - (operand: Mersenne61) -> Mersenne61 {
        Mersenne61(unchecked: operand.value == 0 ? 0 : modulus &- operand.value)
    }

    @inlinable
    public static func * (lhs: Mersenne61, rhs: Mersenne61) -> Mersenne61 {
        // The 122-bit product split at bit 61: high·2^61 + low ≡ high + low (mod p).
        let (high, low) = lhs.value.multipliedFullWidth(by: rhs.value)
        let folded = (low & modulus) &+ ((low >> 61) | (high << 3))
        return Mersenne61(unchecked: reduce(folded))
    }

    /// x^(p−2) by Fermat; nil for zero.
    public var inverse: Mersenne61? {
        if value == 0 { return nil }
        var result = Mersenne61.one
        var base = self
        var e = Mersenne61.modulus - 2
        while e > 0 {
            if e & 1 == 1 { result = result * base }
            base = base * base
            e >>= 1
        }
        return result
    }

    /// Rejection sampling on 61-bit draws, so every residue is equally likely.
    @inlinable
    public static func random(using generator: inout some RandomNumberGenerator) -> Mersenne61 {
        while true {
            let candidate = generator.next() >> 3
            if candidate < modulus { return Mersenne61(unchecked: candidate) }
        }
    }

    @inlinable
    public init(littleEndianBytes bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count == 8 else {
            throw MathError(.invalidNumber, "a GF(2^61-1) element is 8 bytes, got \(bytes.count)")
        }
        let raw = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard raw < Mersenne61.modulus else {
            throw MathError(.overflow, "a GF(2^61-1) element must be below 2^61-1: the peer sent a non-canonical value")
        }
        value = raw
    }

    @inlinable
    public func storeLittleEndian(to bytes: UnsafeMutableRawBufferPointer) {
        bytes.storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    public var description: String { String(value) }
}
