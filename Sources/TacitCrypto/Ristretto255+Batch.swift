internal import CSodium
import Dispatch
import TacitBytes

/// Batches: the hot path of Diffie–Hellman PSI, where every element of a set is hashed to the
/// group and multiplied by a secret, a million at a time. Work is split into two halves run
/// on two threads (this machine has two cores, and libsodium's functions keep no shared
/// state); outputs are packed, `pointBytes` (or the digest length) per element, in input order.
extension Ristretto255 {
    /// What a batch hands back per element.
    public enum BatchOutput: Sendable, Equatable {
        /// The 32-byte encoding of the resulting point.
        case points
        /// SHA-512(prefix ‖ encoding of the resulting point), truncated to `bytes` (1...64):
        /// what is compared in PSI, so that only these short digests are stored and sent.
        case digests(prefix: [UInt8], bytes: Int)

        var width: Int {
            switch self {
            case .points: return pointBytes
            case .digests(_, let n): return n
            }
        }
    }

    /// For each message m: hash_to_ristretto255(prefix ‖ m) under `dst` (RFC 9380 Appendix B),
    /// then times `scalar` if given, then `output`. Fails (with the index) only if a hash
    /// lands on the identity, which happens with probability about 2^-252 per element.
    public static func hashToGroup<M: ByteStrings>(
        _ messages: M, prefix: [UInt8] = [], dst: [UInt8], multipliedBy scalar: Scalar? = nil,
        adding addends: ArraySlice<UInt8>? = nil, output: BatchOutput = .points
    ) throws(Failure) -> [UInt8] {
        let xmd = try XMD(dst: dst, length: uniformBytes)
        if let addends, addends.count != messages.count * pointBytes {
            throw Failure(.invalidParameter, "\(addends.count) bytes of addends for \(messages.count) messages")
        }
        let addendBase = addends?.startIndex ?? 0
        let width = try checked(output)
        let n = messages.count
        let failed = Locked<Int?>(nil)
        let out = [UInt8](unsafeUninitializedCapacity: n * width) { buf, initialised in
            let dst = SendablePointer(base: buf.baseAddress)
            inHalves(n) { range in
                var uniform = [UInt8](repeating: 0, count: uniformBytes)
                var point = [UInt8](repeating: 0, count: pointBytes)
                var product = [UInt8](repeating: 0, count: pointBytes)
                prefix.withUnsafeBufferPointer { pre in
                    for i in range {
                        messages.withMessage(i) { m in
                            uniform.withUnsafeMutableBufferPointer { xmd.expand(prefix: pre, m, into: $0.baseAddress!) }
                        }
                        var ok = crypto_core_ristretto255_from_hash(&point, uniform) == 0
                            && sodium_is_zero(point, pointBytes) == 0
                        if ok, let scalar {
                            ok = crypto_scalarmult_ristretto255(&product, scalar.storage.pointer, point) == 0
                            if ok { swap(&point, &product) }
                        }
                        if ok, let addends {
                            let at = addendBase + i * pointBytes
                            ok = addends[at..<(at + pointBytes)].withUnsafeBufferPointer {
                                crypto_core_ristretto255_add(&product, point, $0.baseAddress!) == 0
                            } && sodium_is_zero(product, pointBytes) == 0
                            if ok { swap(&point, &product) }
                        }
                        guard ok else {
                            failed.withLock { $0 = min($0 ?? i, i) }
                            return
                        }
                        emit(point, output, into: dst.base! + i * width)
                    }
                }
            }
            initialised = n * width
        }
        if let i = failed.withLock({ $0 }) {
            throw Failure(.identity, "element \(i) hashed to the identity", index: i)
        }
        return out
    }

    /// For each packed 32-byte encoding in `points`: scalar · point, then `output`. Every
    /// encoding is validated on the way: libsodium's multiplication decodes as RFC 9496 §4.3.1
    /// (canonical, in the group) and refuses an identity result, which with a non-zero scalar
    /// in a prime-order group means an identity input (and the top-bit check of
    /// ``Point/init(validating:)`` comes first). So a bad point from a peer fails here with its
    /// index, never reaches a result.
    public static func multiply(_ points: [UInt8], by scalar: Scalar, output: BatchOutput = .points) throws(Failure) -> [UInt8] {
        let result = points.withUnsafeBytes { raw in
            Result { () throws(Failure) in try multiply(raw: raw, by: scalar, output: output) }
        }
        return try result.get()
    }

    /// ``multiply(_:by:output:)`` over bytes in place (a received message's body).
    package static func multiply(raw points: UnsafeRawBufferPointer, by scalar: Scalar, output: BatchOutput = .points)
        throws(Failure) -> [UInt8]
    {
        ready()
        guard points.count % pointBytes == 0 else {
            throw Failure(.invalidPoint, "\(points.count) bytes is not a whole number of \(pointBytes)-byte points")
        }
        let width = try checked(output)
        let n = points.count / pointBytes
        let failed = Locked<Int?>(nil)
        let input = SendablePointer(base: points.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) })
        let out = [UInt8](unsafeUninitializedCapacity: n * width) { buf, initialised in
            let dst = SendablePointer(base: buf.baseAddress)
            inHalves(n) { range in
                var product = [UInt8](repeating: 0, count: pointBytes)
                for i in range {
                    let p = input.base! + i * pointBytes
                    guard hasTopBitClear(p[pointBytes - 1]),
                          crypto_scalarmult_ristretto255(&product, scalar.storage.pointer, p) == 0
                    else {
                        failed.withLock { $0 = min($0 ?? i, i) }
                        return
                    }
                    emit(product, output, into: dst.base! + i * width)
                }
            }
            initialised = n * width
        }
        if let i = failed.withLock({ $0 }) {
            let bad = Array(UnsafeRawBufferPointer(rebasing: points[(i * pointBytes)..<((i + 1) * pointBytes)]))
            if bad.allSatisfy({ $0 == 0 }) {
                throw Failure(.identity, "point \(i) is the identity", index: i)
            }
            throw Failure(.invalidPoint, "point \(i) is not the canonical encoding of a ristretto255 element", index: i)
        }
        return out
    }

    /// For each i: minuends[i] − subtrahends[i], then `output`. The minuends come from a peer
    /// and are validated as in ``multiply(_:by:output:)`` (top bit, canonical, in the group, not
    /// the identity); the subtrahends are this party's own points.
    package static func subtract(
        raw minuends: UnsafeRawBufferPointer, _ subtrahends: ArraySlice<UInt8>, output: BatchOutput = .points
    ) throws(Failure) -> [UInt8] {
        ready()
        guard minuends.count % pointBytes == 0, subtrahends.count == minuends.count else {
            throw Failure(.invalidPoint, "\(minuends.count) bytes of points against \(subtrahends.count) to subtract")
        }
        let width = try checked(output)
        let n = minuends.count / pointBytes
        let failed = Locked<Int?>(nil)
        let input = SendablePointer(base: minuends.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) })
        let subBase = subtrahends.startIndex
        let out = [UInt8](unsafeUninitializedCapacity: n * width) { buf, initialised in
            let dst = SendablePointer(base: buf.baseAddress)
            inHalves(n) { range in
                var difference = [UInt8](repeating: 0, count: pointBytes)
                for i in range {
                    let p = input.base! + i * pointBytes
                    let at = subBase + i * pointBytes
                    let ok = hasTopBitClear(p[pointBytes - 1]) && sodium_is_zero(p, pointBytes) == 0
                        && subtrahends[at..<(at + pointBytes)].withUnsafeBufferPointer {
                            crypto_core_ristretto255_sub(&difference, p, $0.baseAddress!) == 0
                        }
                    guard ok else {
                        failed.withLock { $0 = min($0 ?? i, i) }
                        return
                    }
                    emit(difference, output, into: dst.base! + i * width)
                }
            }
            initialised = n * width
        }
        if let i = failed.withLock({ $0 }) {
            let bad = UnsafeRawBufferPointer(rebasing: minuends[(i * pointBytes)..<((i + 1) * pointBytes)])
            if bad.allSatisfy({ $0 == 0 }) { throw Failure(.identity, "point \(i) is the identity", index: i) }
            throw Failure(.invalidPoint, "point \(i) is not the canonical encoding of a ristretto255 element", index: i)
        }
        return out
    }

    /// `count` single-use additive blinders for a peer's public key B = b·G: for fresh random
    /// r, the packed r·G (added to a hashed element before sending) and r·B (subtracted from
    /// the peer's answer b·(H(x) + r·G) to leave b·H(x)). Precomputed before the elements are
    /// known, they make an online blinding an addition and a subtraction instead of two
    /// exponentiations. Both halves are secrets of the receiver until used, and each must be
    /// used once only: reused, the peer sees the difference of two hashed elements.
    public static func blinders(count: Int, publicKey: Point) -> (addends: [UInt8], offsets: [UInt8]) {
        ready()
        let n = max(0, count)
        var addends = [UInt8](repeating: 0, count: n * pointBytes)
        var offsets = [UInt8](repeating: 0, count: n * pointBytes)
        let key = publicKey.encoded
        addends.withUnsafeMutableBufferPointer { a in
            offsets.withUnsafeMutableBufferPointer { o in
                let pa = SendablePointer(base: a.baseAddress), po = SendablePointer(base: o.baseAddress)
                inHalves(n) { range in
                    var r = [UInt8](repeating: 0, count: scalarBytes)
                    defer { sodium_memzero(&r, scalarBytes) }
                    for i in range {
                        // r ≠ 0 and B ≠ identity: neither product can be the identity, so the
                        // loop only repeats in the (never seen) case libsodium refuses.
                        repeat {
                            crypto_core_ristretto255_scalar_random(&r)
                        } while sodium_is_zero(r, scalarBytes) == 1
                            || crypto_scalarmult_ristretto255_base(pa.base! + i * pointBytes, r) != 0
                            || crypto_scalarmult_ristretto255(po.base! + i * pointBytes, r, key) != 0
                    }
                }
            }
        }
        return (addends, offsets)
    }

    private static func checked(_ output: BatchOutput) throws(Failure) -> Int {
        if case .digests(_, let n) = output, !(1...64).contains(n) {
            throw Failure(.invalidParameter, "a digest is 1...64 bytes of SHA-512, not \(n)")
        }
        return output.width
    }

    @inline(__always)
    private static func emit(_ point: [UInt8], _ output: BatchOutput, into out: UnsafeMutablePointer<UInt8>) {
        switch output {
        case .points:
            point.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: pointBytes) }
        case .digests(let prefix, let n):
            var st = crypto_hash_sha512_state()
            crypto_hash_sha512_init(&st)
            crypto_hash_sha512_update(&st, prefix, UInt64(prefix.count))
            crypto_hash_sha512_update(&st, point, UInt64(pointBytes))
            var d = [UInt8](repeating: 0, count: 64)
            crypto_hash_sha512_final(&st, &d)
            d.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: n) }
        }
    }

    /// Runs `body` over the two halves of 0..<n on two threads (in turn for batches too small
    /// to pay for the hand-off), returning when both are done. Each half writes only its own
    /// outputs.
    static func inHalves(_ n: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let mid = n / 2
        if n < 16 {
            body(0..<n)
            return
        }
        // One half on a global-queue worker, the other on the caller (usually a Swift
        // concurrency thread, which then needs no second worker to be free before it can start).
        withoutActuallyEscaping(body) { body in
            let group = DispatchGroup()
            DispatchQueue.global(qos: .userInitiated).async(group: group) { body(mid..<n) }
            body(0..<mid)
            group.wait()
        }
    }
}

/// A pointer handed to the two halves of a batch, which touch disjoint parts of what it points
/// to and are both finished before the owner of the memory goes on (`@unchecked`: raw pointers
/// are not `Sendable`, and that discipline is what makes sharing this one safe).
struct SendablePointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>?
}
