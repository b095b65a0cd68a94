public import TacitNet

/// The message stream between the two parties of an ``OTExtension`` and of the protocols built
/// on it: every message of both goes on one tag, so messages from one party arrive in the
/// order sent (the channel's FIFO per sender and tag), and an abort notice is the next thing
/// the peer reads wherever in the protocol it waits. That is what lets both sides of a pair
/// fail promptly when one detects a malformed message, without a watcher task.
///
/// Framing: a 16-byte header (kind, step, six zero bytes, the item count as a little-endian
/// u64) and a body whose length the receiver knows from the step and the count, so a
/// truncated, padded or relabelled message, or one for a different count, is caught before
/// anything is read from it. The body starts 16 bytes in, so it stays 8-byte aligned in
/// memory this side allocates.
///
/// Not thread-safe: one task drives a link.
public final class PairLink {
    // Not Sendable: owned by the one task that runs the protocol.
    public let channel: SessionChannel
    public let peer: PartyID
    public let tag: Tag
    /// How long a receive waits for the peer (nil: the channel's default).
    public let timeout: Duration?
    public private(set) var bytesSent = 0
    public private(set) var bytesReceived = 0
    public private(set) var messagesSent = 0
    /// Set once this side has failed (and told the peer); every later call fails at once.
    public private(set) var failure: MPCError?

    public static let headerBytes = 16
    static let kindData: UInt8 = 0x01
    static let kindAbort: UInt8 = 0xAB
    /// The step of an empty message that only says "still working": a party that makes its
    /// peer wait longer than a receive's timeout for a reason the protocol knows (its turn has
    /// not come, other parties' work comes first) sends one now and then, and the peer's
    /// receive that allows them reads past it.
    public static let keepaliveStep: UInt8 = 0xFE
    /// Abort reasons are cut to this many bytes, on both sides (a peer's reason is untrusted).
    static let maxReasonBytes = 512

    /// `channel` must have exactly two parties.
    public init(channel: SessionChannel, tag: Tag, timeout: Duration? = nil) throws {
        let others = channel.peers
        guard others.count == 1 else {
            throw MPCError(
                .unsupported,
                "a pairwise OT link needs exactly two parties; the session has \(channel.parties.count): "
                    + "\(channel.parties.map(\.name))")
        }
        self.channel = channel
        self.peer = others[0]
        self.tag = tag
        self.timeout = timeout
    }

    /// Whether this party is the first of the two in sorted order: fixes who plays which role
    /// where the protocol needs an order.
    public var isFirst: Bool { channel.localParty < peer }

    /// Sends one message of `step` carrying `count` items; `fill` writes all `bodyBytes`.
    public func send(
        step: UInt8, count: Int, bodyBytes: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) async throws {
        try checkUsable()
        let payload = try Payload(unsafeUninitializedCount: Self.headerBytes + bodyBytes) { buf in
            let raw = UnsafeMutableRawBufferPointer(buf)
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            raw[0] = Self.kindData
            raw[1] = step
            raw.storeBytes(of: UInt64(count).littleEndian, toByteOffset: 8, as: UInt64.self)
            try fill(UnsafeMutableRawBufferPointer(rebasing: raw[Self.headerBytes...]))
        }
        do {
            try await channel.send(payload, to: peer, tag: tag)
        } catch let e as NetError {
            throw await fail(MPCContext.translate(e, peer: peer, tag: tag))
        }
        bytesSent += payload.count
        messagesSent += 1
    }

    /// How often a side that keeps its peer waiting sends a keepalive: a quarter of the
    /// peer's receive timeout (both sides use the same), so a late one still arrives in time.
    public var keepaliveInterval: Duration { (timeout ?? channel.channel.defaultTimeout) / 4 }

    /// Tells the peer this side is still at work (see ``keepaliveStep``).
    public func sendKeepalive() async throws {
        try await send(step: Self.keepaliveStep, count: 0, bodyBytes: 0) { _ in }
    }

    /// Receives the next message, which must be `step` for `count` items with `bodyBytes` bytes
    /// of body; anything else (an abort, another step, another count, another length) fails
    /// this side, tells the peer, and throws naming it. With `keepalives`, keepalive messages
    /// before it are read and dropped, each restarting the timeout.
    public func receive(step: UInt8, name: String, count: Int, bodyBytes: Int, keepalives: Bool = false) async throws -> Payload {
        try checkUsable()
        var payload: Payload
        repeat {
            do {
                payload = try await channel.receive(from: peer, tag: tag, timeout: timeout)
            } catch let e as NetError {
                throw await fail(MPCContext.translate(e, peer: peer, tag: tag))
            }
            bytesReceived += payload.count
        } while keepalives && payload.count == Self.headerBytes && payload.withUnsafeBytes { raw in
            raw[0] == Self.kindData && raw[1] == Self.keepaliveStep && raw[2..<16].allSatisfy { $0 == 0 }
        }
        let header: (kind: UInt8, step: UInt8, zero: Bool, count: UInt64)? = payload.withUnsafeBytes { raw in
            guard raw.count >= Self.headerBytes else { return nil }
            return (raw[0], raw[1], raw[2..<8].allSatisfy { $0 == 0 },
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        if payload.withUnsafeBytes({ $0.first == Self.kindAbort }) {
            let reason = payload.withUnsafeBytes { raw in
                String(decoding: raw[1..<min(raw.count, 1 + Self.maxReasonBytes)], as: UTF8.self)
            }
            let e = MPCError(.peerAborted, "\(peer) aborted the run: \(Self.printable(reason))", peer: peer)
            failure = e
            throw e
        }
        guard let header else {
            throw await fail(MPCError(
                .malformedMessage,
                "\(peer) sent a \(payload.count)-byte message where its '\(name)' message was due (at least "
                    + "\(Self.headerBytes) bytes): it is truncated or the peer runs a different protocol", peer: peer))
        }
        guard header.kind == Self.kindData, header.zero, header.step == step else {
            throw await fail(MPCError(
                .malformedMessage,
                "\(peer) sent a message of kind \(header.kind), step \(header.step) where its '\(name)' message "
                    + "(kind \(Self.kindData), step \(step)) was due: the peer runs a different protocol or "
                    + "version, or called the steps in another order", peer: peer))
        }
        guard header.count == UInt64(count) else {
            throw await fail(MPCError(
                .malformedMessage,
                "\(peer) sent its '\(name)' message for \(header.count) items where this party expects \(count): "
                    + "both parties must call the same operations with the same counts", peer: peer))
        }
        guard payload.count == Self.headerBytes + bodyBytes else {
            throw await fail(MPCError(
                .malformedMessage,
                "\(peer) sent a \(payload.count)-byte '\(name)' message for \(count) items; expected "
                    + "\(Self.headerBytes + bodyBytes) bytes: it is truncated or padded", peer: peer))
        }
        return payload
    }

    /// Records `error` as this side's failure, tells the peer (once, best effort: the peer may
    /// be gone), and returns it for the caller to throw. A peer's own abort is not echoed back.
    public func fail(_ error: MPCError) async -> MPCError {
        if let failure { return failure }
        failure = error
        if error.code != .peerAborted {
            let reason = Array("\(channel.localParty): \(error.message)".utf8.prefix(Self.maxReasonBytes))
            try? await channel.send(Payload([Self.kindAbort] + reason), to: peer, tag: tag)
        }
        return error
    }

    func checkUsable() throws {
        if let failure {
            throw MPCError(
                failure.code, "this pairwise run failed earlier and cannot go on: \(failure.message)", peer: failure.peer)
        }
    }

    /// A peer's reason with control characters replaced, so it cannot forge log lines.
    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}
