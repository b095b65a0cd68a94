internal import CGMP

/// Arithmetic modulo a fixed `modulus` for hot loops: scratch space is allocated once and
/// results are written into caller-owned values, so a loop of `multiply(_:_:into:)` calls
/// allocates nothing once the result has grown to size.
///
/// Not thread-safe (it owns mutable scratch): give each task its own context. Creating one is
/// cheap.
public final class ModularContext {
    public let modulus: BigInt
    private let product: GMPStorage
    private var securePower = SecurePowerScratch()

    /// Traps unless `modulus > 0`.
    public init(modulus: BigInt) {
        precondition(modulus.signum > 0, "ModularContext: the modulus must be positive")
        self.modulus = modulus
        product = GMPStorage.make(bits: 2 * modulus.limbBits + 64)
    }

    deinit {
        securePower.release()
    }

    /// A value with room for any residue, to pass as `into:`.
    public func makeResult() -> BigInt {
        BigInt(storage: GMPStorage.make(bits: modulus.limbBits + 64))
    }

    /// `result = a mod modulus`.
    public func reduce(_ a: BigInt, into result: inout BigInt) {
        a.withMPZ { x in modulus.withMPZ { m in
            result.withMutableMPZ { r in __gmpz_mod(r, x, m) }
        } }
    }

    /// `result = a · b mod modulus`.
    public func multiply(_ a: BigInt, _ b: BigInt, into result: inout BigInt) {
        product.withUnsafeMutablePointerToElements { t in
            a.withMPZ { x in b.withMPZ { y in __gmpz_mul(t, x, y) } }
            modulus.withMPZ { m in result.withMutableMPZ { r in __gmpz_mod(r, t, m) } }
        }
    }

    /// `accumulator = accumulator · b mod modulus`, in place.
    public func multiply(_ accumulator: inout BigInt, by b: BigInt) {
        product.withUnsafeMutablePointerToElements { t in
            b.withMPZ { y in accumulator.withMutableMPZ { x in __gmpz_mul(t, x, y) } }
            modulus.withMPZ { m in accumulator.withMutableMPZ { r in __gmpz_mod(r, t, m) } }
        }
    }

    public func multiply(_ a: BigInt, _ b: BigInt) -> BigInt {
        var result = makeResult()
        multiply(a, b, into: &result)
        return result
    }

    /// `result = a + b mod modulus`.
    public func add(_ a: BigInt, _ b: BigInt, into result: inout BigInt) {
        product.withUnsafeMutablePointerToElements { t in
            a.withMPZ { x in b.withMPZ { y in __gmpz_add(t, x, y) } }
            modulus.withMPZ { m in result.withMutableMPZ { r in __gmpz_mod(r, t, m) } }
        }
    }

    /// `result = a - b mod modulus`.
    public func subtract(_ a: BigInt, _ b: BigInt, into result: inout BigInt) {
        product.withUnsafeMutablePointerToElements { t in
            a.withMPZ { x in b.withMPZ { y in __gmpz_sub(t, x, y) } }
            modulus.withMPZ { m in result.withMutableMPZ { r in __gmpz_mod(r, t, m) } }
        }
    }

    /// `result = base^exponent mod modulus` for a public, non-negative exponent.
    public func power(_ base: BigInt, _ exponent: BigInt, into result: inout BigInt) {
        precondition(!exponent.isNegative, "ModularContext.power: the exponent must not be negative")
        base.withMPZ { b in exponent.withMPZ { e in modulus.withMPZ { m in
            result.withMutableMPZ { r in __gmpz_powm(r, b, e, m) }
        } } }
    }

    /// `result = base^exponent mod modulus` in time independent of the secret exponent's
    /// value; see ``BigInt/constantTimePower(_:modulus:exponentBits:)`` for the conditions.
    public func constantTimePower(_ base: BigInt, _ exponent: BigInt, exponentBits: Int? = nil,
                                  into result: inout BigInt) {
        precondition(modulus.isOdd && modulus != 1,
                     "ModularContext.constantTimePower: the modulus must be odd and greater than 1")
        precondition(!exponent.isNegative, "ModularContext.constantTimePower: the exponent must not be negative")
        let bits = exponentBits ?? max(modulus.bitWidth, exponent.bitWidth, 1)
        precondition(exponent.bitWidth <= bits,
                     "ModularContext.constantTimePower: the exponent has more bits than exponentBits")
        var reduced = base
        if reduced.isNegative || reduced >= modulus { reduced = base.modulo(modulus) }
        securePower.power(reduced, exponent, modulus: modulus, exponentBits: bits, into: &result)
    }
}
