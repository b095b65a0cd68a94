import Testing
import TacitTestSupport
import TacitMath

/// BigInt against Swift's own fixed-width integers, which are an independent implementation.
@Suite struct BigIntSmallValueTests {
    static let samples: [Int64] = {
        var g = SeededGenerator(seed: 1)
        var values: [Int64] = [0, 1, -1, 2, -2, 7, -7, 255, 256, Int64(Int32.max), Int64(Int32.min),
                               Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        for _ in 0..<60 {
            let bits = Int.random(in: 1...63, using: &g)
            let v = Int64(bitPattern: g.next()) >> (64 - bits)
            values.append(v)
        }
        return values
    }()

    @Test func arithmeticMatchesInt128() {
        for x in Self.samples {
            for y in Self.samples {
                let a = BigInt(x), b = BigInt(y)
                let wx = Int128(x), wy = Int128(y)
                #expect(a + b == BigInt(wx + wy))
                #expect(a - b == BigInt(wx - wy))
                #expect(a * b == BigInt(wx * wy))
                #expect((a < b) == (x < y))
                #expect((a == b) == (x == y))
                if y != 0 {
                    #expect(a / b == BigInt(wx / wy), "\(x) / \(y)")
                    #expect(a % b == BigInt(wx % wy), "\(x) % \(y)")
                    let (q, r) = a.quotientAndRemainder(dividingBy: b)
                    #expect(q == BigInt(wx / wy) && r == BigInt(wx % wy))
                    let m = Int128(y).magnitude
                    let expectedMod = ((wx % Int128(m)) + Int128(m)) % Int128(m)
                    #expect(a.modulo(b) == BigInt(expectedMod), "\(x) mod \(y)")
                }
                #expect(a & b == BigInt(x & y))
                #expect(a | b == BigInt(x | y))
                #expect(a ^ b == BigInt(x ^ y))
            }
        }
    }

    @Test func unaryShiftsAndConversions() {
        for x in Self.samples {
            let a = BigInt(x)
            #expect(-a == BigInt(-Int128(x)))
            #expect(~a == BigInt(~x))
            #expect(a.magnitude == BigInt(x.magnitude))
            #expect(a.signum == x.signum())
            #expect(a.isOdd == (x & 1 != 0))
            #expect(Int64(exactly: a) == x)
            #expect(a.description == String(x))
            for shift in [0, 1, 5, 31, 62, 63] {
                #expect(a >> shift == BigInt(x >> shift), "\(x) >> \(shift)")
                #expect(a << shift == BigInt(Int128(x) << shift))
                #expect(a << -shift == a >> shift)
            }
            #expect(a.bitWidth == (x == 0 ? 0 : 64 - x.magnitude.leadingZeroBitCount))
            for radix in [2, 3, 8, 10, 16, 36] {
                #expect(a.toString(radix: radix) == String(x, radix: radix))
                #expect((try? BigInt(parsing: String(x, radix: radix), radix: radix)) == a)
            }
        }
    }

    @Test func gcdAndLcmMatchEuclid() {
        func euclid(_ a: UInt64, _ b: UInt64) -> UInt64 { b == 0 ? a : euclid(b, a % b) }
        for x in Self.samples.prefix(40) {
            for y in Self.samples.prefix(40) {
                let g = euclid(x.magnitude, y.magnitude)
                #expect(BigInt(x).gcd(BigInt(y)) == BigInt(g))
                let (d, s, t) = BigInt(x).extendedGCD(BigInt(y))
                #expect(d == BigInt(g))
                #expect(s * BigInt(x) + t * BigInt(y) == d)
                if g != 0 {
                    let l = UInt128(x.magnitude) / UInt128(g) * UInt128(y.magnitude)
                    #expect(BigInt(x).lcm(BigInt(y)) == BigInt(l))
                }
            }
        }
    }

    @Test func modularPowerMatchesSquareAndMultiply() {
        var g = SeededGenerator(seed: 2)
        func reference(_ base: UInt64, _ exponent: UInt64, _ modulus: UInt64) -> UInt64 {
            var result: UInt128 = 1 % UInt128(modulus)
            var b = UInt128(base % modulus)
            var e = exponent
            while e > 0 {
                if e & 1 == 1 { result = result * b % UInt128(modulus) }
                b = b * b % UInt128(modulus)
                e >>= 1
            }
            return UInt64(result)
        }
        for _ in 0..<300 {
            let modulus = g.next() >> UInt64.random(in: 1...62, using: &g) | 1
            let base = g.next()
            let exponent = g.next() >> UInt64.random(in: 0...63, using: &g)
            let expected = BigInt(reference(base, exponent, modulus))
            #expect(BigInt(base).power(BigInt(exponent), modulus: BigInt(modulus)) == expected)
            if modulus > 1 {
                #expect(BigInt(base).constantTimePower(BigInt(exponent), modulus: BigInt(modulus)) == expected,
                        "\(base)^\(exponent) mod \(modulus)")
            }
        }
    }

    @Test func inverseSatisfiesDefinition() {
        var g = SeededGenerator(seed: 3)
        for _ in 0..<300 {
            let m = UInt64.random(in: 2...UInt64(UInt32.max), using: &g)
            let a = UInt64.random(in: 0..<m, using: &g)
            let inverse = BigInt(a).inverse(BigInt(m))
            func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 { b == 0 ? a : gcd(b, a % b) }
            if gcd(a, m) == 1 {
                let i = try! #require(inverse.flatMap { UInt64(exactly: $0) })
                #expect(i < m && UInt128(a) * UInt128(i) % UInt128(m) == 1)
            } else {
                #expect(inverse == nil)
            }
        }
    }

    @Test func fixedWidthConversions() {
        #expect(Int(exactly: BigInt(Int.min)) == Int.min)
        #expect(Int(exactly: BigInt(Int.max)) == Int.max)
        #expect(Int(exactly: BigInt(Int.max) + 1) == nil)
        #expect(Int(exactly: BigInt(Int.min) - 1) == nil)
        #expect(UInt64(exactly: BigInt(UInt64.max)) == UInt64.max)
        #expect(UInt64(exactly: BigInt(-1)) == nil)
        #expect(UInt8(exactly: BigInt(256)) == nil)
        #expect(Int8(exactly: BigInt(-128)) == -128)
        #expect(Int8(exactly: BigInt(128)) == nil)
        #expect(Int128(exactly: BigInt(Int128.min)) == Int128.min)
        #expect(Int128(exactly: BigInt(Int128.max)) == Int128.max)
        #expect(UInt128(exactly: BigInt(UInt128.max)) == UInt128.max)
        #expect(UInt128(exactly: BigInt(UInt128.max) + 1) == nil)
        #expect(BigInt(Int128.min).description == String(Int128.min))
        let literal: BigInt = 340282366920938463463374607431768211456
        #expect(literal == BigInt(1) << 128)
        let negativeLiteral: BigInt = -340282366920938463463374607431768211457
        #expect(negativeLiteral == -(BigInt(1) << 128) - 1)
        let smallNegative: BigInt = -5
        #expect(smallNegative == BigInt(-5))
    }
}
