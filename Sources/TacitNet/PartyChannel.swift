/// What the MPC runtime sees of the network: authenticated, ordered, point-to-point
/// messages between consortium members, scoped to a session (a job) and a tag (a protocol
/// step). Implemented by `ZeroMQMesh` (real parties) and `InMemoryMesh` (tests, simulation),
/// with the same semantics:
///
/// - Messages from one sender under one (session, tag) are received in the order sent.
///   Nothing is promised across different tags or senders.
/// - `send` returns once the message is queued for the transport; it suspends only while the
///   queue towards that peer is full (back-pressure), up to the timeout.
/// - `receive` suspends until a matching message arrives, the timeout passes
///   (`NetError.Code.timeout`), the task is cancelled (`.cancelled`), or the channel closes
///   (`.closed`). Each receive consumes exactly one message.
public protocol PartyChannel: Sendable {
    /// This party.
    var localParty: PartyID { get }
    /// Every member, this party included, sorted by name.
    var parties: [PartyID] { get }
    /// Used by the overloads without an explicit timeout.
    var defaultTimeout: Duration { get }

    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws
    /// Queues `payload` for `peer` without suspending when the transport can take it at once;
    /// false (nothing queued) otherwise, and then `send` is the way, which also reports why a
    /// send cannot happen. A message sent this way keeps its order with those `send` queued
    /// before it returned. The default, for channels without a synchronous path, is false.
    func trySend(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) -> Bool

    /// `timeout: nil` waits until cancelled or closed.
    func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws -> Payload

    /// Frees what is queued for a finished session; later messages for it are dropped.
    func endSession(_ session: SessionID)
}

extension PartyChannel {
    /// The other members.
    public var peers: [PartyID] { parties.filter { $0 != localParty } }
    public func trySend(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) -> Bool { false }

    public func receive(from peer: PartyID, session: SessionID, tag: Tag) async throws -> Payload {
        try await receive(from: peer, session: session, tag: tag, timeout: defaultTimeout)
    }

    /// Sends the same payload (without copying it) to every other member.
    public func broadcast(_ payload: Payload, session: SessionID, tag: Tag) async throws {
        for peer in peers {
            try await send(payload, to: peer, session: session, tag: tag)
        }
    }

    /// One message from each of `from` (default: every other member), received concurrently
    /// so one slow peer does not delay reading the others.
    public func gather(
        from senders: [PartyID]? = nil, session: SessionID, tag: Tag, timeout: Duration? = nil
    ) async throws -> [PartyID: Payload] {
        let senders = senders ?? peers
        let timeout = timeout ?? defaultTimeout
        return try await withThrowingTaskGroup(of: (PartyID, Payload).self) { group in
            for peer in senders {
                group.addTask {
                    (peer, try await self.receive(from: peer, session: session, tag: tag, timeout: timeout))
                }
            }
            var out: [PartyID: Payload] = [:]
            for try await (peer, payload) in group { out[peer] = payload }
            return out
        }
    }

    /// This channel bound to one session, which is what a protocol run should be handed.
    public func session(_ id: SessionID) -> SessionChannel { SessionChannel(channel: self, session: id) }
}

/// A channel scoped to one session (job): protocol code cannot talk outside its job.
public struct SessionChannel: Sendable {
    public let channel: any PartyChannel
    public let session: SessionID

    public init(channel: any PartyChannel, session: SessionID) {
        self.channel = channel
        self.session = session
    }

    public var localParty: PartyID { channel.localParty }
    public var parties: [PartyID] { channel.parties }
    public var peers: [PartyID] { channel.peers }

    public func send(_ payload: Payload, to peer: PartyID, tag: Tag) async throws {
        try await channel.send(payload, to: peer, session: session, tag: tag)
    }

    public func receive(from peer: PartyID, tag: Tag, timeout: Duration? = nil) async throws -> Payload {
        try await channel.receive(
            from: peer, session: session, tag: tag, timeout: timeout ?? channel.defaultTimeout)
    }

    public func broadcast(_ payload: Payload, tag: Tag) async throws {
        try await channel.broadcast(payload, session: session, tag: tag)
    }

    public func gather(from senders: [PartyID]? = nil, tag: Tag, timeout: Duration? = nil) async throws
        -> [PartyID: Payload]
    {
        try await channel.gather(from: senders, session: session, tag: tag, timeout: timeout)
    }

    /// Ends the session on this party's side.
    public func end() { channel.endSession(session) }

    /// This session seen as the two parties it joins: the local one and `peer`. Messages go
    /// through unchanged; a two-party protocol that sizes itself from `parties` works inside
    /// a mesh of the whole consortium.
    public func pair(with peer: PartyID) -> SessionChannel {
        SessionChannel(channel: TwoPartyChannel(base: channel, peer: peer), session: session)
    }
}

/// `base` restricted to the local party and `peer` (see ``SessionChannel/pair(with:)``).
struct TwoPartyChannel: PartyChannel {
    let base: any PartyChannel
    let peer: PartyID
    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { [base.localParty, peer].sorted() }
    var defaultTimeout: Duration { base.defaultTimeout }
    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws {
        try await base.send(payload, to: peer, session: session, tag: tag)
    }
    func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws -> Payload {
        try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }
    func endSession(_ session: SessionID) { base.endSession(session) }
}
