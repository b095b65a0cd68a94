internal import COpenSSL
import TacitBytes

/// The NIST P-256 group through OpenSSL, with just what base oblivious transfer needs:
/// random scalars, multiplication and subtraction of points. Points travel as 33-byte
/// compressed encodings and are validated on decoding (on the curve, not the identity); a
/// malformed point from a peer is an error, never a crash.
///
/// A class (it holds an OpenSSL group); one per task, not shared across threads.
public final class P256: @unchecked Sendable {
    // @unchecked: the group and BN context are used by the owner only.
    private let group: OpaquePointer
    private let bnContext: OpaquePointer
    private let order: OpaquePointer

    public static let pointBytes = 33
    public static let scalarBytes = 32

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init() {
        guard let g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), let ctx = BN_CTX_new(),
              let o = EC_GROUP_get0_order(g)
        else { fatalError("P256: OpenSSL could not create the P-256 group") }
        group = g
        bnContext = ctx
        order = o
    }

    deinit {
        BN_CTX_free(bnContext)
        EC_GROUP_free(group)
    }

    /// A uniformly random scalar in [1, order), 32 bytes big-endian.
    public func randomScalar() -> [UInt8] {
        let bn = BN_new()!
        defer { BN_clear_free(bn) }
        repeat {
            guard BN_rand_range(bn, order) == 1 else { fatalError("P256: BN_rand_range failed") }
        } while BN_is_zero(bn) == 1
        var out = [UInt8](repeating: 0, count: 32)
        _ = BN_bn2binpad(bn, &out, 32)
        return out
    }

    /// scalar · G.
    public func multiplyGenerator(_ scalar: [UInt8]) -> [UInt8] {
        let k = BN_bin2bn(scalar, Int32(scalar.count), nil)!
        defer { BN_clear_free(k) }
        let r = EC_POINT_new(group)!
        defer { EC_POINT_free(r) }
        guard EC_POINT_mul(group, r, k, nil, nil, bnContext) == 1 else { fatalError("P256: EC_POINT_mul failed") }
        return encode(r)
    }

    /// scalar · point.
    public func multiply(_ point: [UInt8], by scalar: [UInt8]) throws -> [UInt8] {
        let p = try decode(point)
        defer { EC_POINT_free(p) }
        let k = BN_bin2bn(scalar, Int32(scalar.count), nil)!
        defer { BN_clear_free(k) }
        let r = EC_POINT_new(group)!
        defer { EC_POINT_free(r) }
        guard EC_POINT_mul(group, r, nil, p, k, bnContext) == 1 else { fatalError("P256: EC_POINT_mul failed") }
        return encode(r)
    }

    /// a + b, or a − b with `subtract`.
    public func add(_ a: [UInt8], _ b: [UInt8], subtract: Bool = false) throws -> [UInt8] {
        let pa = try decode(a)
        defer { EC_POINT_free(pa) }
        let pb = try decode(b)
        defer { EC_POINT_free(pb) }
        if subtract { guard EC_POINT_invert(group, pb, bnContext) == 1 else { fatalError("P256: invert failed") } }
        let r = EC_POINT_new(group)!
        defer { EC_POINT_free(r) }
        guard EC_POINT_add(group, r, pa, pb, bnContext) == 1 else { fatalError("P256: EC_POINT_add failed") }
        return encode(r)
    }

    private func encode(_ p: OpaquePointer) -> [UInt8] {
        if EC_POINT_is_at_infinity(group, p) == 1 { return [UInt8](repeating: 0, count: 33) }
        var out = [UInt8](repeating: 0, count: 33)
        let n = EC_POINT_point2oct(group, p, POINT_CONVERSION_COMPRESSED, &out, 33, bnContext)
        precondition(n == 33, "P256: point encoding failed")
        return out
    }

    private func decode(_ bytes: [UInt8]) throws -> OpaquePointer {
        guard bytes.count == 33 else { throw Failure(description: "a P-256 point is 33 bytes, got \(bytes.count)") }
        let p = EC_POINT_new(group)!
        guard EC_POINT_oct2point(group, p, bytes, 33, bnContext) == 1,
              EC_POINT_is_on_curve(group, p, bnContext) == 1,
              EC_POINT_is_at_infinity(group, p) == 0
        else {
            EC_POINT_free(p)
            throw Failure(description: "not a valid compressed P-256 point")
        }
        return p
    }
}

extension P256 {
    /// The 16-byte key of base OT `index` between `sender` (who sent A = a·G) and `receiver`
    /// (who answered B = b·G + c·A), from the shared point (a·B, a·(B − A) or b·A): SHA-256,
    /// truncated, over the length-prefixed fields
    ///
    ///     domain ‖ session ‖ sender ‖ receiver ‖ A ‖ B ‖ index ‖ point
    ///
    /// (``ByteWriter``: strings and points with a u32 length, integers as big-endian u64).
    /// This is the random-oracle key derivation of Chou–Orlandi ("The Simplest Protocol for
    /// Oblivious Transfer", LATINCRYPT 2015), with the transcript (A, B) hashed in as the
    /// paper's H_(A,B) and the session and both party ids added, so that keys of different
    /// jobs, pairs or directions never coincide even if a point repeats.
    public static func key(
        fromPoint point: [UInt8], index: Int, session: UInt64, sender: String, receiver: String,
        a: [UInt8], b: [UInt8], domain: String = "tacit.base-ot.v2"
    ) -> [UInt8] {
        var w = ByteWriter(capacity: 160 + sender.utf8.count + receiver.utf8.count)
        w.string(domain)
        w.u64(session)
        w.string(sender)
        w.string(receiver)
        w.data(a)
        w.data(b)
        w.u64(UInt64(index))
        w.data(point)
        return Array(SHA256Bytes.hash(w.bytes).prefix(16))
    }
}
