import TacitMath

/// JSON compatible with python-paillier (`phe` 1.5), both directions.
///
/// - The common application form from phe's documentation ("Serialisation"):
///   `{"public_key": {"g": <int>, "n": <int>}, "values": [["<ciphertext>", <exponent>], ...]}`
///   with n and g as JSON integers and each ciphertext as a decimal string.
/// - phe's JWK keys as written by `pheutil genpkey`: public
///   `{"kty": "DAJ", "alg": "PAI-GN1", "key_ops": ["encrypt"], "n": <base64url>, "kid": ...}`,
///   private `{"kty": "DAJ", "key_ops": ["decrypt"], "p": <base64url>, "q": <base64url>,
///   "pub": <public JWK>, "kid": ...}`.
/// - pheutil's single encrypted number `{"v": "<ciphertext>", "e": <exponent>}`.
///
/// Tacit adds `"hs"` (a decimal string) to a public key it writes; phe ignores it, and so does
/// Tacit when reading (beyond a range check): a key read with hs gets a fresh base of its own
/// (see ``Paillier/PublicKey/init(n:hs:policy:)``). A key read without hs has no
/// fast-encryption base: encryption falls back to textbook until
/// ``Paillier/PublicKey/withFastEncryptionBase()`` makes one.
extension Paillier {
    public enum PHE {
        /// phe's EncodedNumber base: a value is `mantissa · 16^exponent`.
        public static let base = 16

        /// A ciphertext with phe's exponent.
        public struct EncryptedNumber: Sendable, Hashable {
            public let ciphertext: Ciphertext
            public let exponent: Int

            public init(ciphertext: Ciphertext, exponent: Int = 0) {
                self.ciphertext = ciphertext
                self.exponent = exponent
            }

            /// The ciphertext of the integer value, exponent 0. A positive exponent is
            /// converted exactly (multiplication by 16^exponent, which may overflow like any
            /// product); a negative one means phe encoded a non-integer (a float), which Tacit's
            /// integer and decimal encodings cannot hold exactly, so it throws.
            public func integerCiphertext(publicKey: PublicKey) throws -> Ciphertext {
                if exponent == 0 { return ciphertext }
                guard exponent > 0 else {
                    throw PaillierError(.unsupportedExponent, "a python-paillier value with exponent \(exponent) encodes a non-integer (mantissa · 16^\(exponent)); Tacit reads integers exactly: encrypt integers (or fixed-point integers) in python-paillier, or decrypt the mantissa and scale it yourself")
                }
                guard exponent <= publicKey.bits / 4 else {
                    throw PaillierError(.unsupportedExponent, "a python-paillier value with exponent \(exponent) cannot fit the plaintext range")
                }
                return try publicKey.multiply(ciphertext, by: BigInt(base).power(exponent))
            }
        }

        // MARK: Application form

        /// `{"public_key": {"g": …, "n": …}, "values": [["c", 0], …]}`.
        public static func encodeMessage(publicKey: PublicKey, ciphertexts: [Ciphertext], includeFastBase: Bool = true) -> String {
            let values = JSONValue.array(ciphertexts.map { .array([.string($0.value.description), .number("0")]) })
            return JSONValue.object([("public_key", publicKeyObject(publicKey, includeFastBase: includeFastBase)),
                                     ("values", values)]).serialized()
        }

        /// Reads the application form; every ciphertext is validated against the key.
        public static func decodeMessage(_ json: String, policy: KeySizePolicy = .standard) throws -> (PublicKey, [EncryptedNumber]) {
            let root = try JSONValue.parse(json)
            guard let keyObject = root["public_key"] else {
                throw PaillierError(.malformedEncoding, "the JSON has no \"public_key\" member")
            }
            let key = try decodePublicKeyObject(keyObject, policy: policy)
            guard case .array(let items)? = root["values"] else {
                throw PaillierError(.malformedEncoding, "the JSON has no \"values\" array")
            }
            var numbers: [EncryptedNumber] = []
            for (i, item) in items.enumerated() {
                guard case .array(let pair) = item, pair.count == 2 else {
                    throw PaillierError(.malformedEncoding, "values[\(i)] is not a [ciphertext, exponent] pair")
                }
                numbers.append(try encryptedNumber(value: pair[0], exponent: pair[1], key: key, at: "values[\(i)]"))
            }
            return (key, numbers)
        }

        /// `{"g": <int>, "n": <int>}` (plus `"hs"` when present and asked for).
        public static func encodePublicKey(_ key: PublicKey, includeFastBase: Bool = true) -> String {
            publicKeyObject(key, includeFastBase: includeFastBase).serialized()
        }

        /// Reads `{"g", "n"}` (integers or decimal strings), or a JWK public key.
        public static func decodePublicKey(_ json: String, policy: KeySizePolicy = .standard) throws -> PublicKey {
            try decodePublicKeyObject(JSONValue.parse(json), policy: policy)
        }

        // MARK: pheutil forms

        /// `{"v": "<ciphertext>", "e": <exponent>}`.
        public static func encodeEncryptedNumber(_ c: Ciphertext, exponent: Int = 0) -> String {
            JSONValue.object([("v", .string(c.value.description)), ("e", .number(String(exponent)))]).serialized()
        }

        public static func decodeEncryptedNumber(_ json: String, publicKey: PublicKey) throws -> EncryptedNumber {
            let root = try JSONValue.parse(json)
            guard let v = root["v"], let e = root["e"] else {
                throw PaillierError(.malformedEncoding, "an encrypted number needs \"v\" and \"e\" members")
            }
            return try encryptedNumber(value: v, exponent: e, key: publicKey, at: "the encrypted number")
        }

        /// phe's JWK public key.
        public static func encodeJWKPublicKey(_ key: PublicKey, kid: String = "Paillier public key from Tacit") -> String {
            jwkPublicObject(key, kid: kid).serialized()
        }

        /// phe's JWK private key (contains p and q: protect it).
        public static func encodeJWKPrivateKey(_ key: PrivateKey, kid: String = "Paillier private key from Tacit") -> String {
            JSONValue.object([
                ("kty", .string("DAJ")),
                ("key_ops", .array([.string("decrypt")])),
                ("p", .string(base64URL(key.p))),
                ("q", .string(base64URL(key.q))),
                ("pub", jwkPublicObject(key.publicKey, kid: kid)),
                ("kid", .string(kid)),
            ]).serialized()
        }

        public static func decodeJWKPrivateKey(_ json: String, policy: KeySizePolicy = .standard) throws -> PrivateKey {
            let root = try JSONValue.parse(json)
            guard case .string("DAJ")? = root["kty"] else {
                throw PaillierError(.malformedEncoding, "not a python-paillier private key: \"kty\" must be \"DAJ\"")
            }
            guard case .string(let p)? = root["p"], case .string(let q)? = root["q"] else {
                throw PaillierError(.malformedEncoding, "a python-paillier private key needs \"p\" and \"q\" as base64url strings")
            }
            var publicKey: PublicKey?
            if let pub = root["pub"] { publicKey = try decodePublicKeyObject(pub, policy: policy) }
            return try PrivateKey(p: fromBase64URL(p, field: "p"), q: fromBase64URL(q, field: "q"),
                                  publicKey: publicKey, policy: policy)
        }

        // MARK: Pieces

        static func publicKeyObject(_ key: PublicKey, includeFastBase: Bool) -> JSONValue {
            var members: [(String, JSONValue)] = [("g", .number(key.g.description)), ("n", .number(key.n.description))]
            if includeFastBase, let hs = key.hs { members.append(("hs", .string(hs.description))) }
            return .object(members)
        }

        static func jwkPublicObject(_ key: PublicKey, kid: String) -> JSONValue {
            .object([
                ("kty", .string("DAJ")),
                ("alg", .string("PAI-GN1")),
                ("key_ops", .array([.string("encrypt")])),
                ("n", .string(base64URL(key.n))),
                ("kid", .string(kid)),
            ])
        }

        static func decodePublicKeyObject(_ object: JSONValue, policy: KeySizePolicy) throws -> PublicKey {
            guard case .object = object else {
                throw PaillierError(.malformedEncoding, "a public key must be a JSON object")
            }
            let n: BigInt
            if case .string("DAJ")? = object["kty"] {
                guard case .string(let text)? = object["n"] else {
                    throw PaillierError(.malformedEncoding, "a JWK public key needs \"n\" as a base64url string")
                }
                if case .string(let alg)? = object["alg"], alg != "PAI-GN1" {
                    throw PaillierError(.malformedEncoding, "unsupported JWK \"alg\" \(JSONValue.quote(String(alg.prefix(32)))): only PAI-GN1 (g = n + 1) is supported")
                }
                n = try fromBase64URL(text, field: "n")
            } else {
                guard let value = object["n"] else {
                    throw PaillierError(.malformedEncoding, "a public key needs an \"n\" member")
                }
                n = try integer(value, field: "n")
                if let g = object["g"] {
                    guard try integer(g, field: "g") == n + 1 else {
                        throw PaillierError(.invalidKey, "the public key's g is not n + 1; only g = n + 1 is supported (as in python-paillier)")
                    }
                }
            }
            var hs: BigInt?
            if let value = object["hs"] { hs = try integer(value, field: "hs") }
            return try PublicKey(n: n, hs: hs, policy: policy)
        }

        static func encryptedNumber(value: JSONValue, exponent: JSONValue, key: PublicKey, at place: String) throws -> EncryptedNumber {
            let c = try integer(value, field: "\(place) ciphertext")
            guard case .number(let text) = exponent, let e = Int(text) else {
                throw PaillierError(.malformedEncoding, "\(place): the exponent must be a JSON integer")
            }
            return EncryptedNumber(ciphertext: try key.ciphertext(c), exponent: e)
        }

        /// A JSON integer or a decimal string.
        static func integer(_ value: JSONValue, field: String) throws -> BigInt {
            let text: String
            switch value {
            case .number(let t): text = t
            case .string(let t): text = t
            default: throw PaillierError(.malformedEncoding, "\"\(field)\" must be an integer or a decimal string")
            }
            do {
                return try BigInt(parsing: text)
            } catch let error as MathError {
                throw PaillierError(.malformedEncoding, "\"\(field)\" is not an integer: \(error.message)")
            }
        }

        static func base64URL(_ value: BigInt) -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
            let bytes = value.bigEndianBytes
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
                let b = chunk + [UInt8](repeating: 0, count: 3 - chunk.count)
                let word = UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
                for j in 0..<(chunk.count + 1) { out.append(alphabet[Int((word >> (18 - 6 * UInt32(j))) & 63)]) }
                i += 3
            }
            return String(decoding: out, as: UTF8.self)  // unpadded, as phe writes it
        }

        static func fromBase64URL(_ text: String, field: String) throws -> BigInt {
            var bits: UInt32 = 0, count = 0
            var bytes: [UInt8] = []
            for (i, c) in text.utf8.enumerated() {
                let v: UInt32
                switch c {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "-"), UInt8(ascii: "+"): v = 62
                case UInt8(ascii: "_"), UInt8(ascii: "/"): v = 63
                case UInt8(ascii: "="): continue
                default:
                    throw PaillierError(.malformedEncoding, "\"\(field)\" is not base64url: bad character at offset \(i)")
                }
                bits = bits << 6 | v
                count += 6
                if count >= 8 {
                    count -= 8
                    bytes.append(UInt8((bits >> UInt32(count)) & 0xff))
                }
            }
            guard !bytes.isEmpty else {
                throw PaillierError(.malformedEncoding, "\"\(field)\" is empty")
            }
            return BigInt(bigEndianBytes: bytes)
        }
    }
}
