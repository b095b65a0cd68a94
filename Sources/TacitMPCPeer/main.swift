// One MPC party as a process over ZeroMQ (CURVE), for the multi-process tests and
// `make bench-mpc`. Not a user-facing tool: `tacit` is.
//
//   tacit-mpc-peer check --name N --key K --consortium C --protocol P [--timeout-ms N]
//       runs a small fixed program and prints `RESULT mul=… lt=… fixed=… sum=…`
//   tacit-mpc-peer bench --name N --key K --consortium C [--size N] [--triples N] [--cmp-size N]
//       online multiplications and comparisons (additive-dealer), dealer-free triple
//       generation (additive-ot), the replicated engine's multiplications, comparisons and
//       fixed-point multiplications, and raw ZeroMQ throughput between the first two parties.
//   tacit-mpc-peer millionaire --name N --key K --consortium C [--single N] [--batch N] [--he-batch N]
//       two parties' 64-bit comparisons on both paths of the millionaires job (Millionaire.swift).
import Foundation
import TacitAdditive
import TacitReplicated
import TacitMPC
import TacitNet
import TacitProtocols

struct Options {
    var values: [String: String] = [:]
    init(_ args: ArraySlice<String>) {
        var it = args.makeIterator()
        while let a = it.next() {
            if a.hasPrefix("--") { values[String(a.dropFirst(2))] = it.next() ?? "" }
        }
    }
    func require(_ k: String) -> String {
        guard let v = values[k] else { fail("missing --\(k)") }
        return v
    }
    func int(_ k: String, _ d: Int) -> Int { values[k].flatMap(Int.init) ?? d }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tacit-mpc-peer: \(message)\n".utf8))
    exit(2)
}

func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func makeMesh(_ o: Options) throws -> ZeroMQMesh {
    let consortium = try Consortium.load(path: o.require("consortium"))
    let secret = try KeyFiles.readSecretKey(path: o.require("key"))
    var config = MeshConfiguration(
        name: PartyID(o.require("name")), keyPair: CurveKeyPair(secretKey: secret), consortium: consortium)
    config.defaultTimeout = .milliseconds(o.int("timeout-ms", 120_000))
    return try ZeroMQMesh(configuration: config)
}

func seconds(_ d: Duration) -> Double {
    let (s, a) = d.components
    return Double(s) + Double(a) / 1e18
}

func check(_ o: Options, _ mesh: ZeroMQMesh) async throws {
    let proto = try EngineRegistry.standard().named(o.require("protocol"))
    let timeout = Duration.milliseconds(o.int("timeout-ms", 60_000))
    let line = try await proto.run(channel: mesh.session(SessionID(42)), timeout: timeout) { engine in
        try await checkProgram(engine)
    }
    say("RESULT \(line)")
}

func checkProgram<E: MPCEngine>(_ e: E) async throws -> String {
    let ps = e.context.parties
    let me = e.context.localParty
    let x = try await e.input(me == ps[0] ? [3, -4, 5, 1 << 20] : nil, from: ps[0], count: 4)
    let y = try await e.input(me == ps[1] ? [7, 8, -9, 3 << 16] : nil, from: ps[1], count: 4)
    let mul = try await e.reveal(try await e.multiply(x, y))
    let lt = try await e.reveal(try await e.lessThan(x, y))
    let fixed = try await e.reveal(try await e.multiplyFixed(x, y, fractionalBits: 16))
    let sum = try await e.reveal(e.sum(x))
    func j(_ v: [Int64]) -> String { v.map(String.init).joined(separator: ",") }
    return "mul=\(j(mul)) lt=\(j(lt)) fixed=\(j(fixed)) sum=\(j(sum))"
}

/// Bytes this party sends per element for an operation, from the protocol's declared cost.
func bench(_ o: Options, _ mesh: ZeroMQMesh) async throws {
    let size = o.int("size", 1 << 20)
    let cmpSize = o.int("cmp-size", 1 << 20)
    let tripleCount = o.int("triples", 1 << 17)
    let parties = mesh.parties
    let n = parties.count
    let me = mesh.localParty
    let timeout = Duration.seconds(600)

    // 1. Raw link: the first party streams 1 MiB messages to the second.
    var linkMBps = 0.0
    do {
        let s = SessionID(1)
        let a = parties[0], b = parties[1]
        let msg = Payload(unsafeUninitializedCount: 1 << 20) { buf in
            for i in 0..<buf.count { buf[i] = UInt8(truncatingIfNeeded: i &* 31) }
        }
        let count = o.int("link-messages", 400)
        if me == a {
            for _ in 0..<20 { try await mesh.send(msg, to: b, session: s, tag: 1) }
            _ = try await mesh.receive(from: b, session: s, tag: 2, timeout: timeout)
            let t0 = ContinuousClock.now
            for _ in 0..<count { try await mesh.send(msg, to: b, session: s, tag: 3) }
            _ = try await mesh.receive(from: b, session: s, tag: 4, timeout: timeout)
            linkMBps = Double(count << 20) / seconds(ContinuousClock.now - t0) / 1e6
            say("LINK mbps=\(String(format: "%.1f", linkMBps))")
        } else if me == b {
            for _ in 0..<20 { _ = try await mesh.receive(from: a, session: s, tag: 1, timeout: timeout) }
            try await mesh.send(Payload([1]), to: a, session: s, tag: 2)
            for _ in 0..<count { _ = try await mesh.receive(from: a, session: s, tag: 3, timeout: timeout) }
            try await mesh.send(Payload([1]), to: a, session: s, tag: 4)
        }
    }

    // 2. Online multiplication and comparison with dealer preprocessing.
    let dealer = AdditiveProtocol(preprocessing: .dealer(nil))
    let online = try await dealer.run(channel: mesh.session(SessionID(2)), timeout: timeout) { any in
        let engine = any as! AdditiveEngine
        let c = engine.comparisonTriples(cmpSize)
        let tp = ContinuousClock.now
        try await engine.preprocess(arithmeticTriples: size + c.arithmetic, binaryTriples: c.binary)
        let prep = seconds(ContinuousClock.now - tp)
        let ps = engine.context.parties
        let x = try await engine.input(me == ps[0] ? (0..<size).map { Int64($0) - 1000 } : nil, from: ps[0], count: size)
        let y = try await engine.input(me == ps[1] ? (0..<size).map { Int64($0 % 977) } : nil, from: ps[1], count: size)
        _ = try await engine.reveal(engine.sum(x))  // barrier
        let t0 = ContinuousClock.now
        let z = try await engine.multiply(x, y)
        let tMul = seconds(ContinuousClock.now - t0)
        let xs = engine.slice(x, 0..<cmpSize), ys = engine.slice(y, 0..<cmpSize)
        _ = try await engine.reveal(engine.sum(z))  // barrier
        let t1 = ContinuousClock.now
        let lt = try await engine.lessThan(xs, ys)
        let tCmp = seconds(ContinuousClock.now - t1)
        // Check a few results so the figures are of correct computations.
        let opened = try await engine.reveal(engine.slice(lt, 0..<16))
        let zOpen = try await engine.reveal(engine.slice(z, 0..<16))
        for i in 0..<16 {
            let xi = Int64(i) - 1000, yi = Int64(i % 977)
            guard opened[i] == (xi < yi ? 1 : 0), zOpen[i] == xi &* yi else {
                throw MPCError(.inconsistentShares, "bench self-check failed at element \(i)")
            }
        }
        return (tMul, tCmp, prep)
    }
    let (tMul, tCmp, prep) = online
    let mulBytes = Double(dealer.descriptor.cost(.multiply, n).bytesSentPerElement * n * size)
    let cmpBytes = Double(dealer.descriptor.cost(.lessThan, n).bytesSentPerElement * n * cmpSize)

    // 3. Dealer-free triples by OT extension.
    let ot = AdditiveProtocol(preprocessing: .obliviousTransfer)
    let cpuBefore = cpuSeconds(), bytesBefore = mesh.stats.bytesSent
    let (tSetup, tTriples) = try await ot.run(channel: mesh.session(SessionID(3)), timeout: timeout) { any in
        let engine = any as! AdditiveEngine
        let t0 = ContinuousClock.now
        try await engine.preprocess(arithmeticTriples: 1024, binaryTriples: 0)  // warm-up after base OTs
        let tSetup = seconds(ContinuousClock.now - t0)
        let t1 = ContinuousClock.now
        try await engine.preprocess(arithmeticTriples: tripleCount, binaryTriples: 0)
        return (tSetup, seconds(ContinuousClock.now - t1))
    }
    // This process's CPU (all threads, the mesh's and libzmq's included) and bytes sent over
    // the triples, setup and the final confirmation round included (a few hundred bytes).
    let tripleCPU = cpuSeconds() - cpuBefore
    let tripleBytes = mesh.stats.bytesSent - bytesBefore

    // 4. Three-party replicated sharing: no preprocessing, so the times include all the
    // correlated randomness (PRG). Median of `rep3-runs` runs of each operation.
    let repRuns = max(1, o.int("rep3-runs", 5))
    let rep = ReplicatedProtocol()
    let (rMul, rCmp, rFix) = try await rep.run(channel: mesh.session(SessionID(4)), timeout: timeout) { any in
        guard let e = any as? ReplicatedEngine else { throw MPCError(.unsupported, "not the replicated engine") }
        let ps = e.context.parties
        let x = try await e.input(me == ps[0] ? (0..<size).map { Int64($0) - 1000 } : nil, from: ps[0], count: size)
        let y = try await e.input(me == ps[1] ? (0..<size).map { Int64($0 % 977) } : nil, from: ps[1], count: size)
        let xs = e.slice(x, 0..<cmpSize), ys = e.slice(y, 0..<cmpSize)
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        var tm: [Double] = [], tc: [Double] = [], tf: [Double] = []
        var z = x, lt = xs, fx = xs
        for _ in 0..<repRuns {
            _ = try await e.reveal(e.sum(x))  // barrier
            let t0 = ContinuousClock.now
            z = try await e.multiply(x, y)
            tm.append(seconds(ContinuousClock.now - t0))
            _ = try await e.reveal(e.sum(z))
            let t1 = ContinuousClock.now
            lt = try await e.lessThan(xs, ys)
            tc.append(seconds(ContinuousClock.now - t1))
            _ = try await e.reveal(e.sum(lt))
            let t2 = ContinuousClock.now
            fx = try await e.multiplyFixed(xs, ys, fractionalBits: 8)
            tf.append(seconds(ContinuousClock.now - t2))
        }
        let check = try await e.reveal(e.concatenate([e.slice(z, 0..<16), e.slice(lt, 0..<16), e.slice(fx, 0..<16)]))
        for i in 0..<16 {
            let xi = Int64(i) - 1000, yi = Int64(i % 977)
            let fixed = Int64((Int128(xi) * Int128(yi)) >> 8)
            guard check[i] == xi &* yi, check[16 + i] == (xi < yi ? 1 : 0), (0...1).contains(check[32 + i] - fixed) else {
                throw MPCError(.inconsistentShares, "replicated bench self-check failed at element \(i)")
            }
        }
        return (median(tm), median(tc), median(tf))
    }

    if me == parties[0] {
        let rc = rep.descriptor.cost
        say(String(format: "REP3 MUL size=%d seconds=%.4f per_s=%.0f bytes_per_op=%d (party 0; median of %d)",
                   size, rMul, Double(size) / rMul, rc(.multiply, 3).bytesSentPerElement, repRuns))
        say(String(format: "REP3 CMP size=%d seconds=%.4f per_s=%.0f bytes_per_op=%d", cmpSize, rCmp, Double(cmpSize) / rCmp, rc(.lessThan, 3).bytesSentPerElement))
        say(String(format: "REP3 FIXMUL size=%d seconds=%.4f per_s=%.0f bytes_per_op=%d", cmpSize, rFix, Double(cmpSize) / rFix, rc(.multiplyFixed, 3).bytesSentPerElement))
        let mulPerS = Double(size) / tMul
        let cmpPerS = Double(cmpSize) / tCmp
        let triplesPerS = Double(tripleCount) / tTriples
        // All bytes every party sent in the two online phases, per second, against one link.
        let onlineMBps = (mulBytes + cmpBytes) / (tMul + tCmp) / 1e6
        let util = linkMBps > 0 ? onlineMBps / linkMBps : 0
        say(String(format: "MUL n=%d size=%d seconds=%.3f per_s=%.0f bytes=%.0f", n, size, tMul, mulPerS, mulBytes))
        say(String(format: "CMP n=%d size=%d seconds=%.3f per_s=%.0f bytes=%.0f", n, cmpSize, tCmp, cmpPerS, cmpBytes))
        say(String(format: "PREP dealer seconds=%.3f (triples for the multiplications and comparisons)", prep))
        say(String(format: "OT setup+1024 seconds=%.3f triples=%d seconds=%.3f", tSetup, tripleCount, tTriples))
        let perTriple = Double(tripleCount + 1024)
        say(String(format: "TRIPLES party 0: cpu_us_per_triple=%.2f bytes_sent_per_triple=%.0f (SoftSpokenOT k=%d, %d parties)",
                   tripleCPU / perTriple * 1e6, Double(tripleBytes) / perTriple, OTTripleSource.defaultSubspaceBits, n))
        say(String(format: "ONLINE mbps=%.1f link_mbps=%.1f", onlineMBps, linkMBps))
        say(String(format: "RESULT mul_per_s=%.0f cmp_per_s=%.0f triples_per_s=%.0f triple_cpu_us=%.2f triple_bytes=%.0f link_utilisation=%.2f rep3_mul_per_s=%.0f rep3_cmp_per_s=%.0f rep3_fixmul_per_s=%.0f",
                   mulPerS, cmpPerS, triplesPerS, tripleCPU / perTriple * 1e6, Double(tripleBytes) / perTriple, util, Double(size) / rMul, Double(cmpSize) / rCmp, Double(cmpSize) / rFix))
    }
}

/// User plus system CPU seconds of this process, all threads.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

let args = CommandLine.arguments.dropFirst()
let o = Options(args.dropFirst())
let mesh: ZeroMQMesh
do { mesh = try makeMesh(o) } catch { fail("\(error)") }
say("READY \(mesh.boundEndpoint)")
do {
    switch args.first {
    case "check": try await check(o, mesh)
    case "bench": try await bench(o, mesh)
    case "millionaire": try await millionaire(o, mesh)
    default: fail("usage: tacit-mpc-peer check|bench|millionaire --name N --key K --consortium C ...")
    }
} catch let e as MPCError {
    say("ERROR \(e.code) \(e)")
    mesh.close()
    exit(1)
} catch {
    say("ERROR other \(error)")
    mesh.close()
    exit(1)
}
// Let the last messages flush before the context is torn down.
try? await Task.sleep(for: .milliseconds(300))
mesh.close()
