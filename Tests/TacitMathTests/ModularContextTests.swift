import Testing
import TacitTestSupport
import TacitMath

@Suite struct ModularContextTests {
    @Test func agreesWithBigIntOperators() {
        var g = SeededGenerator(seed: 7)
        for bits in [64, 1024, 4096] {
            let m = BigInt.random(bits: bits, using: &g) | 1 | (BigInt(1) << (bits - 1))
            let context = ModularContext(modulus: m)
            var result = context.makeResult()
            var accumulator = BigInt(1)
            var expectedAccumulator = BigInt(1)
            for _ in 0..<30 {
                let a = BigInt.random(below: m, using: &g)
                let b = BigInt.random(below: m, using: &g) - m / 2
                context.multiply(a, b, into: &result)
                #expect(result == (a * b).modulo(m))
                context.add(a, b, into: &result)
                #expect(result == (a + b).modulo(m))
                context.subtract(a, b, into: &result)
                #expect(result == (a - b).modulo(m))
                context.reduce(b, into: &result)
                #expect(result == b.modulo(m))
                context.multiply(&accumulator, by: a)
                expectedAccumulator = (expectedAccumulator * a).modulo(m)
                #expect(accumulator == expectedAccumulator)
                let e = BigInt.random(bits: bits / 2, using: &g)
                context.power(a, e, into: &result)
                #expect(result == a.power(e, modulus: m))
                context.constantTimePower(b, e, into: &result)
                #expect(result == b.power(e, modulus: m))
            }
        }
    }

    @Test func resultAliasingAnOperandIsSafe() {
        let m = BigInt(1_000_003)
        let context = ModularContext(modulus: m)
        var x = BigInt(123_456)
        let y = BigInt(654_321)
        context.multiply(x, y, into: &x)
        #expect(x == BigInt(123_456) * y % m)
        let before = x
        context.multiply(&x, by: x)
        #expect(x == before * before % m)
    }
}
