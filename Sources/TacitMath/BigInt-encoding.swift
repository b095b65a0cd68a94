internal import CGMP

// MARK: Strings

extension BigInt: LosslessStringConvertible, CustomStringConvertible, CustomDebugStringConvertible {
    /// Parses a number in `radix` (2...36): an optional `+` or `-`, then digits. With radix 16 an
    /// optional `0x` prefix is accepted. Nothing else is: no spaces, no separators, no empty
    /// string. Errors say where the first bad character is, never what the number was.
    public init(parsing text: some StringProtocol, radix: Int = 10) throws {
        guard (2...36).contains(radix) else {
            throw MathError(.invalidRadix, "radix \(radix) is not supported: use 2 to 36")
        }
        var utf8 = Array(text.utf8)
        var negative = false
        var offset = 0
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            offset = 1
        }
        if radix == 16, utf8.count >= offset + 2, utf8[offset] == UInt8(ascii: "0"),
           utf8[offset + 1] | 0x20 == UInt8(ascii: "x") {
            offset += 2
        }
        guard offset < utf8.count else {
            throw MathError(.invalidNumber, "not a number: expected digits in radix \(radix), found \(utf8.isEmpty ? "an empty string" : "only a sign or prefix")")
        }
        for i in offset..<utf8.count {
            guard let digit = BigInt.digitValue(utf8[i]), digit < radix else {
                let shown = utf8[i] < 0x80 && utf8[i] >= 0x20 ? "'\(Character(Unicode.Scalar(utf8[i])))'" : "byte 0x\(String(utf8[i], radix: 16))"
                throw MathError(.invalidNumber, "not a number: \(shown) at offset \(i) is not a digit in radix \(radix)")
            }
        }
        utf8.append(0)
        let storage = GMPStorage.make(bits: (utf8.count - offset) * 6)
        let status = storage.withUnsafeMutablePointerToElements { z in
            utf8.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                    __gmpz_set_str(z, chars + offset, Int32(radix))
                }
            }
        }
        // Every character was checked above, so GMP refusing it would be a bug in that check.
        precondition(status == 0, "BigInt: GMP rejected a string that passed validation")
        self.init(storage: storage)
        if negative { negate() }
    }

    /// Decimal, for `LosslessStringConvertible`; nil for anything but an optionally signed
    /// run of decimal digits.
    public init?(_ description: String) {
        guard let value = try? BigInt(parsing: description) else { return nil }
        self = value
    }

    private static func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(c - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// The digits in `radix` (2...36), lowercase, with a leading `-` when negative.
    public func toString(radix: Int = 10) -> String {
        precondition((2...36).contains(radix), "BigInt.toString: radix must be 2 to 36")
        return withMPZ { z in
            // sizeinbase may overshoot by one; plus sign and terminator.
            let capacity = __gmpz_sizeinbase(z, Int32(radix)) + 2
            return String(unsafeUninitializedCapacity: capacity) { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    _ = __gmpz_get_str(chars.baseAddress, Int32(radix), z)
                    return chars.firstIndex(of: 0) ?? 0
                }
            }
        }
    }

    public var description: String { toString(radix: 10) }
    public var debugDescription: String { "BigInt(\(description))" }

    /// Lowercase hexadecimal without prefix; negative values get a leading `-`.
    public var hexString: String { toString(radix: 16) }
}

// MARK: Bytes

extension BigInt {
    /// The non-negative integer whose big-endian bytes these are (leading zeros allowed).
    public init(bigEndianBytes bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        let storage = GMPStorage.make(bits: array.count * 8)
        storage.withUnsafeMutablePointerToElements { z in
            array.withUnsafeBufferPointer { b in
                if b.count > 0 { __gmpz_import(z, b.count, 1, 1, 1, 0, b.baseAddress) }
            }
        }
        self.init(storage: storage)
    }

    /// The magnitude in big-endian bytes without leading zeros; empty for zero.
    public var bigEndianBytes: [UInt8] {
        (try? bigEndianBytes(width: byteCount)) ?? []
    }

    /// Exactly `width` big-endian bytes, zero-padded on the left: the fixed-width form for the
    /// wire and for hashing. Throws if the value is negative or needs more than `width` bytes.
    public func bigEndianBytes(width: Int) throws -> [UInt8] {
        guard !isNegative else {
            throw MathError(.negativeValue, "a negative integer has no unsigned byte encoding: encode the sign separately or reduce it modulo n first")
        }
        let needed = byteCount
        guard needed <= width else {
            throw MathError(.overflow, "the integer needs \(needed) bytes, more than the \(width) allowed")
        }
        var bytes = [UInt8](repeating: 0, count: width)
        if needed > 0 {
            bytes.withUnsafeMutableBufferPointer { b in
                withMPZ { z in
                    var written = 0
                    _ = __gmpz_export(b.baseAddress! + (width - needed), &written, 1, 1, 1, 0, z)
                }
            }
        }
        return bytes
    }
}

// MARK: Codable

extension BigInt: Codable {
    /// A decimal string: JSON numbers lose precision past 2^53 in most readers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// A decimal string, or a JSON integer that fits 64 bits.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            do {
                self = try BigInt(parsing: text)
            } catch let error as MathError {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "BigInt: \(error.message)")
            }
        } else if let value = try? container.decode(Int64.self) {
            self.init(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "BigInt: expected a decimal string or an integer")
        }
    }
}
