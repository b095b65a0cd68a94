// `tacit-mpc-peer millionaire`: one side of make bench-millionaire. Both parties draw the same
// pairs from a shared seed, so each checks every answer against the plaintext comparison: a
// path that computes wrongly fails the benchmark instead of timing it.
import Foundation
import TacitMillionaires
import TacitNet

/// SplitMix64: the same pairs on both sides (benchmark data, not secrets).
struct PairStream {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func millionaire(_ o: Options, _ mesh: ZeroMQMesh) async throws {
    let single = o.int("single", 1000)
    let batch = o.int("batch", 1_000_000)
    let heBatch = o.int("he-batch", 10_000)
    let parties = mesh.parties
    guard parties.count == 2 else { fail("millionaire needs a consortium of exactly two parties") }
    let me = mesh.localParty
    let peer = mesh.peers[0]
    let role: ComparisonRole = me == parties[0] ? .holdsX : .holdsY
    let reveal = mesh.session(SessionID(7000))
    var revealTag: UInt64 = 0

    /// Both learn: each sends its share of [x < y] and combines; checked against plaintext.
    func open(_ shares: ComparisonShares, _ x: [UInt64], _ y: [UInt64]) async throws {
        revealTag += 1
        var packed = [UInt8](repeating: 0, count: (shares.lessThan.count + 7) / 8)
        for (i, b) in shares.lessThan.enumerated() where b { packed[i >> 3] |= 1 << UInt8(i & 7) }
        try await reveal.send(Payload(packed), to: peer, tag: Tag(revealTag))
        let theirs = try await reveal.receive(from: peer, tag: Tag(revealTag)).bytes
        guard theirs.count == packed.count else { fail("\(peer) sent \(theirs.count) bytes of shares; expected \(packed.count)") }
        for i in 0..<x.count where ((packed[i >> 3] ^ theirs[i >> 3]) >> UInt8(i & 7)) & 1 == 1 ? !(x[i] < y[i]) : (x[i] < y[i]) {
            fail("comparison \(i) is wrong: the path computed \(!(x[i] < y[i])) for x < y")
        }
    }

    func pairs(_ n: Int, seed: UInt64) -> ([UInt64], [UInt64]) {
        var g = PairStream(state: seed)
        var x = [UInt64](), y = [UInt64]()
        x.reserveCapacity(n)
        y.reserveCapacity(n)
        for i in 0..<n {
            let a = g.next()
            // Every 16th pair equal, and every 16th off by one: the cases a wrong path misses.
            let b = i % 16 == 0 ? a : i % 16 == 1 ? a &+ 1 : g.next()
            x.append(a)
            y.append(b)
        }
        return (x, y)
    }

    var fields: [String] = []
    var session: UInt64 = 7100
    for kind in [Millionaires.PathKind.ot, .he] {
        let k = kind.rawValue
        session += 1
        let path = try Millionaires.makePath(kind, channel: mesh.session(SessionID(session)), peer: peer, role: role, bits: 64)
        let t0 = ContinuousClock.now
        try await path.prepare(count: single)
        let offline = seconds(ContinuousClock.now - t0)
        let before = path.stats
        let (xs, ys) = pairs(single, seed: 1)
        var latencies: [Double] = []
        for i in 0..<single {
            let t = ContinuousClock.now
            let s = try await path.compare([role == .holdsX ? xs[i] : ys[i]])
            try await open(s, [xs[i]], [ys[i]])
            latencies.append(seconds(ContinuousClock.now - t))
        }
        let after = path.stats
        latencies.sort()
        let p50 = latencies[latencies.count / 2] * 1e3
        let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1e3
        let bytes = Double(after.onlineBytesSent + after.onlineBytesReceived - before.onlineBytesSent - before.onlineBytesReceived) / Double(single)
        let rounds = Double(after.onlineRounds - before.onlineRounds) / Double(single)
        let offBytes = Double(after.offlineBytesSent + after.offlineBytesReceived) / Double(single)
        fields += [
            String(format: "%@_online_p50_ms=%.3f %@_online_p99_ms=%.3f", k, p50, k, p99),
            String(format: "%@_offline_ms_per_cmp=%.3f %@_offline_bytes_per_cmp=%.0f", k, offline * 1e3 / Double(single), k, offBytes),
            String(format: "%@_online_bytes_per_cmp=%.0f %@_online_rounds=%.1f", k, bytes, k, rounds),
        ]
        say("\(k): \(single) single comparisons checked; p50 \(String(format: "%.3f", p50)) ms (both learn, after \(String(format: "%.2f", offline)) s offline)")

        // Throughput from nothing: a fresh path, its preprocessing, the comparisons, the answers.
        let n = kind == .ot ? batch : heBatch
        session += 1
        let (bx, by) = pairs(n, seed: 2)
        let tb = ContinuousClock.now
        let fresh = try Millionaires.makePath(kind, channel: mesh.session(SessionID(session)), peer: peer, role: role, bits: 64)
        try await fresh.prepare(count: n)
        let shares = try await fresh.compare(role == .holdsX ? bx : by)
        try await open(shares, bx, by)
        let total = seconds(ContinuousClock.now - tb)
        fields.append(String(format: "%@_batch=%d %@_batch_cmp_per_s=%.0f", k, n, k, Double(n) / total))
        say("\(k): \(n) comparisons in one batch checked in \(String(format: "%.2f", total)) s, preprocessing included")
    }
    if me == parties[0] {
        let line = fields.joined(separator: " ")
        // The batch path is the OT path vectorised.
        let batchRate = line.split(separator: " ").first { $0.hasPrefix("ot_batch_cmp_per_s=") }.map { $0.dropFirst("ot_batch_cmp_per_s=".count) } ?? "0"
        say("TACIT \(line) batch_cmp_per_s=\(batchRate)")
    }
}
