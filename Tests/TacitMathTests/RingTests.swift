import Testing
import TacitTestSupport
import TacitMath

@Suite struct RingTests {
    static let p = BigInt(Mersenne61.modulus)

    @Test func mersenne61MatchesBigIntReference() {
        var g = SeededGenerator(seed: 5)
        var samples: [UInt64] = [0, 1, 2, Mersenne61.modulus - 1, Mersenne61.modulus - 2, 1 << 60, (1 << 61) - 2]
        for _ in 0..<300 { samples.append(g.next() % Mersenne61.modulus) }
        for x in samples.prefix(80) {
            for y in samples.suffix(80) {
                let a = Mersenne61(x), b = Mersenne61(y)
                #expect(BigInt((a * b).value) == (BigInt(x) * BigInt(y)).modulo(Self.p), "\(x) * \(y)")
                #expect(BigInt((a + b).value) == (BigInt(x) + BigInt(y)).modulo(Self.p))
                #expect(BigInt((a - b).value) == (BigInt(x) - BigInt(y)).modulo(Self.p))
            }
            let a = Mersenne61(x)
            #expect((a + (-a)) == .zero)
            if x != 0 {
                let inverse = a.inverse!
                #expect(a * inverse == .one)
                #expect(BigInt(inverse.value) == BigInt(x).inverse(Self.p))
            }
        }
        #expect(Mersenne61.zero.inverse == nil)
        #expect(BigInt(Mersenne61(UInt64.max).value) == BigInt(UInt64.max).modulo(Self.p))
        #expect(Mersenne61(signed: -1).value == Mersenne61.modulus - 1)
        #expect(Mersenne61(signed: -12345).signedValue == -12345)
        #expect(Mersenne61(signed: Int64(Mersenne61.modulus / 2)).signedValue == Int64(Mersenne61.modulus / 2))
    }

    @Test func ring64WrapsLikeUInt64() {
        var g = SeededGenerator(seed: 6)
        for _ in 0..<500 {
            let x = g.next(), y = g.next()
            #expect((Ring64(x) * Ring64(y)).value == x &* y)
            #expect((Ring64(x) + Ring64(y)).value == x &+ y)
            #expect((Ring64(x) - Ring64(y)).value == x &- y)
            #expect((-Ring64(x)).value == 0 &- x)
        }
        #expect(Ring64(signed: -3).signedValue == -3)
    }

    @Test func vectorOperationsMatchScalarLoops() {
        var g = SeededGenerator(seed: 8)
        let n = 1000
        let a = Field61Vector.random(count: n, using: &g), b = Field61Vector.random(count: n, using: &g)
        let sum = a + b, difference = a - b, product = a * b
        var dot = Mersenne61.zero
        for i in 0..<n {
            #expect(sum[i] == a[i] + b[i] && difference[i] == a[i] - b[i] && product[i] == a[i] * b[i])
            dot = dot + a[i] * b[i]
        }
        #expect(a.dot(b) == dot)
        #expect(a.sum() == a.reduce(Mersenne61.zero, +))
        #expect((Mersenne61(3) * a)[17] == Mersenne61(3) * a[17])
        var accumulated = a
        accumulated += b
        accumulated -= b
        #expect(accumulated == a)
        #expect((-a + a) == Field61Vector.zeros(n))
        let r = Ring64Vector.random(count: n, using: &g), s = Ring64Vector.random(count: n, using: &g)
        #expect((r * s).elements.map(\.value) == zip(r, s).map { $0.value &* $1.value })
        #expect(r.adding(Ring64(5))[3].value == r[3].value &+ 5)
    }

    @Test func wireEncodingRoundTripsAndValidates() throws {
        let v: Field61Vector = [Mersenne61(0), Mersenne61(1), Mersenne61(Mersenne61.modulus - 1)]
        let bytes = v.serialized()
        #expect(bytes.count == 24 && bytes[8] == 1)
        #expect(try Field61Vector(serialized: bytes, expectedCount: 3) == v)
        let short = #expect(throws: MathError.self) { try Field61Vector(serialized: bytes.dropLast()) }
        #expect(short?.message.contains("not a multiple") == true)
        let count = #expect(throws: MathError.self) { try Field61Vector(serialized: bytes, expectedCount: 4) }
        #expect(count?.message.contains("expected a vector of 4") == true)
        var nonCanonical = bytes
        nonCanonical[16..<24] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]  // exactly p
        let error = #expect(throws: MathError.self) { try Field61Vector(serialized: nonCanonical) }
        #expect(error?.message.contains("element 2") == true)
        let ring: Ring64Vector = [Ring64(UInt64.max), Ring64(7)]
        #expect(try Ring64Vector(serialized: ring.serialized()) == ring)
        #expect(try Ring64Vector(serialized: [UInt8]()).isEmpty)
    }
}
