public import TacitNet

/// A channel that may replace one party's outgoing payloads (`tamper` returns nil to keep
/// one): what a hostile-peer test puts under an honest protocol.
public struct TamperingChannel: PartyChannel {
    public let base: any PartyChannel
    public let tamper: @Sendable (Payload) -> Payload?
    public init(base: any PartyChannel, tamper: @escaping @Sendable (Payload) -> Payload?) {
        self.base = base
        self.tamper = tamper
    }
    public var localParty: PartyID { base.localParty }
    public var parties: [PartyID] { base.parties }
    public var defaultTimeout: Duration { base.defaultTimeout }
    public func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws {
        try await base.send(tamper(payload) ?? payload, to: peer, session: session, tag: tag)
    }
    public func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws -> Payload {
        try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }
    public func endSession(_ session: SessionID) { base.endSession(session) }
}
