internal import CGMP

// Each operator allocates its result with room for the answer up front, so GMP never
// reallocates mid-operation; compound assignments work in place when the value is unshared.

extension BigInt: Equatable, Comparable, Hashable {
    public static func == (lhs: BigInt, rhs: BigInt) -> Bool {
        lhs.withMPZ { a in rhs.withMPZ { b in __gmpz_cmp(a, b) == 0 } }
    }

    public static func < (lhs: BigInt, rhs: BigInt) -> Bool {
        lhs.withMPZ { a in rhs.withMPZ { b in __gmpz_cmp(a, b) < 0 } }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(signum)
        for limb in littleEndianLimbs { hasher.combine(limb) }
    }
}

extension BigInt: AdditiveArithmetic, SignedNumeric {
    public typealias Magnitude = BigInt

    public static var zero: BigInt { BigInt() }

    public init?<T: BinaryInteger>(exactly source: T) {
        self.init(source)
    }

    public static func + (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: max(lhs.limbBits, rhs.limbBits) + 1) { __gmpz_add($0, a, b) }
        } }
    }

    public static func - (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: max(lhs.limbBits, rhs.limbBits) + 1) { __gmpz_sub($0, a, b) }
        } }
    }

    public static func * (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: lhs.limbBits + rhs.limbBits) { __gmpz_mul($0, a, b) }
        } }
    }

    public static prefix func - (operand: BigInt) -> BigInt {
        operand.withMPZ { a in computing(bits: operand.limbBits) { __gmpz_neg($0, a) } }
    }

    public mutating func negate() {
        withMutableMPZ { __gmpz_neg($0, $0) }
    }

    public static func += (lhs: inout BigInt, rhs: BigInt) {
        rhs.withMPZ { b in lhs.withMutableMPZ { a in __gmpz_add(a, a, b) } }
    }

    public static func -= (lhs: inout BigInt, rhs: BigInt) {
        rhs.withMPZ { b in lhs.withMutableMPZ { a in __gmpz_sub(a, a, b) } }
    }

    public static func *= (lhs: inout BigInt, rhs: BigInt) {
        rhs.withMPZ { b in lhs.withMutableMPZ { a in __gmpz_mul(a, a, b) } }
    }
}

// MARK: Division

extension BigInt {
    /// Truncating division, like `Int`: `-7 / 2 == -3`. Traps on division by zero.
    public static func / (lhs: BigInt, rhs: BigInt) -> BigInt {
        precondition(!rhs.isZero, "BigInt: division by zero")
        return lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: lhs.limbBits) { __gmpz_tdiv_q($0, a, b) }
        } }
    }

    /// Truncating remainder, like `Int`: the sign follows the dividend, `-7 % 2 == -1`.
    /// For a residue in `0..<m`, use ``modulo(_:)``.
    public static func % (lhs: BigInt, rhs: BigInt) -> BigInt {
        precondition(!rhs.isZero, "BigInt: remainder by zero")
        return lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: rhs.limbBits) { __gmpz_tdiv_r($0, a, b) }
        } }
    }

    public static func /= (lhs: inout BigInt, rhs: BigInt) { lhs = lhs / rhs }
    public static func %= (lhs: inout BigInt, rhs: BigInt) { lhs = lhs % rhs }

    public func quotientAndRemainder(dividingBy divisor: BigInt) -> (quotient: BigInt, remainder: BigInt) {
        precondition(!divisor.isZero, "BigInt: division by zero")
        let q = GMPStorage.make(bits: limbBits)
        let r = GMPStorage.make(bits: divisor.limbBits)
        withMPZ { a in divisor.withMPZ { b in
            q.withUnsafeMutablePointerToElements { qz in
                r.withUnsafeMutablePointerToElements { rz in __gmpz_tdiv_qr(qz, rz, a, b) }
            }
        } }
        return (BigInt(storage: q), BigInt(storage: r))
    }

    /// The residue in `0..<|modulus|`, whatever the sign of `self`. Traps on a zero modulus.
    public func modulo(_ modulus: BigInt) -> BigInt {
        precondition(!modulus.isZero, "BigInt.modulo: the modulus must not be zero")
        return withMPZ { a in modulus.withMPZ { m in
            BigInt.computing(bits: modulus.limbBits) { __gmpz_mod($0, a, m) }
        } }
    }

    /// Whether `divisor` divides `self` exactly.
    public func isMultiple(of divisor: BigInt) -> Bool {
        withMPZ { a in divisor.withMPZ { d in __gmpz_divisible_p(a, d) != 0 } }
    }

    /// `self` raised to a machine-word power (no modulus; the result can be huge).
    public func power(_ exponent: Int) -> BigInt {
        precondition(exponent >= 0, "BigInt.power: a negative exponent needs a modulus; use power(_:modulus:)")
        return withMPZ { a in
            // GMP sizes the result itself; an estimate here could overflow for 1^huge.
            BigInt.computing(bits: 0) { __gmpz_pow_ui($0, a, UInt(exponent)) }
        }
    }

    /// The integer square root, rounded down. Traps on a negative value.
    public func squareRoot() -> BigInt {
        precondition(!isNegative, "BigInt.squareRoot: the value must not be negative")
        return withMPZ { a in BigInt.computing(bits: limbBits / 2 + 64) { __gmpz_sqrt($0, a) } }
    }
}

// MARK: Shifts and bits

extension BigInt {
    /// Multiplies by 2^shift; a negative shift shifts right.
    public static func << (lhs: BigInt, shift: Int) -> BigInt {
        if shift < 0 { return lhs >> -shift }
        return lhs.withMPZ { a in
            computing(bits: lhs.limbBits + shift) { __gmpz_mul_2exp($0, a, mp_bitcnt_t(shift)) }
        }
    }

    /// Divides by 2^shift rounding toward minus infinity, like `Int`'s `>>`.
    public static func >> (lhs: BigInt, shift: Int) -> BigInt {
        if shift < 0 { return lhs << -shift }
        return lhs.withMPZ { a in
            computing(bits: lhs.limbBits) { __gmpz_fdiv_q_2exp($0, a, mp_bitcnt_t(shift)) }
        }
    }

    public static func <<= (lhs: inout BigInt, shift: Int) { lhs = lhs << shift }
    public static func >>= (lhs: inout BigInt, shift: Int) { lhs = lhs >> shift }

    // Bitwise operators use two's complement with infinite sign extension, as Int does.
    public static func & (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: max(lhs.limbBits, rhs.limbBits)) { __gmpz_and($0, a, b) }
        } }
    }

    public static func | (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: max(lhs.limbBits, rhs.limbBits)) { __gmpz_ior($0, a, b) }
        } }
    }

    public static func ^ (lhs: BigInt, rhs: BigInt) -> BigInt {
        lhs.withMPZ { a in rhs.withMPZ { b in
            computing(bits: max(lhs.limbBits, rhs.limbBits)) { __gmpz_xor($0, a, b) }
        } }
    }

    public static prefix func ~ (operand: BigInt) -> BigInt {
        operand.withMPZ { a in computing(bits: operand.limbBits + 1) { __gmpz_com($0, a) } }
    }
}
