// A party node driven line by line on stdin, for the multi-process transport tests, and the
// Swift side of `make bench-transport`. Not a user-facing tool: `tacit` is.
//
//   tacit-net-peer node  --name A --key A.key --consortium c.yaml [--plain] [--max-size N] [--timeout-ms N]
//   tacit-net-peer bench --role server|client ... --mode rtt|thr --size N --count N
//
// Node commands (one reply line each):
//   send PEER SESSION TAG SIZE SEED       -> OK send
//   recv PEER SESSION TAG TIMEOUT_MS      -> OK recv SIZE CHECKSUM | ERR CODE reason
//   raw PEER HEX[,HEX...]                 -> OK raw            (frames sent verbatim)
//   stats                                 -> STATS k=v ...
//   quit                                  -> exits 0
import Foundation
import Logging
@_spi(Testing) import TacitNet

struct Options {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    init(_ args: ArraySlice<String>) {
        var it = args.makeIterator()
        while let a = it.next() {
            guard a.hasPrefix("--") else { continue }
            let k = String(a.dropFirst(2))
            if k == "plain" || k == "io-executor" { flags.insert(k) } else { values[k] = it.next() ?? "" }
        }
    }
    func require(_ k: String) -> String {
        guard let v = values[k] else { fail("missing --\(k)") }
        return v
    }
    func int(_ k: String, _ d: Int) -> Int { values[k].flatMap(Int.init) ?? d }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tacit-net-peer: \(message)\n".utf8))
    exit(2)
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Deterministic bytes both sides can regenerate: lets a test check content without
/// shipping it through the test process.
func pattern(size: Int, seed: UInt64) -> Payload {
    Payload(unsafeUninitializedCount: size) { buf in
        var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in 0..<size {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            buf[i] = UInt8(truncatingIfNeeded: x)
        }
    }
}

func checksum(_ p: Payload) -> String {
    p.withUnsafeBytes { b in
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in b { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}

func hexBytes(_ s: Substring) -> [UInt8]? {
    if s == "-" { return [] }
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex) ?? s.endIndex
        guard let b = UInt8(s[i..<j], radix: 16) else { return nil }
        out.append(b)
        i = j
    }
    return out
}

func makeMesh(_ o: Options) throws -> ZeroMQMesh {
    let consortium = try Consortium.load(path: o.require("consortium"))
    let secret = try KeyFiles.readSecretKey(path: o.require("key"))
    var config = MeshConfiguration(
        name: PartyID(o.require("name")), keyPair: CurveKeyPair(secretKey: secret), consortium: consortium)
    if o.flags.contains("plain") { config.security = .plainTCPInsecure }
    config.maxMessageSize = o.int("max-size", config.maxMessageSize)
    config.defaultTimeout = .milliseconds(o.int("timeout-ms", 60_000))
    // Tests kill and restart peers: redial quickly.
    config.reconnectIntervalMax = .milliseconds(o.int("reconnect-max-ms", 1000))
    config.linger = .milliseconds(500)
    return try ZeroMQMesh(configuration: config)
}

func runNode(_ o: Options) async {
    let mesh: ZeroMQMesh
    do { mesh = try makeMesh(o) } catch { fail("\(error)") }
    say("READY \(mesh.boundEndpoint)")
    while let line = readLine() {
        let f = line.split(separator: " ")
        guard let cmd = f.first else { continue }
        do {
            switch cmd {
            case "send" where f.count == 6:
                guard let session = UInt64(f[2]), let tag = UInt64(f[3]), let size = Int(f[4]), let seed = UInt64(f[5])
                else { say("ERR usage bad numbers"); continue }
                try await mesh.send(
                    pattern(size: size, seed: seed), to: PartyID(String(f[1])), session: SessionID(session), tag: Tag(tag))
                say("OK send")
            case "recv" where f.count == 5:
                guard let session = UInt64(f[2]), let tag = UInt64(f[3]), let ms = Int(f[4])
                else { say("ERR usage bad numbers"); continue }
                let p = try await mesh.receive(
                    from: PartyID(String(f[1])), session: SessionID(session), tag: Tag(tag), timeout: .milliseconds(ms))
                say("OK recv \(p.count) \(checksum(p))")
            case "raw" where f.count == 3:
                let frames = f[2].split(separator: ",").map(hexBytes)
                guard frames.allSatisfy({ $0 != nil }) else { say("ERR usage bad hex"); continue }
                try await mesh.sendRawFrames(frames.compactMap { $0 }, to: PartyID(String(f[1])))
                say("OK raw")
            case "stats":
                say("STATS \(mesh.stats)")
            case "quit":
                mesh.close()
                say("BYE")
                exit(0)
            default:
                say("ERR usage unknown command")
            }
        } catch let e as NetError {
            say("ERR \(e.code) \(e.reason)")
        } catch {
            say("ERR other \(error)")
        }
    }
    mesh.close()
}

/// Round trips (rtt) or a one-way stream (thr) between two processes, timed on the client.
/// `--io-executor` runs the loop on the mesh's I/O thread (`ZeroMQMesh.ioExecutor`).
func runBench(_ o: Options) async {
    let mesh: ZeroMQMesh
    do { mesh = try makeMesh(o) } catch { fail("\(error)") }
    if o.flags.contains("io-executor") {
        await withTaskExecutorPreference(mesh.ioExecutor) { await benchLoop(o, mesh) }
    } else {
        await benchLoop(o, mesh)
    }
    // Let the last reply flush before the context is torn down.
    mesh.close()
}

func benchLoop(_ o: Options, _ mesh: ZeroMQMesh) async {
    let role = o.require("role")
    let mode = o.require("mode")
    let size = o.int("size", 64)
    let count = o.int("count", 1000)
    let warmup = o.int("warmup", 100)
    let peer = PartyID(o.require("peer"))
    let s = SessionID(1)
    let payload = pattern(size: size, seed: 7)
    say("READY \(mesh.boundEndpoint)")
    do {
        switch (role, mode) {
        case ("server", "rtt"):
            for _ in 0..<(count + warmup) {
                let p = try await mesh.receive(from: peer, session: s, tag: 1)
                try await mesh.send(p, to: peer, session: s, tag: 2)
            }
        case ("client", "rtt"):
            var samples: [Double] = []
            samples.reserveCapacity(count)
            let clock = ContinuousClock()
            for i in 0..<(count + warmup) {
                let t0 = clock.now
                try await mesh.send(payload, to: peer, session: s, tag: 1)
                _ = try await mesh.receive(from: peer, session: s, tag: 2)
                let dt = clock.now - t0
                if i >= warmup {
                    let (sec, atto) = dt.components
                    samples.append(Double(sec) * 1e6 + Double(atto) / 1e12)
                }
            }
            samples.sort()
            let p50 = samples[samples.count / 2]
            let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
            say("RESULT rtt p50_us=\(String(format: "%.1f", p50)) p99_us=\(String(format: "%.1f", p99))")
        case ("server", "thr"):
            for _ in 0..<(count + warmup) { _ = try await mesh.receive(from: peer, session: s, tag: 1) }
            try await mesh.send(Payload([1]), to: peer, session: s, tag: 2)
        case ("client", "thr"):
            // Warm-up messages open the connection and the CURVE handshake before timing.
            for _ in 0..<warmup { try await mesh.send(payload, to: peer, session: s, tag: 1) }
            let clock = ContinuousClock()
            let t0 = clock.now
            for _ in 0..<count { try await mesh.send(payload, to: peer, session: s, tag: 1) }
            _ = try await mesh.receive(from: peer, session: s, tag: 2)
            let (sec, atto) = (clock.now - t0).components
            let seconds = Double(sec) + Double(atto) / 1e18
            let mbps = Double(size * count) / seconds / 1e6
            say("RESULT thr mbps=\(String(format: "%.1f", mbps)) msgs_per_s=\(String(format: "%.0f", Double(count) / seconds))")
        default:
            fail("unknown role/mode \(role)/\(mode)")
        }
    } catch {
        fail("bench failed: \(error)")
    }
}

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = ProcessInfo.processInfo.environment["TACIT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
    return h
}
let args = CommandLine.arguments.dropFirst()
switch args.first {
case "node": await runNode(Options(args.dropFirst()))
case "bench": await runBench(Options(args.dropFirst()))
default: fail("usage: tacit-net-peer node|bench --name N --key K --consortium C ...")
}
