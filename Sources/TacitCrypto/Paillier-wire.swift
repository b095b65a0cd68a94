import TacitMath
public import TacitBytes

/// The compact binary wire form (all integers big-endian, unsigned, fixed width where the
/// key fixes it). Every message starts with a 5-byte header:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | magic `0x54 0x50` ("TP") |
/// | 2 | 1 | kind: 1 public key, 2 ciphertext, 3 decryption share, 4 ciphertext list, 5 threshold public key |
/// | 3 | 1 | version, 1 |
/// | 4 | 1 | flags (public key: bit 0 = hs present; others 0) |
///
/// then, with k = the byte length of n:
/// - public key: `u16 k`, n (k bytes), hs (2k bytes, when flagged; a reader range-checks it,
///   then gives the key a fresh base of its own instead);
/// - ciphertext: `u16 k`, c (2k bytes);
/// - ciphertext list: `u16 k`, `u32 count`, count × c (2k bytes each);
/// - decryption share: `u16 party`, `u16 k`, c_i (2k bytes), e (32 bytes), `u16 z length`, z;
/// - threshold public key: `u16 k`, n (k bytes), `u16 threshold`, `u16 parties`, v (2k bytes),
///   parties × v_i (2k bytes each), θ (k bytes), `u16 shareBits`. No hs: a reader derives its
///   own base.
///
/// Details and an example are in `Docs/TacitCrypto.md`.
extension Paillier {
    public enum Wire {
        static let magic: [UInt8] = [0x54, 0x50]
        static let version: UInt8 = 1

        enum Kind: UInt8 {
            case publicKey = 1, ciphertext = 2, decryptionShare = 3, ciphertextList = 4, thresholdPublicKey = 5

            var name: String {
                switch self {
                case .publicKey: return "public key"
                case .ciphertext: return "ciphertext"
                case .decryptionShare: return "decryption share"
                case .ciphertextList: return "ciphertext list"
                case .thresholdPublicKey: return "threshold public key"
                }
            }
        }

        typealias Reader = ByteReader<PaillierError>

        public static func encode(_ key: PublicKey) -> [UInt8] {
            let k = key.n.byteCount
            var out = header(.publicKey, flags: key.hs == nil ? 0 : 1)
            out.u16(field16(k))
            out.raw(try! key.n.bigEndianBytes(width: k))
            if let hs = key.hs { out.raw(try! hs.bigEndianBytes(width: 2 * k)) }
            return out.bytes
        }

        public static func decodePublicKey(_ bytes: [UInt8], policy: KeySizePolicy = .standard) throws -> PublicKey {
            var reader = Reader(bytes, what: Kind.publicKey.name, errors: PaillierError.self)
            let flags = try readHeader(&reader, .publicKey)
            guard flags & ~1 == 0 else { throw reader.failure("unknown flags 0x\(String(flags, radix: 16))") }
            let k = Int(try reader.u16("the modulus length"))
            guard k > 0 else { throw reader.failure("a zero modulus length") }
            let n = BigInt(bigEndianBytes: try reader.slice(k, "n"))
            let hs = flags & 1 == 1 ? BigInt(bigEndianBytes: try reader.slice(2 * k, "hs")) : nil
            try reader.finish()
            guard n.byteCount == k else { throw reader.failure("n has leading zero bytes (non-canonical)") }
            return try PublicKey(n: n, hs: hs, policy: policy)
        }

        public static func encode(_ c: Ciphertext, publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.ciphertext)
            out.u16(field16(k))
            out.raw(try! c.value.bigEndianBytes(width: 2 * k))
            return out.bytes
        }

        /// Reads and validates a ciphertext (range and gcd) under `publicKey`.
        public static func decodeCiphertext(_ bytes: [UInt8], publicKey: PublicKey) throws -> Ciphertext {
            var reader = Reader(bytes, what: Kind.ciphertext.name, errors: PaillierError.self)
            _ = try readHeader(&reader, .ciphertext, flagsMustBeZero: true)
            let k = try keyWidth(&reader, publicKey)
            let c = try publicKey.ciphertext(BigInt(bigEndianBytes: reader.slice(2 * k, "the ciphertext")))
            try reader.finish()
            return c
        }

        public static func encode(_ list: [Ciphertext], publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.ciphertextList, capacity: 11 + list.count * 2 * k)
            out.u16(field16(k))
            precondition(list.count <= 0xffff_ffff, "Paillier.Wire: a count exceeds 32 bits")
            out.u32(UInt32(list.count))
            for c in list { out.raw(try! c.value.bigEndianBytes(width: 2 * k)) }
            return out.bytes
        }

        public static func decodeCiphertexts(_ bytes: [UInt8], publicKey: PublicKey) throws -> [Ciphertext] {
            var reader = Reader(bytes, what: Kind.ciphertextList.name, errors: PaillierError.self)
            _ = try readHeader(&reader, .ciphertextList, flagsMustBeZero: true)
            let k = try keyWidth(&reader, publicKey)
            let count = Int(try reader.u32("the count"))
            guard count <= reader.remaining / (2 * k) else {
                throw reader.failure("the count says \(count) ciphertexts but only \(reader.remaining / (2 * k)) fit")
            }
            var list: [Ciphertext] = []
            list.reserveCapacity(count)
            for i in 0..<count {
                let value = BigInt(bigEndianBytes: try reader.slice(2 * k, "ciphertext \(i)"))
                do {
                    list.append(try publicKey.ciphertext(value))
                } catch let error as PaillierError {
                    throw PaillierError(error.code, "ciphertext \(i): \(error.message)")
                }
            }
            try reader.finish()
            return list
        }

        public static func encode(_ share: DecryptionShare, publicKey: PublicKey) -> [UInt8] {
            let k = publicKey.n.byteCount
            var out = header(.decryptionShare)
            out.u16(field16(share.index))
            out.u16(field16(k))
            out.raw(try! share.value.bigEndianBytes(width: 2 * k))
            out.raw(try! share.challenge.bigEndianBytes(width: 32))
            let z = share.response.bigEndianBytes
            out.u16(field16(z.count))
            out.raw(z)
            return out.bytes
        }

        /// Reads a decryption share; its proof is checked by
        /// ``Paillier/ThresholdPublicKey/verify(_:for:)`` (or `combine`), which name the party.
        public static func decodeDecryptionShare(_ bytes: [UInt8], publicKey: PublicKey) throws -> DecryptionShare {
            var reader = Reader(bytes, what: Kind.decryptionShare.name, errors: PaillierError.self)
            _ = try readHeader(&reader, .decryptionShare, flagsMustBeZero: true)
            let party = Int(try reader.u16("the party index"))
            let k = try keyWidth(&reader, publicKey)
            let value = BigInt(bigEndianBytes: try reader.slice(2 * k, "the share value"))
            let e = BigInt(bigEndianBytes: try reader.slice(32, "the challenge"))
            let zLength = Int(try reader.u16("the response length"))
            let z = BigInt(bigEndianBytes: try reader.slice(zLength, "the response"))
            try reader.finish()
            return DecryptionShare(index: party, value: value, challenge: e, response: z)
        }

        /// The public side of a threshold key, as the ledger records it (`KeyRegistered`).
        public static func encode(_ key: ThresholdPublicKey) -> [UInt8] {
            let k = key.publicKey.n.byteCount
            var out = header(.thresholdPublicKey, capacity: 13 + 2 * k + (key.parties + 1) * 2 * k)
            out.u16(field16(k))
            out.raw(try! key.publicKey.n.bigEndianBytes(width: k))
            out.u16(field16(key.threshold))
            out.u16(field16(key.parties))
            for v in [key.verificationBase] + key.verificationKeys { out.raw(try! v.bigEndianBytes(width: 2 * k)) }
            out.raw(try! key.theta.bigEndianBytes(width: k))
            out.u16(field16(key.shareBits))
            return out.bytes
        }

        /// Reads and validates a threshold public key (sizes, t ≤ parties, every verification
        /// key in Z*_{n²}); the Paillier key gets a DJN base of this party's own.
        public static func decodeThresholdPublicKey(_ bytes: [UInt8], policy: KeySizePolicy = .standard) throws -> ThresholdPublicKey {
            var reader = Reader(bytes, what: Kind.thresholdPublicKey.name, errors: PaillierError.self)
            _ = try readHeader(&reader, .thresholdPublicKey, flagsMustBeZero: true)
            let k = Int(try reader.u16("the modulus length"))
            guard k > 0 else { throw reader.failure("a zero modulus length") }
            let n = BigInt(bigEndianBytes: try reader.slice(k, "n"))
            guard n.byteCount == k else { throw reader.failure("n has leading zero bytes (non-canonical)") }
            let threshold = Int(try reader.u16("the threshold"))
            let parties = Int(try reader.u16("the number of parties"))
            guard parties + 1 <= (reader.remaining - k - 2) / (2 * k) else {
                throw reader.failure("\(parties) verification keys do not fit in the \(reader.remaining) bytes left")
            }
            let base = BigInt(bigEndianBytes: try reader.slice(2 * k, "the verification base"))
            var keys: [BigInt] = []
            for i in 0..<parties { keys.append(BigInt(bigEndianBytes: try reader.slice(2 * k, "verification key \(i + 1)"))) }
            let theta = BigInt(bigEndianBytes: try reader.slice(k, "θ"))
            let shareBits = Int(try reader.u16("the share bound"))
            try reader.finish()
            return try ThresholdPublicKey(
                publicKey: try PublicKey(n: n, hs: nil, policy: policy), threshold: threshold, parties: parties, verificationBase: base,
                verificationKeys: keys, theta: theta, shareBits: shareBits)
        }

        // MARK: Helpers

        static func header(_ kind: Kind, flags: UInt8 = 0, capacity: Int = 256) -> ByteWriter {
            var out = ByteWriter(capacity: capacity)
            out.raw(magic)
            out.u8(kind.rawValue)
            out.u8(version)
            out.u8(flags)
            return out
        }

        static func field16(_ v: Int) -> UInt16 {
            precondition(v >= 0 && v <= 0xffff, "Paillier.Wire: a field exceeds 16 bits")
            return UInt16(v)
        }

        /// Checks the 5-byte header for `kind`; returns the flags.
        static func readHeader(_ reader: inout Reader, _ kind: Kind, flagsMustBeZero: Bool = false) throws -> UInt8 {
            guard reader.remaining >= 5 else {
                throw reader.failure("\(reader.remaining) bytes is shorter than the 5-byte header")
            }
            guard try reader.raw(2, "the magic") == magic else { throw reader.failure("bad magic: not a Tacit Paillier message") }
            let found = try reader.u8("the kind")
            guard found == kind.rawValue else {
                throw reader.failure("expected a \(kind.name), found a \(Kind(rawValue: found)?.name ?? "unknown kind \(found)")")
            }
            let v = try reader.u8("the version")
            guard v == version else { throw reader.failure("unsupported version \(v); this build reads version \(version)") }
            let flags = try reader.u8("the flags")
            if flagsMustBeZero, flags != 0 { throw reader.failure("unknown flags 0x\(String(flags, radix: 16))") }
            return flags
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

extension PaillierError: ByteDecodingError {
    /// A byte encoding that did not parse: ``Code/malformedEncoding``.
    public init(_ failure: ByteReadFailure) {
        self.init(.malformedEncoding, "malformed \(failure)")
    }
}
