public import TacitMPC
import TacitCrypto
import TacitJob
import TacitMath
import TacitNet

/// Diffie–Hellman PSI over ristretto255 (Meadows 1986; Huberman–Franklin–Hogg 1999; the
/// protocol of OpenMined PSI and SecretFlow's ECDH mode), semi-honest, in its OPRF form
/// (2HashDH of Jarecki–Liu, as RFC 9497 builds it):
///
/// - H is hash_to_ristretto255 (RFC 9380) under ``dst``, over a context prefix (the job's
///   session id, or a prepared set's id) and the element, so points from one job or one
///   prepared set are useless with another.
/// - The sender has a secret scalar b and sends T(y) = SHA-512(tag domain ‖ b·H(y)), cut to
///   ``tagBytes``, for each of its elements, in an order shuffled with a CSPRNG.
/// - The receiver draws a fresh secret a, sends a·H(x) for each of its elements (its own
///   order; a·H(x) is a uniformly random element whatever x is), gets back b·a·H(x) (in
///   `.size` mode shuffled, so it cannot tell which of its elements matched), removes a with
///   a⁻¹, and computes T(x). x is in the intersection exactly when T(x) is among the sender's
///   tags (a false match needs a 128-bit collision: about n·m·2^-128).
///
/// Compared with the textbook protocol, where the receiver raises the sender's b·H(y) to a,
/// the receiver here never touches the sender's elements: it unblinds its own. The
/// exponentiation count is the same for equal sets, but the receiver's work is independent
/// of the sender's set size and the sender's tags do not depend on the receiver's secret,
/// which is what lets a blacklist's tags be computed once and cached
/// (``PreparedSet``, ``ReceiverCache``).
///
/// Cost per element (each exponentiation is one constant-time `crypto_scalarmult_ristretto255`,
/// about 63 µs on one core of this machine when idle; a hash to the group about 22 µs; a
/// SHA-512 under 1 µs). Batches run on two threads:
///
/// | | receiver (n elements) | sender (m elements) |
/// |---|---|---|
/// | per own element | 1 hash to group, 2 exponentiations (a, then a⁻¹), 1 SHA-512 | 1 hash to group, 1 exponentiation, 1 SHA-512 |
/// | per peer element | a set lookup | 1 exponentiation |
/// | bytes sent | 32 per own element | 32 per receiver element + 16 per own element |
///
/// plus a 72-byte hello, a 72-byte reply and the receiver's closing message (after which the
/// sender reports success: a receiver that failed aborts instead, so both fail together). Every point received is validated (canonical
/// encoding, in the group, not the identity) by the multiplication that uses it; a bad one,
/// a wrong count or a truncated message fails both sides, naming the sender.
///
/// What each side learns: the receiver, which of its elements (or in `.size` mode only how
/// many) are in the sender's set, and the sender's set size; the sender, only the receiver's
/// set size.
public enum ECDHPSI {
    /// The RFC 9380 domain separation tag of this protocol's hash to the group.
    public static let dst = Array("TACIT-PSI-V01-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_".utf8)
    /// What is hashed before each unblinded point to make its tag.
    static let tagDomain = Array("TACIT-PSI-V01-tag".utf8)
    /// Bytes of each compared tag.
    public static let tagBytes = 16
    /// The largest set either side may have (16.7M): bounds what a peer's count can make this
    /// party expect, and keeps the receiver's queued points (32 bytes each) under the mesh's
    /// per-peer buffer.
    public static let maxElements = 1 << 24
    static let wireVersion: UInt16 = 1

    /// Chosen by the job, the same on both sides (the hello checks it).
    public struct Settings: Sendable, Equatable {
        /// Elements per message at most: 32 768 points make 1 MiB messages, well below the
        /// mesh's caps, and enough chunks at 2^20 for one side to compute while the other sends.
        public var chunkElements: Int
        public init(chunkElements: Int = 1 << 15) { self.chunkElements = max(1, min(chunkElements, 1 << 20)) }
    }

    /// Message steps on the link.
    enum Step: UInt8 {
        case hello = 0x61, reply = 0x62, blinded = 0x63, evaluated = 0x64, tags = 0x65, done = 0x66
    }

    // MARK: Balanced

    /// One run of balanced PSI between the two parties of `link`. Both call it with the same
    /// `mode`, `session` (the job id: it separates this job's points from every other's) and
    /// `settings`, one as `.receiver`, one as `.sender`.
    public static func run(
        _ set: PSISet, role: PSIRole, mode: PSIOutputMode, link: PairLink, session: [UInt8],
        settings: Settings = Settings(), progress: PSIProgress? = nil
    ) async throws -> PSIOutcome {
        let context = Context(kind: .session, bytes: session)
        switch role {
        case .receiver:
            return try await receive(
                set, mode: mode, link: link, settings: settings, balanced: context, cache: nil, progress: progress
            ).outcome
        case .sender:
            return try await send(
                .fresh(set, Ristretto255.Scalar.random()), mode: mode, link: link, settings: settings, balanced: context,
                progress: progress)
        }
    }

    // MARK: Shared pieces

    /// What the hash to the group is prefixed with: a kind byte, a length and the bytes.
    struct Context {
        enum Kind: UInt8 { case session = 1, preparedSet = 2, countSession = 3 }
        let kind: Kind
        let bytes: [UInt8]
        var prefix: [UInt8] { [kind.rawValue, UInt8(bytes.count >> 8 & 0xFF), UInt8(bytes.count & 0xFF)] + bytes }
        /// What the hello carries so that parties with different contexts fail instead of
        /// silently finding nothing in common.
        var digest: [UInt8] { Array(Ristretto255.sha512(Array("TACIT-PSI-V01-context".utf8), prefix).prefix(32)) }
    }

    /// Elements per message for a stream of `n`: an eighth of it (so that even a small query
    /// pipelines), at least 256, at most the setting.
    static func chunkSize(_ n: Int, _ settings: Settings) -> Int {
        max(1, min(settings.chunkElements, max(256, n / 8)))
    }

    static func chunks(_ n: Int, _ settings: Settings) -> [Range<Int>] {
        let c = chunkSize(n, settings)
        return stride(from: 0, to: n, by: c).map { $0..<min(n, $0 + c) }
    }

    /// The receiver's first message.
    struct Hello: Equatable {
        var mode: PSIOutputMode
        var unbalanced: Bool
        var chunkElements: Int
        var count: Int
        var contextDigest: [UInt8]  // 32 bytes; zeros for a prepared set
        var cachedSet: [UInt8]  // 16 bytes; zeros without a cache
        var cachedVersion: UInt64

        static let bytes = 72

        func encoded() -> [UInt8] {
            var w = [UInt8]()
            w.reserveCapacity(Self.bytes)
            w += be(UInt64(wireVersion), 2)
            w.append(mode == .intersection ? 1 : 2)
            w.append(unbalanced ? 1 : 0)
            w += be(UInt64(chunkElements), 4) + be(UInt64(count), 8) + contextDigest + cachedSet + be(cachedVersion, 8)
            return w
        }

        /// Nil when a field is out of range (the caller names the peer).
        static func decode(_ b: [UInt8]) -> (Hello?, String) {
            guard b.count == bytes else { return (nil, "a \(b.count)-byte hello") }
            let version = readBE(b, 0, 2)
            guard version == UInt64(wireVersion) else { return (nil, "wire version \(version), this party speaks \(wireVersion)") }
            guard b[2] == 1 || b[2] == 2 else { return (nil, "output mode \(b[2])") }
            guard b[3] <= 1 else { return (nil, "flags \(b[3])") }
            let count = readBE(b, 8, 8)
            guard count <= UInt64(maxElements) else { return (nil, "a set of \(count) elements (at most \(maxElements))") }
            return (Hello(
                mode: b[2] == 1 ? .intersection : .size, unbalanced: b[3] == 1, chunkElements: Int(readBE(b, 4, 4)),
                count: Int(count), contextDigest: Array(b[16..<48]), cachedSet: Array(b[48..<64]),
                cachedVersion: readBE(b, 64, 8)), "")
        }
    }

    /// The sender's answer: its set size, which prepared set (and version) answers, and whether
    /// its tags follow.
    struct Reply: Equatable {
        var count: Int
        var setID: [UInt8]  // 16 bytes; zeros in a balanced run
        var setVersion: UInt64
        var sendsTags: Bool
        /// b·G for a prepared set (what precomputed blinders need); zeros in a balanced run.
        var publicKey: [UInt8]

        static let bytes = 72

        func encoded() -> [UInt8] {
            be(UInt64(wireVersion), 2) + [sendsTags ? 1 : 0] + [0, 0, 0, 0, 0] + be(UInt64(count), 8) + setID
                + be(setVersion, 8) + publicKey
        }

        static func decode(_ b: [UInt8]) -> (Reply?, String) {
            guard b.count == bytes else { return (nil, "a \(b.count)-byte reply") }
            let version = readBE(b, 0, 2)
            guard version == UInt64(wireVersion) else { return (nil, "wire version \(version), this party speaks \(wireVersion)") }
            guard b[2] <= 1, b[3..<8].allSatisfy({ $0 == 0 }) else { return (nil, "flags \(b[2...7])") }
            let count = readBE(b, 8, 8)
            guard count <= UInt64(maxElements) else { return (nil, "a set of \(count) elements (at most \(maxElements))") }
            return (Reply(
                count: Int(count), setID: Array(b[16..<32]), setVersion: readBE(b, 32, 8), sendsTags: b[2] == 1,
                publicKey: Array(b[40..<72])), "")
        }
    }

    static func be(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - $0))) } }
    static func readBE(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 { b[at..<(at + n)].reduce(0) { $0 << 8 | UInt64($1) } }

    /// A tag as a hashable value (two words), so that sets of a million tags need no
    /// allocation per tag.
    struct Tag: Hashable, Comparable {
        let hi: UInt64
        let lo: UInt64
        init(hi: UInt64, lo: UInt64) { self.hi = hi; self.lo = lo }
        init(_ raw: UnsafeRawBufferPointer, at offset: Int) {
            hi = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            lo = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        }
        func write(to raw: UnsafeMutableRawBufferPointer, at offset: Int) {
            raw.storeBytes(of: hi.bigEndian, toByteOffset: offset, as: UInt64.self)
            raw.storeBytes(of: lo.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
        }
        static func < (a: Tag, b: Tag) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }
    }

    static func tags(_ packed: [UInt8]) -> [Tag] {
        packed.withUnsafeBytes { raw in (0..<(raw.count / tagBytes)).map { Tag(raw, at: $0 * tagBytes) } }
    }

    /// Fails the link for a malformed message from the peer.
    static func malformed(_ link: PairLink, _ what: String) async -> MPCError {
        await link.fail(MPCError(.malformedMessage, "\(link.peer) sent \(what)", peer: link.peer))
    }

    /// `multiply` on a received message's body; a bad point fails the run naming the peer.
    static func multiplyReceived(
        _ payload: Payload, by scalar: Ristretto255.Scalar, output: Ristretto255.BatchOutput, link: PairLink,
        name: String, chunk: Int
    ) async throws -> [UInt8] {
        try await onReceived(payload, link: link, name: name, chunk: chunk) { body throws(Ristretto255.Failure) in
            try Ristretto255.multiply(raw: body, by: scalar, output: output)
        }
    }

    /// `work` on a received message's points; a bad point fails the run naming the peer.
    static func onReceived(
        _ payload: Payload, link: PairLink, name: String, chunk: Int,
        _ work: (UnsafeRawBufferPointer) throws(Ristretto255.Failure) -> [UInt8]
    ) async throws -> [UInt8] {
        let result = payload.withUnsafeBytes { raw in
            Result { () throws(Ristretto255.Failure) in try work(UnsafeRawBufferPointer(rebasing: raw[PairLink.headerBytes...])) }
        }
        switch result {
        case .success(let out): return out
        case .failure(let f):
            let what = f.code == .identity ? "the identity" : "a point that is not a canonical ristretto255 element"
            throw await malformed(
                link, "\(what) at position \(f.index ?? -1) of its '\(name)' message \(chunk): every point must be a "
                    + "valid, non-identity group element; the peer is faulty or hostile")
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
