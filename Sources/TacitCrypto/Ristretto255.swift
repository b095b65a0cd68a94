internal import CSodium
import Dispatch

/// The ristretto255 prime-order group (RFC 9496) through libsodium, with what Diffie–Hellman
/// PSI needs: secret scalars, validated points, constant-time scalar multiplication and the
/// random-oracle hash to the group of RFC 9380 (Appendix B, `hash_to_ristretto255` with
/// `expand_message_xmd` over SHA-512). Batches of hashes and multiplications run on both cores
/// (``hashToGroup(_:prefix:dst:multipliedBy:output:)``, ``multiply(_:by:output:)``).
///
/// Points travel as their 32-byte canonical encodings; scalars as 32 bytes little-endian
/// (the encodings of RFC 9496 and RFC 9497).
public enum Ristretto255 {
    public static let pointBytes = 32
    public static let scalarBytes = 32
    /// What the one-way map (`crypto_core_ristretto255_from_hash`) takes.
    public static let uniformBytes = 64

    @inline(__always)
    static func ready() { Sodium.ready() }

    /// Why a point, scalar or parameter was refused. Compares on `code` only.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            let name: String
            /// Not a canonical encoding of a ristretto255 element.
            public static let invalidPoint = Code(name: "invalidPoint")
            /// The identity element, where a non-identity element is required.
            public static let identity = Code(name: "identity")
            /// Not the canonical encoding of a non-zero scalar.
            public static let invalidScalar = Code(name: "invalidScalar")
            /// A parameter out of range (a domain separation tag, a length).
            public static let invalidParameter = Code(name: "invalidParameter")
            public var description: String { name }
        }

        public let code: Code
        public let message: String
        /// For a batch: the position of the first element refused.
        public let index: Int?

        public init(_ code: Code, _ message: String, index: Int? = nil) {
            self.code = code
            self.message = message
            self.index = index
        }

        public var description: String { message }
        public static func == (a: Failure, b: Failure) -> Bool { a.code == b.code }
        public func hash(into h: inout Hasher) { h.combine(code) }
    }
}

// MARK: Scalars

extension Ristretto255 {
    /// A non-zero scalar modulo the group order ℓ = 2^252 + 27742317777372353535851937790883648493.
    /// Secret when it is a key or a blinding factor: it never appears in a description, and its
    /// storage is wiped when the last copy goes.
    public struct Scalar: Sendable {
        let storage: ScalarStorage

        private init(storage: ScalarStorage) { self.storage = storage }

        /// A uniformly random non-zero scalar from libsodium's CSPRNG (`randombytes`, seeded by
        /// the operating system): `crypto_core_ristretto255_scalar_random` draws until the value
        /// is canonical and non-zero.
        public static func random() -> Scalar {
            ready()
            let s = ScalarStorage()
            repeat {
                crypto_core_ristretto255_scalar_random(s.pointer)
            } while sodium_is_zero(s.pointer, scalarBytes) == 1
            return Scalar(storage: s)
        }

        /// The scalar whose canonical little-endian encoding is `bytes` (32 bytes, below ℓ,
        /// not zero), as a stored key or a test vector gives it. Anything else is refused.
        public init(canonical bytes: some Collection<UInt8>) throws(Failure) {
            ready()
            guard bytes.count == scalarBytes else {
                throw Failure(.invalidScalar, "a ristretto255 scalar is \(scalarBytes) bytes, not \(bytes.count)")
            }
            let s = ScalarStorage()
            var wide = [UInt8](repeating: 0, count: 64)
            defer { sodium_memzero(&wide, 64) }
            for (i, b) in bytes.enumerated() {
                s.pointer[i] = b
                wide[i] = b
            }
            // Reducing the 512-bit value changes it exactly when it is ℓ or more.
            var reduced = [UInt8](repeating: 0, count: scalarBytes)
            defer { sodium_memzero(&reduced, scalarBytes) }
            crypto_core_ristretto255_scalar_reduce(&reduced, wide)
            guard sodium_memcmp(reduced, s.pointer, scalarBytes) == 0 else {
                throw Failure(.invalidScalar, "not a canonical ristretto255 scalar (it is not below the group order)")
            }
            guard sodium_is_zero(s.pointer, scalarBytes) == 0 else {
                throw Failure(.invalidScalar, "the zero scalar is not allowed")
            }
            storage = s
        }

        /// s⁻¹ mod ℓ (exists: s is not zero).
        public func inverted() -> Scalar {
            let r = ScalarStorage()
            guard crypto_core_ristretto255_scalar_invert(r.pointer, storage.pointer) == 0 else {
                fatalError("Ristretto255: a non-zero scalar had no inverse")
            }
            return Scalar(storage: r)
        }

        /// The 32-byte encoding. Secret for a key: whoever writes it down owns keeping it.
        public func serialized() -> [UInt8] { Array(UnsafeBufferPointer(start: storage.pointer, count: scalarBytes)) }
    }

    /// A scalar's 32 bytes, wiped on release. Written only while its ``Scalar`` is built, read
    /// only after: that is why sharing it across threads is safe (`@unchecked`: the pointer
    /// itself is not `Sendable`).
    final class ScalarStorage: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<UInt8>
        init() {
            pointer = .allocate(capacity: Ristretto255.scalarBytes)
            pointer.initialize(repeating: 0, count: Ristretto255.scalarBytes)
        }
        deinit {
            sodium_memzero(pointer, Ristretto255.scalarBytes)
            pointer.deallocate()
        }
    }
}

extension Ristretto255.Scalar: CustomStringConvertible {
    public var description: String { "Ristretto255.Scalar(secret)" }
}

// MARK: Points

extension Ristretto255 {
    /// A ristretto255 element other than the identity, held as its canonical encoding.
    public struct Point: Hashable, Sendable, CustomStringConvertible {
        public let encoded: [UInt8]

        init(unchecked encoded: [UInt8]) { self.encoded = encoded }

        /// The element `bytes` encodes, refusing what a peer must not be able to make this
        /// party compute with: a wrong length, a non-canonical or invalid encoding, the identity.
        ///
        /// `crypto_core_ristretto255_is_valid_point` runs the decoding of RFC 9496 §4.3.1: it
        /// refuses a field element that is not reduced (s ≥ p) or is negative (odd), one whose
        /// square root does not exist, a negative t, and y = 0. Whatever passes is an element of
        /// the prime-order group (ristretto255 has no small-order elements to check for). It
        /// does accept the identity, the all-zero encoding, which is a valid element: hence
        /// the explicit check, since a Diffie–Hellman step on the identity gives the identity
        /// whatever the secret.
        ///
        /// libsodium 1.0.18 (the version this builds against) ignores the top bit of the last
        /// byte when it checks that s is reduced, so it accepts a second, non-canonical
        /// encoding of half the elements (fixed upstream in 2020, libsodium commit 8b6f5ef5):
        /// ``hasTopBitClear(_:)`` refuses those first.
        public init(validating bytes: some Collection<UInt8>) throws(Failure) {
            ready()
            guard bytes.count == pointBytes else {
                throw Failure(.invalidPoint, "a ristretto255 point is \(pointBytes) bytes, not \(bytes.count)")
            }
            let b = Array(bytes)
            guard Ristretto255.hasTopBitClear(b[31]), crypto_core_ristretto255_is_valid_point(b) == 1 else {
                throw Failure(.invalidPoint, "not the canonical encoding of a ristretto255 element")
            }
            guard sodium_is_zero(b, pointBytes) == 0 else {
                throw Failure(.identity, "the ristretto255 identity is not allowed here")
            }
            encoded = b
        }

        /// The canonical generator (RFC 9496 §4.4).
        public static var generator: Point {
            ready()
            var one = [UInt8](repeating: 0, count: scalarBytes)
            one[0] = 1
            var out = [UInt8](repeating: 0, count: pointBytes)
            guard crypto_scalarmult_ristretto255_base(&out, one) == 0 else { fatalError("Ristretto255: 1·B failed") }
            return Point(unchecked: out)
        }

        /// The one-way map of RFC 9496 §4.3.4 (`crypto_core_ristretto255_from_hash`) on 64
        /// uniformly random bytes. Fails only if the result is the identity, which uniform input
        /// hits with probability about 2^-252.
        public init(fromUniformBytes bytes: some Collection<UInt8>) throws(Failure) {
            ready()
            guard bytes.count == uniformBytes else {
                throw Failure(.invalidParameter, "the ristretto255 one-way map takes \(uniformBytes) bytes, not \(bytes.count)")
            }
            var out = [UInt8](repeating: 0, count: pointBytes)
            guard crypto_core_ristretto255_from_hash(&out, Array(bytes)) == 0 else {
                throw Failure(.invalidParameter, "the one-way map failed")
            }
            guard sodium_is_zero(out, pointBytes) == 0 else {
                throw Failure(.identity, "the one-way map gave the identity")
            }
            encoded = out
        }

        /// `hash_to_ristretto255(message)` of RFC 9380 Appendix B with `expand_message_xmd`
        /// over SHA-512 and domain separation tag `dst`.
        public static func hashToGroup(_ message: some Collection<UInt8>, dst: some Collection<UInt8>) throws(Failure) -> Point {
            let uniform = try Ristretto255.expandMessageXMD(message, dst: dst, length: uniformBytes)
            return try Point(fromUniformBytes: uniform)
        }

        /// scalar · self, in constant time with respect to the scalar
        /// (`crypto_scalarmult_ristretto255`).
        public func multiplied(by scalar: Scalar) throws(Failure) -> Point {
            var out = [UInt8](repeating: 0, count: pointBytes)
            let rc = crypto_scalarmult_ristretto255(&out, scalar.storage.pointer, encoded)
            // A non-zero scalar times a non-identity element of a prime-order group is never
            // the identity, so libsodium refusing means the encoding was bad.
            guard rc == 0 else { throw Failure(.invalidPoint, "scalar multiplication refused the point") }
            return Point(unchecked: out)
        }

        public var description: String {
            "Ristretto255.Point(" + encoded.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + ")"
        }
    }
}

extension Ristretto255 {
    /// Whether the last byte of an encoding leaves bit 255 clear, as every canonical encoding
    /// does (s < p < 2^255); see ``Point/init(validating:)`` for why libsodium 1.0.18 needs
    /// this said separately.
    @inline(__always)
    static func hasTopBitClear(_ lastByte: UInt8) -> Bool { lastByte & 0x80 == 0 }
}

// MARK: expand_message_xmd (RFC 9380 §5.3.1) over SHA-512

extension Ristretto255 {
    /// `expand_message_xmd(msg, DST, len_in_bytes)` of RFC 9380 §5.3.1 with SHA-512.
    /// `dst` must be 1...255 bytes (longer tags would need the H2C-OVERSIZE-DST- step, which
    /// nothing here uses); `length` 1...255·64.
    public static func expandMessageXMD(
        _ message: some Collection<UInt8>, dst: some Collection<UInt8>, length: Int
    ) throws(Failure) -> [UInt8] {
        let x = try XMD(dst: Array(dst), length: length)
        var out = [UInt8](repeating: 0, count: length)
        let msg = Array(message)
        out.withUnsafeMutableBufferPointer { o in
            msg.withUnsafeBufferPointer { m in x.expand(prefix: UnsafeBufferPointer(start: nil, count: 0), m, into: o.baseAddress!) }
        }
        return out
    }

    /// The fixed parts of expand_message_xmd for one tag and output length, with SHA-512's
    /// state after the 128-byte zero block Z_pad (exactly one SHA-512 block) absorbed once, so
    /// that each message costs the hashing of its own bytes and one more block.
    struct XMD: @unchecked Sendable {
        // @unchecked: `crypto_hash_sha512_state` is a plain C struct of integers and bytes,
        // copied by value into each expansion; nothing in it is shared or mutated.
        let dstPrime: [UInt8]
        let length: Int
        let blocks: Int
        let afterZPad: crypto_hash_sha512_state

        init(dst: [UInt8], length: Int) throws(Failure) {
            ready()
            guard (1...255).contains(dst.count) else {
                throw Failure(.invalidParameter, "a domain separation tag is 1...255 bytes, not \(dst.count)")
            }
            let blocks = (length + 63) / 64
            guard length >= 1, blocks <= 255 else {
                throw Failure(.invalidParameter, "expand_message_xmd gives 1...\(255 * 64) bytes, not \(length)")
            }
            dstPrime = dst + [UInt8(dst.count)]
            self.length = length
            self.blocks = blocks
            var st = crypto_hash_sha512_state()
            crypto_hash_sha512_init(&st)
            let zPad = [UInt8](repeating: 0, count: 128)
            crypto_hash_sha512_update(&st, zPad, 128)
            afterZPad = st
        }

        /// Writes `length` bytes of expand_message_xmd(prefix ‖ message) to `out`.
        func expand(prefix: UnsafeBufferPointer<UInt8>, _ message: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
            var st = afterZPad
            if prefix.count > 0 { crypto_hash_sha512_update(&st, prefix.baseAddress, UInt64(prefix.count)) }
            if message.count > 0 { crypto_hash_sha512_update(&st, message.baseAddress, UInt64(message.count)) }
            var lib: (UInt8, UInt8, UInt8) = (UInt8(length >> 8), UInt8(length & 0xFF), 0)
            _ = withUnsafeBytes(of: &lib) { crypto_hash_sha512_update(&st, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), 3) }
            crypto_hash_sha512_update(&st, dstPrime, UInt64(dstPrime.count))
            var b0 = [UInt8](repeating: 0, count: 64), bi = [UInt8](repeating: 0, count: 64)
            crypto_hash_sha512_final(&st, &b0)
            var prev = [UInt8](repeating: 0, count: 64)
            for i in 1...blocks {
                var h = crypto_hash_sha512_state()
                crypto_hash_sha512_init(&h)
                // b_1 = H(b_0 ‖ 1 ‖ DST'); b_i = H((b_0 ⊕ b_{i−1}) ‖ i ‖ DST').
                for k in 0..<64 { prev[k] = i == 1 ? b0[k] : b0[k] ^ bi[k] }
                crypto_hash_sha512_update(&h, prev, 64)
                var counter = UInt8(i)
                crypto_hash_sha512_update(&h, &counter, 1)
                crypto_hash_sha512_update(&h, dstPrime, UInt64(dstPrime.count))
                crypto_hash_sha512_final(&h, &bi)
                let start = (i - 1) * 64, n = min(64, length - start)
                for k in 0..<n { out[start + k] = bi[k] }
            }
        }
    }
}

// MARK: SHA-512

extension Ristretto255 {
    /// SHA-512 of the concatenation of `parts` (libsodium's): the hash of RFC 9380's
    /// expand_message_xmd and RFC 9497's Finalize for this group.
    public static func sha512(_ parts: [UInt8]...) -> [UInt8] {
        ready()
        var st = crypto_hash_sha512_state()
        crypto_hash_sha512_init(&st)
        for p in parts { crypto_hash_sha512_update(&st, p, UInt64(p.count)) }
        var out = [UInt8](repeating: 0, count: 64)
        crypto_hash_sha512_final(&st, &out)
        return out
    }
}
