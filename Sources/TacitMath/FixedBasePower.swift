internal import CGMP

/// Powers of one fixed base modulo a fixed modulus, by table lookup: after a one-off
/// precomputation, `base^e` for any `e < 2^exponentBits` costs about `exponentBits / window`
/// modular multiplications and no squaring (the "fixed-base comb" with a full table per
/// window position, as in Brickell–Gordon–McCurley–Wilson).
///
/// The table holds `base^(d · 2^(window·i))` for every window position `i` and digit
/// `1 ≤ d < 2^window`: `⌈exponentBits / window⌉ · (2^window − 1)` residues. For a 4096-bit
/// modulus, 1024-bit exponents and `window == 8` that is 128 · 255 residues of 512 bytes,
/// about 16.7 MB, built with as many multiplications once.
///
/// Immutable once built, so one table is shared by every task (`Sendable`).
///
/// - Important: the lookups are indexed by the exponent's digits, and a zero digit skips its
///   multiplication, so the running time and the memory access pattern depend on the exponent.
///   That is fine where the exponent is a one-time random value whose exposure to a
///   co-resident cache-timing attacker is an accepted risk (it is documented where this is
///   used); it is not a substitute for ``BigInt/constantTimePower(_:modulus:exponentBits:)``
///   with long-term secrets.
public final class FixedBasePowerTable: @unchecked Sendable {
    public let base: BigInt
    public let modulus: BigInt
    /// Exponents must be below `2^exponentBits`.
    public let exponentBits: Int
    /// Bits per digit.
    public let window: Int
    private let positions: Int
    private let digitsPerPosition: Int
    /// `entries[i * digitsPerPosition + (d − 1)] = base^(d · 2^(window·i)) mod modulus`.
    private let entries: [BigInt]

    /// Builds the table. Traps on a modulus below 2, `exponentBits < 1` or a window outside
    /// 1...16 (programming errors).
    public init(base: BigInt, modulus: BigInt, exponentBits: Int, window: Int = 8) {
        precondition(modulus > 1, "FixedBasePowerTable: the modulus must be greater than 1")
        precondition(exponentBits >= 1, "FixedBasePowerTable: exponentBits must be at least 1")
        precondition((1...16).contains(window), "FixedBasePowerTable: the window must be 1 to 16 bits")
        self.base = base.modulo(modulus)
        self.modulus = modulus
        self.exponentBits = exponentBits
        self.window = window
        positions = (exponentBits + window - 1) / window
        digitsPerPosition = (1 << window) - 1
        var entries: [BigInt] = []
        entries.reserveCapacity(positions * digitsPerPosition)
        let context = ModularContext(modulus: modulus)
        var positionBase = self.base
        for _ in 0..<positions {
            var power = positionBase
            entries.append(power)
            for _ in 1..<digitsPerPosition {
                var next = context.makeResult()
                context.multiply(power, positionBase, into: &next)
                power = next
                entries.append(power)
            }
            // positionBase^(2^window) = (positionBase^(2^window − 1)) · positionBase
            var next = context.makeResult()
            context.multiply(power, positionBase, into: &next)
            positionBase = next
        }
        self.entries = entries
    }

    /// The number of residues held.
    public var entryCount: Int { entries.count }

    /// `base^exponent mod modulus`. Traps unless `0 ≤ exponent < 2^exponentBits`.
    public func power(_ exponent: BigInt) -> BigInt {
        var result = BigInt(storage: GMPStorage.make(bits: modulus.limbBits + 64))
        power(exponent, into: &result)
        return result
    }

    /// `result = base^exponent mod modulus`, reusing `result`'s limbs.
    public func power(_ exponent: BigInt, into result: inout BigInt) {
        precondition(!exponent.isNegative && exponent.bitWidth <= exponentBits,
                     "FixedBasePowerTable.power: the exponent must be in 0..<2^exponentBits")
        let limbBits = Int(GMP_LIMB_BITS)
        let product = GMPStorage.make(bits: 2 * modulus.limbBits + 64)
        var started = false
        exponent.withMPZ { e in
            let size = Int(e.pointee._mp_size)
            let limbs = e.pointee._mp_d!
            modulus.withMPZ { m in
                result.withMutableMPZ { r in
                    product.withUnsafeMutablePointerToElements { t in
                        for i in 0..<positions {
                            // Digit i: bits [window·i, window·i + window) of the exponent.
                            let bit = i * window
                            let limbIndex = bit / limbBits
                            let offset = bit % limbBits
                            guard limbIndex < size else { break }
                            var digit = UInt(limbs[limbIndex]) >> UInt(offset)
                            if offset + window > limbBits, limbIndex + 1 < size {
                                digit |= UInt(limbs[limbIndex + 1]) << UInt(limbBits - offset)
                            }
                            digit &= UInt(digitsPerPosition)
                            if digit == 0 { continue }
                            entries[i * digitsPerPosition + Int(digit) - 1].withMPZ { x in
                                if started {
                                    __gmpz_mul(t, r, x)
                                    __gmpz_tdiv_r(r, t, m)
                                } else {
                                    __gmpz_set(r, x)
                                    started = true
                                }
                            }
                        }
                        if !started { __gmpz_set_ui(r, 1) }
                    }
                }
            }
        }
    }
}
