internal import CGMP

/// An arbitrary-precision signed integer backed by GMP.
///
/// A value type: copies are independent (copy-on-write over a GMP `mpz_t`), so it is safe
/// to share between tasks. Limbs are wiped when freed, including the intermediate buffers GMP
/// reallocates, because these integers carry key material.
///
/// Division and remainder truncate toward zero like Swift's `Int`; use ``modulo(_:)`` for
/// the non-negative residue that modular arithmetic wants.
public struct BigInt: @unchecked Sendable {
    var storage: GMPStorage

    init(storage: GMPStorage) {
        self.storage = storage
    }

    /// Zero.
    public init() {
        storage = GMPStorage.make()
    }

    public init(_ value: Int) {
        storage = GMPStorage.make(bits: 64)
        storage.withUnsafeMutablePointerToElements { __gmpz_set_si($0, value) }
    }

    public init(_ value: UInt) {
        storage = GMPStorage.make(bits: 64)
        storage.withUnsafeMutablePointerToElements { __gmpz_set_ui($0, value) }
    }

    /// Any standard integer, of any width (Int128 included).
    public init<T: BinaryInteger>(_ value: T) {
        if let small = Int(exactly: value) {
            self.init(small)
            return
        }
        if let small = UInt(exactly: value) {
            self.init(small)
            return
        }
        // Wider than a machine word: its magnitude, word by word from the least significant.
        let magnitude = value.magnitude
        var words: [UInt] = []
        words.reserveCapacity(magnitude.words.count)
        for word in magnitude.words { words.append(word) }
        self.init(littleEndianWords: words, negative: value < 0)
    }

    init(littleEndianWords words: [UInt], negative: Bool) {
        storage = GMPStorage.make(bits: words.count * UInt.bitWidth)
        storage.withUnsafeMutablePointerToElements { z in
            words.withUnsafeBufferPointer { w in
                __gmpz_import(z, w.count, -1, MemoryLayout<UInt>.size, 0, 0, w.baseAddress)
            }
            if negative { __gmpz_neg(z, z) }
        }
    }

    // MARK: Access to the GMP value

    /// Calls `body` with the value for reading only.
    @inline(__always)
    func withMPZ<R>(_ body: (UnsafeMutablePointer<__mpz_struct>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointerToElements(body)
    }

    /// Calls `body` with the value for writing, copying it first if it is shared.
    @inline(__always)
    mutating func withMutableMPZ<R>(_ body: (UnsafeMutablePointer<__mpz_struct>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return try storage.withUnsafeMutablePointerToElements(body)
    }

    /// A new value computed by `body` into a fresh GMP integer with room for `bits` bits.
    @inline(__always)
    static func computing(bits: Int, _ body: (UnsafeMutablePointer<__mpz_struct>) throws -> Void) rethrows -> BigInt {
        let storage = GMPStorage.make(bits: bits)
        try storage.withUnsafeMutablePointerToElements(body)
        return BigInt(storage: storage)
    }

    /// An upper bound on the bits in use, from the limb count alone (cheaper than bitWidth).
    @inline(__always)
    var limbBits: Int {
        withMPZ { Int($0.pointee._mp_size.magnitude) * Int(GMP_LIMB_BITS) }
    }

    // MARK: Properties

    /// The number of bits in the magnitude: 0 for zero, 1 for ±1, 2048 for a 2048-bit modulus.
    public var bitWidth: Int { storage.bitCount }

    /// The number of bytes the magnitude needs, big-endian without leading zeros.
    public var byteCount: Int { (bitWidth + 7) / 8 }

    /// -1, 0 or 1.
    public var signum: Int { withMPZ { Int(tacit_mpz_sgn($0)) } }

    public var isZero: Bool { signum == 0 }
    public var isNegative: Bool { signum < 0 }
    public var isOdd: Bool { withMPZ { tacit_mpz_odd_p($0) != 0 } }
    public var isEven: Bool { !isOdd }

    /// Bit `index` of the two's complement representation (infinite sign extension).
    public func testBit(_ index: Int) -> Bool {
        precondition(index >= 0, "BigInt.testBit: the bit index must be non-negative")
        return withMPZ { __gmpz_tstbit($0, mp_bitcnt_t(index)) != 0 }
    }

    /// The absolute value.
    public var magnitude: BigInt {
        withMPZ { src in BigInt.computing(bits: limbBits) { __gmpz_abs($0, src) } }
    }
}

// MARK: Literals and conversions to fixed-width integers

extension BigInt: ExpressibleByIntegerLiteral {
    /// Literals of any size: `let p: BigInt = 170141183460469231731687303715884105727`.
    public init(integerLiteral literal: StaticBigInt) {
        // StaticBigInt gives two's complement words; import them as unsigned and correct the
        // sign afterwards.
        let wordCount = (literal.bitWidth + UInt.bitWidth - 1) / UInt.bitWidth
        var words = [UInt](repeating: 0, count: max(wordCount, 1))
        for i in 0..<words.count { words[i] = literal[i] }
        var value = BigInt(littleEndianWords: words, negative: false)
        if literal.signum() < 0 {
            value -= BigInt(1) << (words.count * UInt.bitWidth)
        }
        self = value
    }
}

extension FixedWidthInteger {
    /// The value of `big` if it is representable in `Self`, otherwise nil.
    public init?(exactly big: BigInt) {
        if big.isZero {
            self = 0
            return
        }
        if big.isNegative && !Self.isSigned { return nil }
        if big.bitWidth > Self.bitWidth { return nil }
        // The sign is applied last with a range check: Int.min's magnitude does not fit Int.
        // bitWidth <= Self.bitWidth, so every limb lands inside the magnitude.
        var magnitude: Self.Magnitude = 0
        for (i, limb) in big.littleEndianLimbs.enumerated() {
            magnitude |= Self.Magnitude(truncatingIfNeeded: limb) << (i * UInt.bitWidth)
        }
        if big.isNegative {
            // -magnitude must be >= Self.min, whose magnitude is 2^(bitWidth-1).
            let minMagnitude = Self.min.magnitude
            guard magnitude <= minMagnitude else { return nil }
            if magnitude == minMagnitude {
                self = Self.min
            } else {
                guard let positive = Self(exactly: magnitude) else { return nil }
                self = 0 - positive
            }
        } else {
            guard let value = Self(exactly: magnitude) else { return nil }
            self = value
        }
    }
}

extension BigInt {
    /// The magnitude's limbs, least significant first; empty for zero.
    var littleEndianLimbs: [UInt] {
        withMPZ { z in
            let count = Int(z.pointee._mp_size.magnitude)
            return (0..<count).map { UInt(__gmpz_getlimbn(z, $0)) }
        }
    }
}
