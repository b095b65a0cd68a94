import TacitMath
public import TacitBytes

/// The DGK byte form (all integers big-endian, unsigned, fixed width where the key fixes it).
/// Every message starts with a 5-byte header:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | magic `0x54 0x44` ("TD") |
/// | 2 | 1 | kind: 1 public key, 2 ciphertext, 3 ciphertext list |
/// | 3 | 1 | version, 1 |
/// | 4 | 1 | flags, 0 |
///
/// then, with k = the byte length of n:
/// - public key: `u16 k`, n (k bytes), `u16 u`, `u16 t`, g (k bytes), h (k bytes);
/// - ciphertext: `u16 k`, c (k bytes);
/// - ciphertext list: `u16 k`, `u32 count`, count × c (k bytes each).
///
/// A reader checks every field: the header, k against the key (or n's own length, with no
/// leading zero byte), n odd, composite and of a size the policy allows, u a prime in
/// 3...``DGK/maximumPlaintextModulus``, t allowed by the policy, g and h in `2..<n` and coprime
/// to n, every ciphertext in `1..<n`, the count against the bytes present, and no trailing
/// bytes.
extension DGK {
    public enum Wire {
        static let magic: [UInt8] = [0x54, 0x44]
        static let version: UInt8 = 1

        enum Kind: UInt8 {
            case publicKey = 1, ciphertext = 2, ciphertextList = 3

            var name: String {
                switch self {
                case .publicKey: return "DGK public key"
                case .ciphertext: return "DGK ciphertext"
                case .ciphertextList: return "DGK ciphertext list"
                }
            }
        }

        typealias Reader = ByteReader<DGKError>

        public static func encode(_ key: PublicKey) -> [UInt8] {
            let k = key.n.byteCount
            var out = header(.publicKey, capacity: 11 + 3 * k)
            out.u16(UInt16(k))
            out.raw(try! key.n.bigEndianBytes(width: k))
            out.u16(UInt16(key.u))
            out.u16(UInt16(key.t))
            out.raw(try! key.g.bigEndianBytes(width: k))
            out.raw(try! key.h.bigEndianBytes(width: k))
            return out.bytes
        }

        /// Reads and validates a public key (see the checks above).
        public static func decodePublicKey(_ bytes: [UInt8], policy: KeySizePolicy = .standard) throws -> PublicKey {
            var reader = Reader(bytes, what: Kind.publicKey.name, errors: DGKError.self)
            try readHeader(&reader, .publicKey)
            let k = Int(try reader.u16("the modulus length"))
            guard k > 0 else { throw reader.failure("a zero modulus length") }
            let n = BigInt(bigEndianBytes: try reader.slice(k, "n"))
            guard n.byteCount == k else { throw reader.failure("n has leading zero bytes (non-canonical)") }
            let u = Int(try reader.u16("u"))
            let t = Int(try reader.u16("t"))
            let g = BigInt(bigEndianBytes: try reader.slice(k, "g"))
            let h = BigInt(bigEndianBytes: try reader.slice(k, "h"))
            try reader.finish()
            return try PublicKey(n: n, u: u, t: t, g: g, h: h, policy: policy)
        }

        public static func encode(_ c: Ciphertext, publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.ciphertext, capacity: 7 + k)
            out.u16(UInt16(k))
            out.raw(try! c.value.bigEndianBytes(width: k))
            return out.bytes
        }

        public static func decodeCiphertext(_ bytes: [UInt8], publicKey: PublicKey) throws -> Ciphertext {
            var reader = Reader(bytes, what: Kind.ciphertext.name, errors: DGKError.self)
            try readHeader(&reader, .ciphertext)
            let k = try keyWidth(&reader, publicKey)
            let c = try publicKey.ciphertext(BigInt(bigEndianBytes: try reader.slice(k, "the ciphertext")))
            try reader.finish()
            return c
        }

        public static func encode(_ list: [Ciphertext], publicKey: PublicKey) -> [UInt8] {
            var out = header(.ciphertextList, capacity: 11 + list.count * publicKey.n.byteCount)
            append(list, publicKey: publicKey, to: &out)
            return out.bytes
        }

        /// Writes a list's body (`u16 k`, `u32 count`, the ciphertexts) into `out`, for
        /// messages that carry lists inside a frame of their own.
        public static func append(_ list: [Ciphertext], publicKey: PublicKey, to out: inout ByteWriter) {
            let k = publicKey.n.byteCount
            precondition(list.count <= 0xffff_ffff, "DGK.Wire: a count exceeds 32 bits")
            out.u16(UInt16(k))
            out.u32(UInt32(list.count))
            for c in list { out.raw(try! c.value.bigEndianBytes(width: k)) }
        }

        public static func decodeCiphertexts(_ bytes: [UInt8], publicKey: PublicKey) throws -> [Ciphertext] {
            var reader = Reader(bytes, what: Kind.ciphertextList.name, errors: DGKError.self)
            try readHeader(&reader, .ciphertextList)
            let list = try readList(&reader, publicKey: publicKey)
            try reader.finish()
            return list
        }

        /// Reads a list body written by ``append(_:publicKey:to:)`` from `reader`, validating
        /// every ciphertext; `expected`, when given, is the count the caller requires.
        public static func readList(_ reader: inout ByteReader<DGKError>, publicKey: PublicKey, expected: Int? = nil) throws -> [Ciphertext] {
            let k = try keyWidth(&reader, publicKey)
            let count = Int(try reader.u32("the count"))
            if let expected, count != expected {
                throw reader.failure("the list holds \(count) ciphertexts, not the \(expected) expected")
            }
            guard count <= reader.remaining / k else {
                throw reader.failure("the count says \(count) ciphertexts but only \(reader.remaining / k) fit")
            }
            var list: [Ciphertext] = []
            list.reserveCapacity(count)
            for i in 0..<count {
                let value = BigInt(bigEndianBytes: try reader.slice(k, "ciphertext \(i)"))
                do {
                    list.append(try publicKey.ciphertext(value))
                } catch let error as DGKError {
                    throw DGKError(error.code, "ciphertext \(i): \(error.message)")
                }
            }
            return list
        }

        // MARK: Helpers

        static func header(_ kind: Kind, capacity: Int) -> ByteWriter {
            var out = ByteWriter(capacity: capacity)
            out.raw(magic)
            out.u8(kind.rawValue)
            out.u8(version)
            out.u8(0)
            return out
        }

        static func readHeader(_ reader: inout Reader, _ kind: Kind) throws {
            guard reader.remaining >= 5 else {
                throw reader.failure("\(reader.remaining) bytes is shorter than the 5-byte header")
            }
            guard try reader.raw(2, "the magic") == magic else { throw reader.failure("bad magic: not a Tacit DGK message") }
            let found = try reader.u8("the kind")
            guard found == kind.rawValue else {
                throw reader.failure("expected a \(kind.name), found \(Kind(rawValue: found)?.name ?? "unknown kind \(found)")")
            }
            let v = try reader.u8("the version")
            guard v == version else { throw reader.failure("unsupported version \(v); this build reads version \(version)") }
            let flags = try reader.u8("the flags")
            guard flags == 0 else { throw reader.failure("unknown flags 0x\(String(flags, radix: 16))") }
        }

        static func keyWidth(_ reader: inout Reader, _ key: PublicKey) throws -> Int {
            let k = Int(try reader.u16("the modulus length"))
            guard k == key.n.byteCount else {
                throw reader.failure("made for a \(k * 8)-bit-class key, not this \(key.bits)-bit key")
            }
            return k
        }
    }
}

extension DGKError: ByteDecodingError {
    /// A byte encoding that did not parse: ``Code/malformedEncoding``.
    public init(_ failure: ByteReadFailure) {
        self.init(.malformedEncoding, "malformed \(failure)")
    }
}
