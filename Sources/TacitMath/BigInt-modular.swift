internal import CGMP

extension BigInt {
    /// `self^exponent mod modulus`, in `0..<modulus`, for a **public** exponent.
    ///
    /// Its running time depends on the exponent's bits: use ``constantTimePower(_:modulus:exponentBits:)``
    /// when the exponent is secret. A negative exponent uses the inverse, which must exist.
    public func power(_ exponent: BigInt, modulus: BigInt) -> BigInt {
        precondition(modulus.signum > 0, "BigInt.power: the modulus must be positive")
        if exponent.isNegative {
            guard let inverse = self.inverse(modulus) else {
                preconditionFailure("BigInt.power: a negative exponent needs the base to be invertible modulo the modulus")
            }
            return inverse.power(-exponent, modulus: modulus)
        }
        return withMPZ { b in exponent.withMPZ { e in modulus.withMPZ { m in
            BigInt.computing(bits: modulus.limbBits) { __gmpz_powm($0, b, e, m) }
        } } }
    }

    public func power(_ exponent: Int, modulus: BigInt) -> BigInt {
        power(BigInt(exponent), modulus: modulus)
    }

    /// `self^exponent mod modulus` in time that does not depend on the exponent's value:
    /// for secret exponents (decryption keys, CRT exponents).
    ///
    /// - The modulus must be odd and greater than 1 (GMP's side-channel-silent powering works in
    ///   Montgomery form); the base and the modulus are treated as public.
    /// - `exponentBits` is the public bound the time depends on. It defaults to the modulus's
    ///   bit width, so that an exponent below the modulus does not reveal even its length (a
    ///   longer one reveals that it is longer). The exponent must be non-negative and below
    ///   `2^exponentBits`.
    public func constantTimePower(_ exponent: BigInt, modulus: BigInt, exponentBits: Int? = nil) -> BigInt {
        precondition(modulus.signum > 0 && modulus.isOdd && modulus != 1,
                     "BigInt.constantTimePower: the modulus must be odd and greater than 1")
        precondition(!exponent.isNegative, "BigInt.constantTimePower: the exponent must not be negative")
        let bits = exponentBits ?? max(modulus.bitWidth, exponent.bitWidth, 1)
        precondition(bits >= 1 && exponent.bitWidth <= bits,
                     "BigInt.constantTimePower: the exponent has more bits than exponentBits")
        var result = BigInt()
        var scratch = SecurePowerScratch()
        scratch.power(self.modulo(modulus), exponent, modulus: modulus, exponentBits: bits, into: &result)
        scratch.release()
        return result
    }

    /// The inverse of `self` modulo `modulus`, in `0..<|modulus|`, or nil when
    /// `gcd(self, modulus) != 1`. The inverse modulo ±1 is 0. Traps on a zero modulus.
    public func inverse(_ modulus: BigInt) -> BigInt? {
        precondition(!modulus.isZero, "BigInt.inverse: the modulus must not be zero")
        if modulus.magnitude == 1 { return BigInt() }
        var found = false
        let result = withMPZ { a in modulus.withMPZ { m in
            BigInt.computing(bits: modulus.limbBits) { found = __gmpz_invert($0, a, m) != 0 }
        } }
        return found ? result : nil
    }

    /// The greatest common divisor, non-negative; `gcd(0, 0) == 0`.
    public func gcd(_ other: BigInt) -> BigInt {
        withMPZ { a in other.withMPZ { b in
            BigInt.computing(bits: min(limbBits, other.limbBits)) { __gmpz_gcd($0, a, b) }
        } }
    }

    /// The least common multiple, non-negative; 0 if either is 0.
    public func lcm(_ other: BigInt) -> BigInt {
        withMPZ { a in other.withMPZ { b in
            BigInt.computing(bits: limbBits + other.limbBits) { __gmpz_lcm($0, a, b) }
        } }
    }

    /// `(g, s, t)` with `g = gcd(self, other) = s·self + t·other`.
    public func extendedGCD(_ other: BigInt) -> (gcd: BigInt, s: BigInt, t: BigInt) {
        let g = GMPStorage.make(), s = GMPStorage.make(), t = GMPStorage.make()
        withMPZ { a in other.withMPZ { b in
            g.withUnsafeMutablePointerToElements { gz in
                s.withUnsafeMutablePointerToElements { sz in
                    t.withUnsafeMutablePointerToElements { tz in __gmpz_gcdext(gz, sz, tz, a, b) }
                }
            }
        } }
        return (BigInt(storage: g), BigInt(storage: s), BigInt(storage: t))
    }
}

/// Limb buffers for GMP's side-channel-silent powering (`mpn_sec_powm`), wiped on release
/// because they hold the exponent and intermediate powers. Reused across calls by
/// ``ModularContext``.
struct SecurePowerScratch {
    private var limbs: UnsafeMutableBufferPointer<mp_limb_t> = .init(start: nil, count: 0)

    /// `result = base^exponent mod modulus`, with `0 <= base < modulus`, modulus odd > 1.
    mutating func power(_ base: BigInt, _ exponent: BigInt, modulus: BigInt, exponentBits: Int,
                        into result: inout BigInt) {
        if base.isZero {
            // mpn_sec_powm needs a positive base. The base is public, so branching on it leaks
            // nothing about the exponent except whether it is zero, which no key exponent is.
            result = exponent.isZero ? BigInt(1) : BigInt()
            return
        }
        let limbBits = Int(GMP_LIMB_BITS)
        let n = modulus.withMPZ { Int($0.pointee._mp_size) }
        let bn = base.withMPZ { Int($0.pointee._mp_size) }
        let en = (exponentBits + limbBits - 1) / limbBits
        let itch = Int(__gmpn_sec_powm_itch(bn, mp_bitcnt_t(exponentBits), n))
        ensureCapacity(itch + en)

        let scratch = limbs.baseAddress!
        let exponentLimbs = scratch + itch
        // The exponent, zero-padded to the public width so the loop count does not reveal it.
        exponentLimbs.initialize(repeating: 0, count: en)
        exponent.withMPZ { e in
            let used = Int(e.pointee._mp_size)
            if used > 0 { exponentLimbs.update(from: e.pointee._mp_d, count: used) }
        }
        result.withMutableMPZ { r in
            let rp = __gmpz_limbs_write(r, n)!
            base.withMPZ { b in modulus.withMPZ { m in
                __gmpn_sec_powm(rp, b.pointee._mp_d, bn, exponentLimbs, mp_bitcnt_t(exponentBits),
                                m.pointee._mp_d, n, scratch)
            } }
            __gmpz_limbs_finish(r, n)
        }
        tacit_secure_zero(scratch, (itch + en) * MemoryLayout<mp_limb_t>.size)
    }

    private mutating func ensureCapacity(_ count: Int) {
        if limbs.count >= count { return }
        release()
        limbs = .allocate(capacity: count)
        limbs.initialize(repeating: 0)
    }

    /// Wipes and frees the buffers.
    mutating func release() {
        guard let base = limbs.baseAddress else { return }
        tacit_secure_zero(base, limbs.count * MemoryLayout<mp_limb_t>.size)
        limbs.deallocate()
        limbs = .init(start: nil, count: 0)
    }
}
