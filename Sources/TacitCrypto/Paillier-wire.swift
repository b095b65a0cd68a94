public import TacitMath

/// The compact binary wire form (all integers big-endian, unsigned, fixed width where the
/// key fixes it). Every message starts with a 5-byte header:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | magic `0x54 0x50` ("TP") |
/// | 2 | 1 | kind: 1 public key, 2 ciphertext, 3 decryption share, 4 ciphertext list |
/// | 3 | 1 | version, 1 |
/// | 4 | 1 | flags (public key: bit 0 = hs present; others 0) |
///
/// then, with k = the byte length of n:
/// - public key: `u16 k`, n (k bytes), hs (2k bytes, when flagged);
/// - ciphertext: `u16 k`, c (2k bytes);
/// - ciphertext list: `u16 k`, `u32 count`, count × c (2k bytes each);
/// - decryption share: `u16 party`, `u16 k`, c_i (2k bytes), e (32 bytes), `u16 z length`, z.
///
/// Details and an example are in `Docs/PAILLIER.md`.
extension Paillier {
    public enum Wire {
        static let magic: [UInt8] = [0x54, 0x50]
        static let version: UInt8 = 1

        enum Kind: UInt8 {
            case publicKey = 1, ciphertext = 2, decryptionShare = 3, ciphertextList = 4

            var name: String {
                switch self {
                case .publicKey: return "public key"
                case .ciphertext: return "ciphertext"
                case .decryptionShare: return "decryption share"
                case .ciphertextList: return "ciphertext list"
                }
            }
        }

        public static func encode(_ key: PublicKey) -> [UInt8] {
            let k = key.n.byteCount
            var out = header(.publicKey, flags: key.hs == nil ? 0 : 1)
            append16(&out, k)
            out += try! key.n.bigEndianBytes(width: k)
            if let hs = key.hs { out += try! hs.bigEndianBytes(width: 2 * k) }
            return out
        }

        public static func decodePublicKey(_ bytes: [UInt8], policy: KeySizePolicy = .standard) throws -> PublicKey {
            var reader = Reader(bytes: bytes)
            let flags = try reader.header(.publicKey)
            guard flags & ~1 == 0 else { throw reader.fail("unknown flags 0x\(String(flags, radix: 16))") }
            let k = try reader.u16("the modulus length")
            guard k > 0 else { throw reader.fail("a zero modulus length") }
            let n = BigInt(bigEndianBytes: try reader.take(k, "n"))
            let hs = flags & 1 == 1 ? BigInt(bigEndianBytes: try reader.take(2 * k, "hs")) : nil
            try reader.end()
            guard n.byteCount == k else { throw reader.fail("n has leading zero bytes (non-canonical)") }
            return try PublicKey(n: n, hs: hs, policy: policy)
        }

        public static func encode(_ c: Ciphertext, publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.ciphertext)
            append16(&out, k)
            out += try! c.value.bigEndianBytes(width: 2 * k)
            return out
        }

        /// Reads and validates a ciphertext (range and gcd) under `publicKey`.
        public static func decodeCiphertext(_ bytes: [UInt8], publicKey: PublicKey) throws -> Ciphertext {
            var reader = Reader(bytes: bytes)
            _ = try reader.header(.ciphertext, flagsMustBeZero: true)
            let k = try reader.keyWidth(publicKey)
            let c = try publicKey.ciphertext(BigInt(bigEndianBytes: reader.take(2 * k, "the ciphertext")))
            try reader.end()
            return c
        }

        public static func encode(_ list: [Ciphertext], publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.ciphertextList)
            append16(&out, k)
            append32(&out, list.count)
            out.reserveCapacity(out.count + list.count * 2 * k)
            for c in list { out += try! c.value.bigEndianBytes(width: 2 * k) }
            return out
        }

        public static func decodeCiphertexts(_ bytes: [UInt8], publicKey: PublicKey) throws -> [Ciphertext] {
            var reader = Reader(bytes: bytes)
            _ = try reader.header(.ciphertextList, flagsMustBeZero: true)
            let k = try reader.keyWidth(publicKey)
            let count = try reader.u32("the count")
            guard count <= (bytes.count - reader.offset) / (2 * k) else {
                throw reader.fail("the count says \(count) ciphertexts but only \((bytes.count - reader.offset) / (2 * k)) fit")
            }
            var list: [Ciphertext] = []
            list.reserveCapacity(count)
            for i in 0..<count {
                let value = BigInt(bigEndianBytes: try reader.take(2 * k, "ciphertext \(i)"))
                do {
                    list.append(try publicKey.ciphertext(value))
                } catch let error as PaillierError {
                    throw PaillierError(error.code, "ciphertext \(i): \(error.message)")
                }
            }
            try reader.end()
            return list
        }

        public static func encode(_ share: DecryptionShare, publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.decryptionShare)
            append16(&out, share.index)
            append16(&out, k)
            out += try! share.value.bigEndianBytes(width: 2 * k)
            out += try! share.challenge.bigEndianBytes(width: 32)
            let z = share.response.bigEndianBytes
            append16(&out, z.count)
            out += z
            return out
        }

        /// Reads a decryption share; its proof is checked by
        /// ``Paillier/ThresholdPublicKey/verify(_:for:)`` (or `combine`), which name the party.
        public static func decodeDecryptionShare(_ bytes: [UInt8], publicKey: PublicKey) throws -> DecryptionShare {
            var reader = Reader(bytes: bytes)
            _ = try reader.header(.decryptionShare, flagsMustBeZero: true)
            let party = try reader.u16("the party index")
            let k = try reader.keyWidth(publicKey)
            let value = BigInt(bigEndianBytes: try reader.take(2 * k, "the share value"))
            let e = BigInt(bigEndianBytes: try reader.take(32, "the challenge"))
            let zLength = try reader.u16("the response length")
            let z = BigInt(bigEndianBytes: try reader.take(zLength, "the response"))
            try reader.end()
            return DecryptionShare(index: party, value: value, challenge: e, response: z)
        }

        // MARK: Helpers

        static func header(_ kind: Kind, flags: UInt8 = 0) -> [UInt8] {
            magic + [kind.rawValue, version, flags]
        }

        static func append16(_ out: inout [UInt8], _ v: Int) {
            precondition(v >= 0 && v <= 0xffff, "Paillier.Wire: a field exceeds 16 bits")
            out += [UInt8(v >> 8), UInt8(v & 0xff)]
        }

        static func append32(_ out: inout [UInt8], _ v: Int) {
            precondition(v >= 0 && v <= 0xffff_ffff, "Paillier.Wire: a count exceeds 32 bits")
            out += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        }

        struct Reader {
            let bytes: [UInt8]
            var offset = 0
            var what = "message"

            func fail(_ why: String) -> PaillierError {
                PaillierError(.malformedEncoding, "malformed \(what) at byte \(offset): \(why)")
            }

            mutating func header(_ kind: Kind, flagsMustBeZero: Bool = false) throws -> UInt8 {
                what = kind.name
                guard bytes.count >= 5 else { throw fail("\(bytes.count) bytes is shorter than the 5-byte header") }
                guard Array(bytes[0..<2]) == Wire.magic else { throw fail("bad magic: not a Tacit Paillier message") }
                offset = 2
                guard bytes[2] == kind.rawValue else {
                    let found = Kind(rawValue: bytes[2])?.name ?? "unknown kind \(bytes[2])"
                    throw fail("expected a \(kind.name), found a \(found)")
                }
                offset = 3
                guard bytes[3] == Wire.version else { throw fail("unsupported version \(bytes[3]); this build reads version \(Wire.version)") }
                offset = 4
                let flags = bytes[4]
                if flagsMustBeZero, flags != 0 { throw fail("unknown flags 0x\(String(flags, radix: 16))") }
                offset = 5
                return flags
            }

            mutating func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
                guard count >= 0, bytes.count - offset >= count else {
                    throw fail("truncated: \(field) needs \(count) bytes, \(bytes.count - offset) remain")
                }
                defer { offset += count }
                return bytes[offset..<offset + count]
            }

            mutating func u16(_ field: String) throws -> Int {
                let b = try take(2, field)
                return Int(b[b.startIndex]) << 8 | Int(b[b.startIndex + 1])
            }

            mutating func u32(_ field: String) throws -> Int {
                let b = try take(4, field)
                return b.reduce(0) { $0 << 8 | Int($1) }
            }

            mutating func keyWidth(_ key: PublicKey) throws -> Int {
                let k = try u16("the modulus length")
                guard k == key.n.byteCount else {
                    throw fail("made for a \(k * 8)-bit-class key, not this \(key.bits)-bit key")
                }
                return k
            }

            func end() throws {
                guard offset == bytes.count else { throw fail("\(bytes.count - offset) trailing bytes") }
            }
        }
    }
}
