import Foundation
import Testing
import TacitTestSupport
import TacitMath

/// Large values: results computed by CPython's integers (an independent implementation),
/// algebraic identities, and published numbers.
@Suite struct BigIntLargeValueTests {
    struct Vector: Decodable {
        let a, b, m, e: String
        let shift: Int
        let sum, difference, product, quotient, remainder, modulo, power: String
        let inverse: String?
        let gcd, shiftedLeft, shiftedRight, and, or, xor, hex, magnitudeBytes: String
    }

    static let vectors: [Vector] = {
        struct File: Decodable { let cases: [Vector] }
        let data = try! Data(contentsOf: fixtureURL("bigint-vectors.json"))
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()

    @Test func matchesIndependentImplementation() throws {
        #expect(Self.vectors.count == 40)
        for (i, v) in Self.vectors.enumerated() {
            let a = big(v.a), b = big(v.b), m = big(v.m), e = big(v.e)
            #expect(a + b == big(v.sum), "case \(i) sum")
            #expect(a - b == big(v.difference), "case \(i) difference")
            #expect(a * b == big(v.product), "case \(i) product")
            #expect(a / b == big(v.quotient), "case \(i) quotient")
            #expect(a % b == big(v.remainder), "case \(i) remainder")
            #expect(a.modulo(m) == big(v.modulo), "case \(i) modulo")
            #expect(a.power(e, modulus: m) == big(v.power), "case \(i) power")
            #expect(a.constantTimePower(e, modulus: m, exponentBits: max(e.bitWidth, 2048)) == big(v.power), "case \(i) ct power")
            #expect(a.inverse(m) == v.inverse.map(big), "case \(i) inverse")
            #expect(a.gcd(b) == big(v.gcd), "case \(i) gcd")
            #expect(a << v.shift == big(v.shiftedLeft), "case \(i) <<")
            #expect(a >> v.shift == big(v.shiftedRight), "case \(i) >>")
            #expect(a & b == big(v.and) && a | b == big(v.or) && a ^ b == big(v.xor), "case \(i) bitwise")
            #expect(a.hexString == v.hex, "case \(i) hex")
            #expect(try BigInt(parsing: v.hex, radix: 16) == a)
            let bytes = a.magnitude.bigEndianBytes
            #expect(bytes.map { String(format: "%02x", $0) }.joined() == v.magnitudeBytes, "case \(i) bytes")
            #expect(BigInt(bigEndianBytes: bytes) == a.magnitude)
            #expect(a.description == v.a)
        }
    }

    @Test func algebraicIdentities() {
        var g = SeededGenerator(seed: 10)
        for _ in 0..<25 {
            let a = BigInt.random(bits: 4096, using: &g) - (BigInt(1) << 4095)
            let b = BigInt.random(bits: 3000, using: &g) + 1
            let c = BigInt.random(bits: 2048, using: &g)
            let m = BigInt.random(bits: 4096, using: &g) | 1
            #expect((a + b) - b == a)
            #expect(a * (b + c) == a * b + a * c)
            #expect((a * b) / b == a)
            let (q, r) = a.quotientAndRemainder(dividingBy: b)
            #expect(q * b + r == a)
            #expect(r.magnitude < b.magnitude && (r.isZero || r.signum == a.signum))
            #expect((a * b).modulo(m) == (a.modulo(m) * b.modulo(m)).modulo(m))
            #expect((a << 777) >> 777 == a)
            #expect(a << 100 == a * BigInt(2).power(100))
            #expect(a.power(2) == a * a)
            #expect((a * a).squareRoot() == a.magnitude)
            #expect(b.power(c, modulus: m) * b.power(c + 1, modulus: m) % m == b.power(2 * c + 1, modulus: m))
            #expect(b.constantTimePower(c, modulus: m) == b.power(c, modulus: m))
            if let inverse = b.inverse(m) {
                #expect((b * inverse).modulo(m) == 1)
                #expect(b.power(-c, modulus: m) == inverse.power(c, modulus: m))
            }
            #expect(a.gcd(b) * a.lcm(b) == (a * b).magnitude)
            var copy = a
            copy += b
            copy -= b
            copy *= c
            #expect(copy == a * c)
        }
    }

    @Test func publishedNumbers() {
        // 2^256, and RSA-100 with its published factors (Lenstra et al., 1991).
        #expect(BigInt(2).power(256).description == "115792089237316195423570985008687907853269984665640564039457584007913129639936")
        let rsa100 = big("1522605027922533360535618378132637429718068114961380688657908494580122963258952897654000350692006139")
        let p = big("37975227936943673922808872755445627854565536638199")
        let q = big("40094690950920881030683735292761468389214899724061")
        #expect(p * q == rsa100)
        #expect(p.isProbablePrime() && q.isProbablePrime() && !rsa100.isProbablePrime())
        // Mersenne primes and Fermat's little theorem: a^(p-1) = 1 mod p.
        let m521 = BigInt(2).power(521) - 1
        let m127 = BigInt(2).power(127) - 1
        #expect(m521.isProbablePrime() && m127.isProbablePrime())
        #expect(!(BigInt(2).power(67) - 1).isProbablePrime())  // Cole, 1903
        #expect(BigInt(3).power(m521 - 1, modulus: m521) == 1)
        #expect(BigInt(3).constantTimePower(m521 - 1, modulus: m521) == 1)
        // Carmichael numbers fool Fermat but not these tests.
        for carmichael in [561, 41041, 825265, 321197185] {
            #expect(!BigInt(carmichael).isProbablePrime(), "\(carmichael)")
        }
    }

    @Test func hugeExponents() {
        // With p prime, a^e = a^(e mod (p-1)) mod p: checks exponents far larger than the modulus.
        let p = BigInt(2).power(127) - 1
        let e = BigInt(2).power(5000) + 12345
        let reduced = e.modulo(p - 1)
        #expect(BigInt(7).power(e, modulus: p) == BigInt(7).power(reduced, modulus: p))
        #expect(BigInt(7).constantTimePower(e, modulus: p, exponentBits: 5001) == BigInt(7).power(reduced, modulus: p))
        #expect(BigInt(2).power(4096).bitWidth == 4097)
    }
}
