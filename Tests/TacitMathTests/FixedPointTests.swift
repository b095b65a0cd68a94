import Testing
import TacitTestSupport
import TacitMath

@Suite struct FixedPointTests {
    let cents = FixedPointFormat(fractionalDigits: 2)

    @Test func encodesDecimalAmountsExactly() throws {
        #expect(try cents.encode("1234.56") == 123456)
        #expect(try cents.encode("-0.05") == -5)
        #expect(try cents.encode("+7") == 700)
        #expect(try cents.encode("0.1") == 10)
        #expect(try cents.encode(".5") == 50)
        #expect(try cents.encode("5.") == 500)
        #expect(try cents.encode("1.5e3") == 150000)
        #expect(try cents.encode("12345e-2") == 12345)
        #expect(try cents.encodeInt64("-92233720368547758.07") == Int64.min + 1)
        #expect(try cents.decode(BigInt(123456)) == "1234.56")
        #expect(try cents.decode(BigInt(-5)) == "-0.05")
        #expect(try cents.decode(BigInt(0)) == "0.00")
        #expect(try FixedPointFormat(fractionalDigits: 0).decode(BigInt(-42)) == "-42")
    }

    @Test func roundTripsRandomAmounts() throws {
        var g = SeededGenerator(seed: 9)
        for digits in [0, 2, 4, 6] {
            let format = FixedPointFormat(fractionalDigits: digits, bits: 64)
            for _ in 0..<200 {
                let encoded = Int64(bitPattern: g.next()) >> 2
                let text = try format.decode(encoded)
                #expect(try format.encodeInt64(text) == encoded, "\(text)")
            }
        }
    }

    @Test func rejectsPrecisionLossUnlessRounding() throws {
        let error = #expect(throws: MathError.self) { try cents.encode("1.005") }
        #expect(error?.code == .precisionLoss)
        #expect(try cents.encode("1.005", rounding: .toNearestOrEven) == 100)
        #expect(try cents.encode("1.015", rounding: .toNearestOrEven) == 102)
        #expect(try cents.encode("1.005", rounding: .toNearestOrAwayFromZero) == 101)
        #expect(try cents.encode("-1.005", rounding: .toNearestOrAwayFromZero) == -101)
        #expect(try cents.encode("1.001", rounding: .up) == 101)
        #expect(try cents.encode("-1.001", rounding: .up) == -100)
        #expect(try cents.encode("-1.001", rounding: .down) == -101)
        #expect(try cents.encode("1.009", rounding: .towardZero) == 100)
        #expect(try cents.encode("1.001", rounding: .awayFromZero) == 101)
        #expect(try cents.encode("1.000000") == 100)  // trailing zeros lose nothing
    }

    @Test func detectsOverflow() throws {
        let small = FixedPointFormat(fractionalDigits: 2, bits: 16)  // |v| <= 32767
        #expect(try small.encode("327.67") == 32767)
        #expect(try small.encode("-327.67") == -32767)
        let error = #expect(throws: MathError.self) { try small.encode("327.68") }
        #expect(error?.code == .overflow)
        #expect(error?.message.contains("327.67") == true)
        #expect(error?.message.contains("327.68") == false)
        #expect(throws: MathError.self) { try small.decode(BigInt(40000)) }
        #expect(throws: MathError.self) { try cents.encode("92233720368547758.08") }
        #expect(throws: MathError.self) { try cents.encode("1e30") }
    }

    @Test(arguments: ["", "-", "abc", "1.2.3", "1,5", "1e", "1e+", " 1", "1 ", "0x10", "1e99999", "--1", "."])
    func rejectsMalformedAmounts(text: String) {
        let error = #expect(throws: MathError.self) { try cents.encode(text) }
        #expect(error?.code == .invalidNumber, "\(text)")
    }

    @Test func embedsIntoRingsAndModuli() throws {
        #expect(try cents.encodeRing64("-1.00").value == UInt64.max - 99)
        #expect(try cents.decode(cents.encodeRing64("-1.00")) == "-1.00")
        let f61 = FixedPointFormat(fractionalDigits: 2, bits: 61)
        let x = try f61.encodeField61("-2.50")
        #expect(x.value == Mersenne61.modulus - 250)
        #expect(try f61.decode(x) == "-2.50")
        let n = BigInt(1_000_003) * BigInt(999_983)
        let residue = try cents.encode("-12.34", modulus: n)
        #expect(residue == n - 1234)
        #expect(try cents.decode(residue, modulus: n) == "-12.34")
        #expect(throws: MathError.self) { try cents.encode("99999999999.99", modulus: BigInt(1000)) }
        #expect(throws: MathError.self) { try cents.decode(n + 1, modulus: n) }
        // Sums of encodings decode to the sum of amounts, the point of a fixed scale.
        let total = (try cents.encode("0.10", modulus: n) + cents.encode("0.20", modulus: n)).modulo(n)
        #expect(try cents.decode(total, modulus: n) == "0.30")
    }
}
