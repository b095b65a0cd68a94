/// Decimal fixed point: an amount `x` is encoded as the integer `x · 10^fractionalDigits`, so
/// money in cents (`fractionalDigits: 2`) or a rate in basis points round-trips exactly, which
/// binary floating point cannot promise for 0.10.
///
/// Every encoding checks the range: the encoded integer must satisfy `|v| < 2^(bits − 1)`, so
/// that sums and products computed on shares or ciphertexts have room to stay exact. An amount
/// outside the range, or with more fractional digits than kept (unless a rounding rule is
/// given), is an error, never a silently wrong number. Errors describe the format, never the
/// amount, which may be confidential.
public struct FixedPointFormat: Sendable, Hashable, Codable {
    /// Decimal digits kept after the point.
    public let fractionalDigits: Int
    /// The encoded integer is a signed `bits`-bit integer.
    public let bits: Int

    /// Traps on nonsensical parameters (a programming error, not input).
    public init(fractionalDigits: Int, bits: Int = 64) {
        precondition((0...38).contains(fractionalDigits), "FixedPointFormat: fractionalDigits must be 0 to 38")
        precondition(bits >= 2, "FixedPointFormat: bits must be at least 2")
        self.fractionalDigits = fractionalDigits
        self.bits = bits
    }

    /// 10^fractionalDigits.
    public var scale: BigInt { BigInt(10).power(fractionalDigits) }

    /// The largest encoded magnitude, `2^(bits−1) − 1`.
    public var maxEncoded: BigInt { (BigInt(1) << (bits - 1)) - 1 }

    /// The largest amount, as a decimal string.
    public var maxAmount: String { decodeUnchecked(maxEncoded) }

    // MARK: Encoding

    /// Parses a decimal amount: optional sign, digits, an optional fraction and an optional
    /// exponent (`-1234.56`, `0.07`, `1.5e3`). With `rounding == nil`, an amount with more
    /// fractional digits than the format keeps is rejected.
    public func encode(_ text: some StringProtocol, rounding: FloatingPointRoundingRule? = nil) throws -> BigInt {
        let parsed = try DecimalText(text)
        let shift = fractionalDigits - parsed.fractionalDigits
        var value: BigInt
        if shift >= 0 {
            value = parsed.digits * BigInt(10).power(shift)
        } else {
            let divisor = BigInt(10).power(-shift)
            let (q, r) = parsed.digits.quotientAndRemainder(dividingBy: divisor)
            value = q
            if !r.isZero {
                guard let rounding else {
                    throw MathError(.precisionLoss, "the amount has more than \(fractionalDigits) fractional digits, which this format keeps; round it first or pass a rounding rule")
                }
                if Self.roundsAway(remainder: r, divisor: divisor, quotient: q, negative: parsed.negative, rule: rounding) {
                    value += 1
                }
            }
        }
        if parsed.negative { value.negate() }
        try checkRange(value)
        return value
    }

    /// The amount as a signed 64-bit integer; for formats of at most 64 bits.
    public func encodeInt64(_ text: some StringProtocol, rounding: FloatingPointRoundingRule? = nil) throws -> Int64 {
        precondition(bits <= 64, "FixedPointFormat.encodeInt64: the format has more than 64 bits")
        let value = try encode(text, rounding: rounding)
        return Int64(exactly: value)!  // checkRange bounded it to bits <= 64
    }

    /// Throws unless `|value| <= maxEncoded`.
    public func checkRange(_ value: BigInt) throws {
        guard value.magnitude <= maxEncoded else {
            throw MathError(.overflow, "the amount is outside this format's range (±\(maxAmount) with \(fractionalDigits) fractional digits in \(bits) bits); use a wider format or smaller units")
        }
    }

    // MARK: Decoding

    /// The exact decimal string, with exactly `fractionalDigits` digits after the point.
    public func decode(_ value: BigInt) throws -> String {
        try checkRange(value)
        return decodeUnchecked(value)
    }

    public func decode(_ value: Int64) throws -> String { try decode(BigInt(value)) }

    private func decodeUnchecked(_ value: BigInt) -> String {
        var digits = value.magnitude.description
        if digits.count <= fractionalDigits {
            digits = String(repeating: "0", count: fractionalDigits - digits.count + 1) + digits
        }
        if fractionalDigits > 0 {
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -fractionalDigits))
        }
        return value.isNegative ? "-" + digits : digits
    }

    // MARK: Embeddings into the rings that shares and ciphertexts live in

    /// Two's complement in Z/2^64 (for formats of at most 64 bits).
    public func encodeRing64(_ text: some StringProtocol, rounding: FloatingPointRoundingRule? = nil) throws -> Ring64 {
        Ring64(signed: try encodeInt64(text, rounding: rounding))
    }

    public func decode(_ element: Ring64) throws -> String {
        try decode(BigInt(element.signedValue))
    }

    /// Centred residue in GF(2^61 − 1) (for formats of at most 61 bits).
    public func encodeField61(_ text: some StringProtocol, rounding: FloatingPointRoundingRule? = nil) throws -> Mersenne61 {
        precondition(bits <= 61, "FixedPointFormat.encodeField61: the format has more than 61 bits")
        return Mersenne61(signed: try encodeInt64(text, rounding: rounding))
    }

    public func decode(_ element: Mersenne61) throws -> String {
        try decode(BigInt(element.signedValue))
    }

    /// A residue modulo `modulus` (a Paillier n, say), negatives at the top: the encoded
    /// value must lie strictly inside `(−modulus/2, modulus/2)`.
    public func encode(_ text: some StringProtocol, modulus: BigInt, rounding: FloatingPointRoundingRule? = nil) throws -> BigInt {
        let value = try encode(text, rounding: rounding)
        guard value.magnitude * 2 < modulus else {
            throw MathError(.overflow, "the amount does not fit the signed range of a \(modulus.bitWidth)-bit modulus")
        }
        return value.modulo(modulus)
    }

    /// Reads a residue modulo `modulus` back as a signed amount.
    public func decode(_ residue: BigInt, modulus: BigInt) throws -> String {
        guard !residue.isNegative, residue < modulus else {
            throw MathError(.overflow, "a residue must lie in 0..<modulus")
        }
        return try decode(residue * 2 > modulus ? residue - modulus : residue)
    }

    // MARK: Rounding

    static func roundsAway(remainder r: BigInt, divisor: BigInt, quotient q: BigInt, negative: Bool,
                           rule: FloatingPointRoundingRule) -> Bool {
        // r > 0 here; the magnitude is q + r/divisor. Decide whether the magnitude goes up.
        let twice = r * 2
        switch rule {
        case .towardZero: return false
        case .awayFromZero: return true
        case .up: return !negative
        case .down: return negative
        case .toNearestOrAwayFromZero: return twice >= divisor
        case .toNearestOrEven: return twice > divisor || (twice == divisor && q.isOdd)
        @unknown default: return twice >= divisor
        }
    }
}

/// A decimal numeral split into sign, all its digits as one integer, and how many of them are
/// after the point (negative when an exponent moved the point right).
struct DecimalText {
    var negative = false
    var digits = BigInt()
    var fractionalDigits = 0

    init(_ text: some StringProtocol) throws {
        let bytes = Array(text.utf8)
        var i = 0
        func fail(_ why: String) -> MathError {
            MathError(.invalidNumber, "not a decimal amount: \(why) (expected e.g. -1234.56 or 1.5e3)")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: [UInt8] = []
        var seenPoint = false
        var seenDigit = false
        while i < bytes.count {
            let c = bytes[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                mantissa.append(c)
                seenDigit = true
                if seenPoint { fractionalDigits += 1 }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard seenDigit else { throw fail(bytes.isEmpty ? "the text is empty" : "no digits before offset \(i)") }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var exponentNegative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponent = 0
            var exponentDigits = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                exponent = exponent * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                exponentDigits += 1
                guard exponent <= 1000 else { throw fail("the exponent is beyond ±1000") }
                i += 1
            }
            guard exponentDigits > 0 else { throw fail("the exponent at offset \(i) has no digits") }
            fractionalDigits -= exponentNegative ? -exponent : exponent
        }
        guard i == bytes.count else { throw fail("unexpected character at offset \(i)") }
        digits = try BigInt(parsing: String(decoding: mantissa, as: UTF8.self))
        if fractionalDigits < 0 {
            digits = digits * BigInt(10).power(-fractionalDigits)
            fractionalDigits = 0
        }
    }
}
