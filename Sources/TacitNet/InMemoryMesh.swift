import TacitBytes

/// Parties in one process, connected without a network: for tests and single-process
/// simulation of a protocol. Each party's channel has `ZeroMQMesh`'s semantics (ordering per
/// sender, session and tag; timeouts; cancellation; size limit), and payloads are shared,
/// never copied.
public final class InMemoryMesh: Sendable {
    public let parties: [PartyID]
    public let maxMessageSize: Int
    public let defaultTimeout: Duration
    private let mailboxes: [PartyID: Mailbox]
    private let down = Locked<Set<PartyID>>([])

    public init(
        parties: [PartyID], maxMessageSize: Int = MeshLimits.defaultMaxMessageSize,
        defaultTimeout: Duration = .seconds(30)
    ) {
        precondition(Set(parties).count == parties.count, "party names must be distinct")
        self.parties = parties.sorted()
        self.maxMessageSize = maxMessageSize
        self.defaultTimeout = defaultTimeout
        var m: [PartyID: Mailbox] = [:]
        for p in parties { m[p] = Mailbox() }
        self.mailboxes = m
    }

    /// The channel as seen by `party`.
    public func channel(for party: PartyID) -> InMemoryChannel {
        precondition(mailboxes[party] != nil, "\(party) is not a party of this mesh")
        return InMemoryChannel(mesh: self, localParty: party)
    }

    /// Simulates a crashed party: its waiting receives fail with `.closed` and whatever is
    /// sent to it from now on is silently lost, as on a real network, so its peers time out.
    public func crash(_ party: PartyID) {
        down.withLock { _ = $0.insert(party) }
        mailboxes[party]?.close(NetError(.closed, "\(party) crashed (simulated)"))
    }

    /// Messages `party` dropped because their session had ended.
    func lateDropped(at party: PartyID) -> Int { mailboxes[party]?.droppedLate ?? 0 }

    fileprivate func mailbox(_ p: PartyID) -> Mailbox? { mailboxes[p] }
    fileprivate func isDown(_ p: PartyID) -> Bool { down.withLock { $0.contains(p) } }
}

public struct InMemoryChannel: PartyChannel {
    let mesh: InMemoryMesh
    public let localParty: PartyID

    public var parties: [PartyID] { mesh.parties }
    public var defaultTimeout: Duration { mesh.defaultTimeout }

    public func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws {
        if mesh.isDown(localParty) { throw NetError(.closed, "\(localParty) has crashed (simulated)") }
        guard peer != localParty, let box = mesh.mailbox(peer) else {
            throw NetError(.unknownPeer, "\(peer) is not another member of this mesh; members: \(mesh.parties)")
        }
        guard payload.count <= mesh.maxMessageSize else {
            throw NetError(
                .messageTooLarge,
                "payload of \(payload.count) bytes exceeds the limit of \(mesh.maxMessageSize); "
                    + "split it or raise maxMessageSize on every party")
        }
        if mesh.isDown(peer) { return }
        box.deliver(payload, for: MailboxKey(peer: localParty, session: session, tag: tag))
    }

    public func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws
        -> Payload
    {
        guard peer != localParty, mesh.mailbox(peer) != nil, let box = mesh.mailbox(localParty) else {
            throw NetError(.unknownPeer, "\(peer) is not another member of this mesh; members: \(mesh.parties)")
        }
        return try await box.receive(MailboxKey(peer: peer, session: session, tag: tag), timeout: timeout)
    }

    public func endSession(_ session: SessionID) { mesh.mailbox(localParty)?.endSession(session) }
}
