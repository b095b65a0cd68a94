import Foundation
import Testing
import TacitMath

@Suite struct BigIntEdgeCaseTests {
    @Test func zero() throws {
        let zero = BigInt()
        #expect(zero == 0 && zero.isZero && zero.signum == 0 && zero.bitWidth == 0 && !zero.isNegative)
        #expect(zero.description == "0" && zero.hexString == "0" && (-zero) == zero)
        #expect(zero.bigEndianBytes.isEmpty)
        #expect(try zero.bigEndianBytes(width: 4) == [0, 0, 0, 0])
        #expect(BigInt(bigEndianBytes: [UInt8]()) == 0)
        #expect(BigInt(bigEndianBytes: [0, 0, 0]) == 0)
        #expect(zero.power(0) == 1 && zero.power(5) == 0)
        #expect(zero.power(BigInt(0), modulus: 7) == 1)
        #expect(zero.constantTimePower(BigInt(0), modulus: 7) == 1)
        #expect(zero.constantTimePower(BigInt(5), modulus: 7) == 0)
        #expect(zero.gcd(0) == 0 && zero.lcm(5) == 0)
        #expect(zero.inverse(7) == nil)
    }

    @Test func moduloOne() {
        for x in [BigInt(0), 1, -1, BigInt(2).power(300), -BigInt(2).power(300)] {
            #expect(x.modulo(1) == 0)
            #expect(x.power(BigInt(5), modulus: 1) == 0)
            #expect(x.power(BigInt(0), modulus: 1) == 0)
            #expect(x.inverse(1) == 0)
            #expect(x.inverse(-1) == 0)
        }
    }

    @Test func negativeOperands() {
        #expect(BigInt(-7) / 2 == -3 && BigInt(-7) % 2 == -1)
        #expect(BigInt(-7).modulo(2) == 1 && BigInt(-7).modulo(-2) == 1)
        #expect(BigInt(7) / -2 == -3 && BigInt(7) % -2 == 1)
        #expect(BigInt(-5) >> 1 == -3)  // floor, like Int
        #expect(BigInt(-3).inverse(7) == 2)  // -3 * 2 = -6 = 1 mod 7
        #expect(BigInt(-2).power(BigInt(3), modulus: 7) == 6)
        #expect(BigInt(-2).constantTimePower(BigInt(3), modulus: 7) == 6)
        #expect(BigInt(3).power(BigInt(-1), modulus: 7) == 5)
        #expect(BigInt(-12).gcd(-18) == 6)
        #expect(throws: MathError.self) { try BigInt(-1).bigEndianBytes(width: 8) }
    }

    @Test func nonInvertible() {
        #expect(BigInt(6).inverse(9) == nil)
        #expect(BigInt(9).inverse(9) == nil)
        #expect((BigInt(2).power(200)).inverse(BigInt(2).power(100)) == nil)
        #expect(BigInt(4).inverse(9) == 7)
    }

    @Test func fixedWidthBytes() throws {
        let value = BigInt(0x0102_0304)
        #expect(try value.bigEndianBytes(width: 4) == [1, 2, 3, 4])
        #expect(try value.bigEndianBytes(width: 6) == [0, 0, 1, 2, 3, 4])
        #expect(value.bigEndianBytes == [1, 2, 3, 4])
        let error = #expect(throws: MathError.self) { try value.bigEndianBytes(width: 3) }
        #expect(error?.code == .overflow)
        #expect(error?.message.contains("4 bytes") == true)
        let n = BigInt(1) << 2047
        #expect(try n.bigEndianBytes(width: 256).count == 256)
        #expect(BigInt(bigEndianBytes: try n.bigEndianBytes(width: 300)) == n)
    }

    @Test func copyOnWrite() {
        let original = BigInt(2).power(1000)
        var copy = original
        copy += 1
        #expect(copy == original + 1 && original == BigInt(2).power(1000))
        var negated = original
        negated.negate()
        #expect(negated == -original && original.signum == 1)
        var product = original
        product *= original
        #expect(original == BigInt(2).power(1000))
        #expect(product == BigInt(2).power(2000))
        var selfSum = original
        selfSum += selfSum
        #expect(selfSum == original * 2)
    }

    @Test func sendableAcrossTasks() async {
        let shared = BigInt(3).power(5000)
        let results = await withTaskGroup(of: BigInt.self) { group in
            for i in 0..<8 {
                group.addTask { var local = shared; local += BigInt(i); return local - BigInt(i) }
            }
            var all: [BigInt] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == shared })
    }

    @Test func hashingAgreesWithEquality() {
        let a = BigInt(2).power(300) + 5
        let b = big((BigInt(2).power(300) + 5).description)
        #expect(Set([a, b, -a]).count == 2)
        #expect(a.hashValue == b.hashValue)
    }
}

@Suite struct BigIntParsingTests {
    @Test(arguments: [
        ("", "empty"), ("-", "only a sign"), ("+", "only a sign"), ("12a", "offset 2"), (" 12", "offset 0"),
        ("12 ", "offset 2"), ("1_000", "offset 1"), ("1,000", "offset 1"), ("١٢", "offset 0"), ("--1", "offset 1"),
        ("0x10", "offset 1"), ("1.5", "offset 1"), ("1e5", "offset 1"),
    ])
    func invalidDecimalStringsThrow(text: String, mention: String) {
        let error = #expect(throws: MathError.self) { try BigInt(parsing: text) }
        #expect(error?.code == .invalidNumber)
        #expect(error?.message.contains(mention) == true, "\(error?.message ?? "")")
        #expect(BigInt(text) == nil)
    }

    @Test func radixRules() throws {
        #expect(try BigInt(parsing: "ff", radix: 16) == 255)
        #expect(try BigInt(parsing: "0xFF", radix: 16) == 255)
        #expect(try BigInt(parsing: "-0x10", radix: 16) == -16)
        #expect(try BigInt(parsing: "zz", radix: 36) == 1295)
        #expect(try BigInt(parsing: "+42") == 42)
        #expect(try BigInt(parsing: "-0") == 0)
        #expect(try BigInt(parsing: "000123") == 123)
        #expect(throws: MathError.self) { try BigInt(parsing: "0x", radix: 16) }
        #expect(throws: MathError.self) { try BigInt(parsing: "102", radix: 2) }
        #expect(throws: MathError.self) { try BigInt(parsing: "g", radix: 16) }
        let radixError = #expect(throws: MathError.self) { try BigInt(parsing: "1", radix: 37) }
        #expect(radixError?.code == .invalidRadix)
        #expect(throws: MathError.self) { try BigInt(parsing: "1", radix: 1) }
    }

    @Test func errorsDoNotQuoteTheNumber() {
        let secret = "98765432109876543210x"
        let error = #expect(throws: MathError.self) { try BigInt(parsing: secret) }
        #expect(error?.message.contains("9876") == false)
    }

    @Test func codableRoundTrip() throws {
        let values = [BigInt(0), -1, BigInt(2).power(2048) - 1, -BigInt(3).power(400)]
        let data = try JSONEncoder().encode(values)
        #expect(try JSONDecoder().decode([BigInt].self, from: data) == values)
        #expect(String(decoding: try JSONEncoder().encode([BigInt(-12)]), as: UTF8.self) == "[\"-12\"]")
        #expect(try JSONDecoder().decode([BigInt].self, from: Data("[42, \"7\"]".utf8)) == [42, 7])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([BigInt].self, from: Data("[\"12x\"]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([BigInt].self, from: Data("[1.5]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([BigInt].self, from: Data("[true]".utf8)) }
    }
}
