import Foundation
import Testing
import TacitMPC
import TacitNet
import TacitProtocols
import TacitEngineTemplate
import TacitBytes

/// The registry under test: what Tacit ships, plus the template (which must keep working
/// as the example researchers copy).
func testRegistry() -> EngineRegistry {
    var r = EngineRegistry.standard()
    try! r.register(TemplateProtocol())
    return r
}

func partyNames(_ n: Int) -> [PartyID] { (0..<n).map { PartyID("p\($0)") } }

/// Runs the same program on every party of an in-memory mesh; returns each party's outcome.
func simulate<R: Sendable>(
    _ proto: any MPCProtocol, parties n: Int, timeout: Duration = .seconds(120), testingSeed: UInt64? = nil,
    wrap: (@Sendable (PartyID, any PartyChannel) -> any PartyChannel)? = nil,
    mesh: InMemoryMesh? = nil,
    _ body: @escaping @Sendable (any MPCEngine) async throws -> R
) async -> [PartyID: Result<R, any Error>] {
    let names = partyNames(n)
    let mesh = mesh ?? InMemoryMesh(parties: names)
    let session = SessionID.random()
    return await withTaskGroup(of: (PartyID, Result<R, any Error>).self) { group in
        for p in names {
            group.addTask {
                let base: any PartyChannel = mesh.channel(for: p)
                let channel = wrap?(p, base) ?? base
                do {
                    let r = try await proto.run(
                        channel: channel.session(session), timeout: timeout, testingSeed: testingSeed, body)
                    return (p, .success(r))
                } catch {
                    return (p, .failure(error))
                }
            }
        }
        var out: [PartyID: Result<R, any Error>] = [:]
        for await (p, r) in group { out[p] = r }
        return out
    }
}

/// A channel that lets a test misbehave or observe: `tamper` may replace an outgoing payload
/// (return nil to keep it). Both directions are recorded with their full bytes: `sent` is
/// what this party actually put on the wire (after tampering), whether or not the peer ever
/// reads it, so a test can check what a party *sends*, not only what another chose to receive.
final class TestChannel: PartyChannel, @unchecked Sendable {
    // @unchecked: `base` and `tamper` are immutable and Sendable; the logs are behind locks.
    struct Message: Sendable {
        let peer: PartyID
        let tag: TacitNet.Tag
        let bytes: [UInt8]
    }
    let base: any PartyChannel
    let tamper: @Sendable (PartyID, TacitNet.Tag, Payload) -> Payload?
    let received = Locked<[(PartyID, TacitNet.Tag, Int)]>([])
    let receivedMessages = Locked<[Message]>([])
    let sent = Locked<[Message]>([])

    init(_ base: any PartyChannel, tamper: @escaping @Sendable (PartyID, TacitNet.Tag, Payload) -> Payload? = { _, _, _ in nil }) {
        self.base = base
        self.tamper = tamper
    }
    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { base.parties }
    var defaultTimeout: Duration { base.defaultTimeout }
    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: TacitNet.Tag) async throws {
        let wire = tamper(peer, tag, payload) ?? payload
        sent.withLock { $0.append(Message(peer: peer, tag: tag, bytes: wire.bytes)) }
        try await base.send(wire, to: peer, session: session, tag: tag)
    }
    func receive(from peer: PartyID, session: SessionID, tag: TacitNet.Tag, timeout: Duration?) async throws -> Payload {
        let p = try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
        received.withLock { $0.append((peer, tag, p.count)) }
        receivedMessages.withLock { $0.append(Message(peer: peer, tag: tag, bytes: p.bytes)) }
        return p
    }
    func endSession(_ session: SessionID) { base.endSession(session) }
}
