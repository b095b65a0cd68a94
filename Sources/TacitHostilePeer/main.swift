// A consortium member gone bad, for the hostile-member node test (Tests/TacitNodeTests/
// HostileMemberTests.swift). It joins the mesh with a real member's CURVE key and no node
// behind it, and sends whatever it is told to, one reply line per command on stdout. Not a
// user-facing tool.
//
//   tacit-hostile-peer --name NAME --key NAME.key --genesis genesis.bin
//
// Commands (one reply line each; SEED makes a run reproducible):
//   random VICTIM COUNT SEED          random frames: 1–4 frames of 0–256 random bytes
//   heads VICTIM COUNT SEED           headers broken one field at a time (magic, version,
//                                     flags, name length, name, reserved, declared length)
//   truncated VICTIM COUNT SEED       multipart messages cut short or overlong: header alone,
//                                     payload shorter than declared, 3–2000 frames
//   oversized VICTIM COUNT SEED       headers declaring more than the victim's limit, the
//                                     largest being 2^64−1, with small payloads
//   huge VICTIM                       one real message 1 MiB over the victim's limit
//   unknown VICTIM COUNT SIZE SEED    valid messages for random sessions nobody reads
//   ledger VICTIM COUNT SEED          malformed and truncated consensus and transaction messages
//   inject VICTIM JOB COUNT SEED      valid-looking messages in a job's sessions (as a non-party)
//   wrong JOB PEERS SEED              wrong-length protocol messages on a job's sessions and
//                                     tags 1...16, to each of PEERS (comma-separated)
//   barrier VICTIM TIMEOUT_S          -> OK barrier once VICTIM answered a ledger sync request,
//                                     i.e. has read everything sent to it before
//   quit
// Replies: `OK KIND sent=N` or `ERR reason`.
import Foundation
import Logging
import TacitBytes
@_spi(Testing) import TacitNet
import TacitJob
import TacitLedger

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tacit-hostile-peer: \(message)\n".utf8))
    exit(2)
}

func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// SplitMix64: the same seed gives the same hostile traffic, so a failure reproduces. The
/// same generator as TacitTestSupport's `SeededGenerator`, which links swift-testing and so
/// stays out of an executable.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// The version-1 header (Docs/TacitNet.md, "Frame format"), written out here rather than
/// taken from TacitNet so that this tool can break each field on its own.
func header(sender: String, session: UInt64, tag: UInt64, length: UInt64) -> [UInt8] {
    let name = Array(sender.utf8)
    var h: [UInt8] = [0x54, 0x41, 0x43, 0x54, 1, 0, UInt8(truncatingIfNeeded: name.count), 0]
    for v in [session, tag, length] { for i in (0..<8).reversed() { h.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    return h + name
}

/// The job's sub-session `name`, derived as TacitJob's `JobContext.session(_:)` does from the
/// public job id: any member can compute it.
func subSession(job: String, _ name: String) -> SessionID {
    var label = Array("tacit.job.subsession.v1:".utf8)
    label += withUnsafeBytes(of: JobSpec.session(forJob: job).rawValue.bigEndian, Array.init)
    label += Array(name.utf8)
    return SessionID.derived(from: label)
}

/// Every session a job protocol's run uses by name in this version: its own, the engine's,
/// and the runner's result-digest agreement.
let jobSessionNames = ["protocol", "engine", "tacit.result-digests"]

final class Peer: Sendable {
    let mesh: ZeroMQMesh
    let me: String
    /// Ledger sync requests sent to the victim and replies seen, over every barrier.
    let syncs = Locked((requests: 0, replies: 0))
    init(mesh: ZeroMQMesh, me: String) {
        self.mesh = mesh
        self.me = me
    }
    /// The victim's limit: every node runs with the default.
    let victimLimit = MeshLimits.defaultMaxMessageSize

    func random(_ victim: PartyID, _ count: Int, _ g: inout Seeded) async throws -> Int {
        for _ in 0..<count {
            let frames = (0..<Int.random(in: 1...4, using: &g)).map { _ in g.bytes(Int.random(in: 0...256, using: &g)) }
            try await mesh.sendRawFrames(frames, to: victim)
        }
        return count
    }

    func heads(_ victim: PartyID, _ count: Int, _ g: inout Seeded) async throws -> Int {
        let other = mesh.parties.first { $0.name != me && $0 != victim }?.name ?? victim.name
        for k in 0..<count {
            let payload = g.bytes(Int.random(in: 0...64, using: &g))
            var h = header(sender: me, session: g.next(), tag: g.next(), length: UInt64(payload.count))
            switch k % 10 {
            case 0: h[Int.random(in: 0...3, using: &g)] ^= 0x20  // magic
            case 1: h[4] = UInt8.random(in: 2...255, using: &g)  // version
            case 2: h[5] = UInt8.random(in: 1...255, using: &g)  // flags
            case 3: h[6] = UInt8.random(in: 65...255, using: &g)  // name longer than the frame
            case 4: h[6] = 0  // empty name
            case 5: h[7] = UInt8.random(in: 1...255, using: &g)  // reserved
            case 6: h[h.count - 1] = 0xFF  // name is not UTF-8
            case 7: h = Array(h.prefix(Int.random(in: 0...31, using: &g)))  // shorter than the fixed part
            case 8: h = header(sender: other, session: g.next(), tag: g.next(), length: UInt64(payload.count))  // another member's name
            default: h = header(sender: me, session: g.next(), tag: g.next(), length: UInt64(payload.count) + 1)  // length differs from the payload
            }
            try await mesh.sendRawFrames([h, payload], to: victim)
        }
        return count
    }

    func truncated(_ victim: PartyID, _ count: Int, _ g: inout Seeded) async throws -> Int {
        for k in 0..<count {
            let payload = g.bytes(Int.random(in: 1...512, using: &g))
            let h = header(sender: me, session: g.next(), tag: g.next(), length: UInt64(payload.count))
            switch k % 4 {
            case 0: try await mesh.sendRawFrames([h], to: victim)
            case 1: try await mesh.sendRawFrames([h, Array(payload.prefix(payload.count / 2))], to: victim)
            case 2: try await mesh.sendRawFrames([h, payload, g.bytes(16)], to: victim)
            default:
                // Many parts: a receiver that keeps every part of a message it will drop anyway
                // pays for all of them.
                let parts = Int.random(in: 100...2000, using: &g)
                try await mesh.sendRawFrames([h, payload] + (0..<parts).map { _ in [UInt8](repeating: 0xA5, count: 64) }, to: victim)
            }
        }
        return count
    }

    func oversized(_ victim: PartyID, _ count: Int, _ g: inout Seeded) async throws -> Int {
        for k in 0..<count {
            let payload = g.bytes(16)
            let declared: UInt64 = k % 3 == 0 ? UInt64.max : k % 3 == 1 ? UInt64(victimLimit) + 1 : UInt64(victimLimit) + g.next() % (1 << 40)
            try await mesh.sendRawFrames([header(sender: me, session: g.next(), tag: g.next(), length: declared), payload], to: victim)
        }
        return count
    }

    /// A real payload over the victim's limit. Its bytes are left unwritten: nothing in Swift
    /// reads them, libzmq (C) only copies and encrypts them as bytes, and untouched pages cost
    /// this process no memory until then.
    func huge(_ victim: PartyID) async throws -> Int {
        let p = Payload(unsafeUninitializedCount: victimLimit + (1 << 20)) { _ in }
        try await mesh.send(p, to: victim, session: SessionID(0x6261_6469_6465_6173), tag: Tag(1))
        return 1
    }

    func unknown(_ victim: PartyID, _ count: Int, _ size: Int, _ g: inout Seeded) async throws -> Int {
        let body = Payload(g.bytes(size))
        for _ in 0..<count {
            try await mesh.send(body, to: victim, session: SessionID(g.next() | 1 << 63), tag: Tag(g.next()))
        }
        return count
    }

    func ledger(_ victim: PartyID, _ count: Int, _ g: inout Seeded) async throws -> Int {
        for k in 0..<count {
            var m: [UInt8]
            let tag: Tag = k % 5 == 4 ? 2 : 1
            switch k % 5 {
            case 0: m = [UInt8.random(in: 1...7, using: &g)] + g.bytes(Int.random(in: 0...200, using: &g))  // a known type, garbage body
            case 1: m = [UInt8.random(in: 8...255, using: &g)] + g.bytes(8)  // an unknown type
            case 2: m = Array(ConsensusMessage.syncRequest(from: g.next()).encoded.prefix(Int.random(in: 0...8, using: &g)))  // truncated
            case 3: m = ConsensusMessage.status(committed: UInt64.max - UInt64(k)).encoded + g.bytes(Int.random(in: 1...8, using: &g))  // trailing bytes
            default: m = [0xFF, 0xFF, 0xFF, 0xFF] + g.bytes(Int.random(in: 0...64, using: &g))  // a batch claiming 2^32−1 transactions
            }
            try await mesh.send(Payload(m), to: victim, session: LedgerNode.session, tag: tag)
        }
        return count
    }

    func inject(_ victim: PartyID, job: String, _ count: Int, _ g: inout Seeded) async throws -> Int {
        let sessions = [JobSpec.session(forJob: job)] + jobSessionNames.map { subSession(job: job, $0) }
        for k in 0..<count {
            try await mesh.send(
                Payload(g.bytes(Int.random(in: 0...64, using: &g))), to: victim, session: sessions[k % sessions.count],
                tag: Tag(UInt64(k % 16) + 1))
        }
        return count
    }

    /// Lengths no message of a job protocol or engine step has: not 32 (a digest), never
    /// 1 + 8k (an engine step's kind byte and words).
    static let wrongLengths = [0, 2, 3, 5, 6, 7, 31, 34, 1000]

    func wrong(job: String, peers: [PartyID], _ g: inout Seeded) async throws -> Int {
        var n = 0
        for peer in peers {
            for name in jobSessionNames {
                let s = subSession(job: job, name)
                for tag in 1...16 {
                    let len = Self.wrongLengths[Int.random(in: 0..<Self.wrongLengths.count, using: &g)]
                    try await mesh.send(Payload(g.bytes(len)), to: peer, session: s, tag: Tag(UInt64(tag)))
                    n += 1
                }
            }
        }
        return n
    }

    /// Messages from one sender are read in order, so once the victim answers a ledger sync
    /// request sent now, it has taken in everything this peer sent before. Asked again every
    /// 2 s in case a request was lost with a connection the victim dropped (or the victim
    /// limits how often it answers).
    func barrier(_ victim: PartyID, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let request = Payload(ConsensusMessage.syncRequest(from: 1).encoded)
        // A reply to a request of an earlier barrier (one that was asked twice) may still be on
        // its way. Replies come in the order of the requests they answer (lost ones never), so
        // the n-th reply answers the n-th request or a later one: only a reply numbered above
        // every request sent before this barrier is one to a request sent now.
        let earlier = syncs.withLock { $0.requests }
        while ContinuousClock.now < deadline {
            try await mesh.send(request, to: victim, session: LedgerNode.session, tag: 1)
            syncs.withLock { $0.requests += 1 }
            let resend = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < resend {
                let p: Payload
                do { p = try await mesh.receive(from: victim, session: LedgerNode.session, tag: 1, timeout: resend - ContinuousClock.now) } catch let e as NetError where e.code == .timeout {
                    break
                }
                // A reply starts with block 1; the later blocks of a reply do not count.
                guard case .commit(let block, _)? = try? ConsensusMessage(decoding: p.bytes), block.header.height == 1 else { continue }
                if syncs.withLock({ $0.replies += 1; return $0.replies }) > earlier { return }
            }
        }
        throw NetError(.timeout, "\(victim) did not answer a ledger sync request within \(timeout)")
    }
}

func option(_ name: String) -> String {
    let a = CommandLine.arguments
    guard let i = a.firstIndex(of: "--\(name)"), i + 1 < a.count else { fail("missing --\(name)") }
    return a[i + 1]
}

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = ProcessInfo.processInfo.environment["TACIT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
    return h
}

let name = option("name")
let mesh: ZeroMQMesh
do {
    let membership = try LedgerFiles.genesis(path: option("genesis")).verify()
    var config = MeshConfiguration(
        name: PartyID(name), keyPair: CurveKeyPair(secretKey: try KeyFiles.readSecretKey(path: option("key"))),
        consortium: try LedgerFiles.consortium(membership))
    // Its own limit above the victims', so `huge` leaves this process.
    config.maxMessageSize = 2 * MeshLimits.defaultMaxMessageSize
    config.reconnectIntervalMax = .seconds(1)
    config.defaultTimeout = .seconds(120)
    mesh = try ZeroMQMesh(configuration: config)
} catch {
    fail("\(error)")
}
let peer = Peer(mesh: mesh, me: name)
say("READY \(mesh.boundEndpoint)")

while let line = readLine() {
    let f = line.split(separator: " ").map(String.init)
    guard let cmd = f.first else { continue }
    func int(_ i: Int) -> Int? { i < f.count ? Int(f[i]) : nil }
    func seed(_ i: Int) -> Seeded { Seeded(state: i < f.count ? UInt64(f[i]) ?? 1 : 1) }
    do {
        var g = seed(f.count - 1)
        let victim = PartyID(f.count > 1 ? f[1] : "")
        let sent: Int
        switch (cmd, f.count) {
        case ("random", 4): sent = try await peer.random(victim, int(2) ?? 0, &g)
        case ("heads", 4): sent = try await peer.heads(victim, int(2) ?? 0, &g)
        case ("truncated", 4): sent = try await peer.truncated(victim, int(2) ?? 0, &g)
        case ("oversized", 4): sent = try await peer.oversized(victim, int(2) ?? 0, &g)
        case ("huge", 2): sent = try await peer.huge(victim)
        case ("unknown", 5): sent = try await peer.unknown(victim, int(2) ?? 0, int(3) ?? 0, &g)
        case ("ledger", 4): sent = try await peer.ledger(victim, int(2) ?? 0, &g)
        case ("inject", 5): sent = try await peer.inject(victim, job: f[2], int(3) ?? 0, &g)
        case ("wrong", 4): sent = try await peer.wrong(job: f[1], peers: f[2].split(separator: ",").map { PartyID(String($0)) }, &g)
        case ("barrier", 3):
            try await peer.barrier(victim, timeout: .seconds(int(2) ?? 60))
            say("OK barrier")
            continue
        case ("quit", _):
            mesh.close()
            say("BYE")
            exit(0)
        default:
            say("ERR usage: unknown command or wrong number of arguments: \(line)")
            continue
        }
        say("OK \(cmd) sent=\(sent)")
    } catch let e as NetError {
        say("ERR \(e.code) \(e.reason)")
    } catch {
        say("ERR \(error)")
    }
}
mesh.close()
