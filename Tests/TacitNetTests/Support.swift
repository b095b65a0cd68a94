import Foundation
import Synchronization
import Testing

@testable import TacitNet
import TacitTestSupport

extension TestConsortium {
    func start(_ name: String, consortiumPath: String? = nil, extra: [String] = []) async throws -> PeerProcess {
        let p = try PeerProcess(
            name: name,
            arguments: ["node", "--name", name, "--key", key(name), "--consortium", consortiumPath ?? path] + extra)
        try await p.waitReady()
        return p
    }
}

extension PeerProcess {
    convenience init(name: String, arguments: [String]) throws {
        try self.init(executable: "tacit-net-peer", name: name, arguments: arguments)
    }
}

/// The helper's payload generator, reproduced to compute expected checksums.
func expectedChecksum(size: Int, seed: UInt64) -> String {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for _ in 0..<size {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        h = (h ^ UInt64(UInt8(truncatingIfNeeded: x))) &* 0x100_0000_01b3
    }
    return String(h, radix: 16)
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.isEmpty ? "-" : bytes.map { String(format: "%02x", $0) }.joined()
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. For state
/// only observable through counters (a refused handshake, a cut connection): the wait ends
/// as soon as the condition is met, the timeout only bounds a failure.
func eventually(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Mesh "a" of a two-member consortium whose "b" never comes up, with ZeroMQ's pipe and
/// Tacit's queue towards b both 4 messages deep: what fills up, and when, is then known.
func meshTowardsAbsentPeer(timeout: Duration) throws -> ZeroMQMesh {
    let (ka, kb) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
    let ports = try freePorts(2)
    let c = try Consortium(members: [
        .init(name: "a", publicKey: ka.publicKey, endpoint: "tcp://127.0.0.1:\(ports[0])"),
        .init(name: "b", publicKey: kb.publicKey, endpoint: "tcp://127.0.0.1:\(ports[1])"),
    ])
    var config = MeshConfiguration(name: "a", keyPair: ka, consortium: c)
    config.sendHighWaterMark = 4
    config.sendQueueLimit = 4
    config.defaultTimeout = timeout
    config.linger = .zero
    return try ZeroMQMesh(configuration: config)
}
