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
    _ proto: any MPCProtocol, parties n: Int, timeout: Duration = .seconds(30), testingSeed: UInt64? = nil,
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
/// (return nil to keep it); every received message is recorded.
final class TestChannel: PartyChannel, @unchecked Sendable {
    let base: any PartyChannel
    let tamper: @Sendable (PartyID, TacitNet.Tag, Payload) -> Payload?
    let received = Locked<[(PartyID, TacitNet.Tag, Int)]>([])

    init(_ base: any PartyChannel, tamper: @escaping @Sendable (PartyID, TacitNet.Tag, Payload) -> Payload? = { _, _, _ in nil }) {
        self.base = base
        self.tamper = tamper
    }
    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { base.parties }
    var defaultTimeout: Duration { base.defaultTimeout }
    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: TacitNet.Tag) async throws {
        try await base.send(tamper(peer, tag, payload) ?? payload, to: peer, session: session, tag: tag)
    }
    func receive(from peer: PartyID, session: SessionID, tag: TacitNet.Tag, timeout: Duration?) async throws -> Payload {
        let p = try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
        received.withLock { $0.append((peer, tag, p.count)) }
        return p
    }
    func endSession(_ session: SessionID) { base.endSession(session) }
}
