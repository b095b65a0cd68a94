// MPC and job-protocol messages (TacitMPC/MPCContext.swift, the engines, the job protocols and
// the result-digest round): a whole job runs over an in-memory mesh with one party whose
// outgoing messages the fuzzer rewrites: a member that runs the program but sends what it
// likes. The honest parties must fail with an error (or finish), never trap or hang.
//
// Input: byte 0 picks the job (protocol and engine), byte 1 the misbehaving party; then edits
// of [message number, operation, 2-byte length, bytes]: replace the message, XOR the bytes in
// at the start, truncate to that length, or append the bytes. Messages not named go unchanged.
import Dispatch
import Logging
import FuzzSupport
import Synchronization
import TacitCrypto
import TacitJob
import TacitJobHarness
import TacitMath
import TacitNet
import TacitProtocols

struct Edit { let op: UInt8; let bytes: [UInt8] }

/// Rewrites the n-th message this party sends, as the edits say.
final class MisbehavingChannel: PartyChannel {
    let base: InMemoryChannel
    let edits: [Int: Edit]
    let sent = Mutex(0)
    init(base: InMemoryChannel, edits: [Int: Edit]) { self.base = base; self.edits = edits }
    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { base.parties }
    var defaultTimeout: Duration { base.defaultTimeout }
    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws {
        let n = sent.withLock { v in defer { v += 1 }; return v }
        guard let e = edits[n] else { return try await base.send(payload, to: peer, session: session, tag: tag) }
        var b = payload.bytes
        switch e.op % 4 {
        case 0: b = e.bytes
        case 1: for i in 0..<min(b.count, e.bytes.count) { b[i] ^= e.bytes[i] }
        case 2: b = Array(b.prefix(e.bytes.count))
        default: b += e.bytes
        }
        try await base.send(Payload(b), to: peer, session: session, tag: tag)
    }
    func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws -> Payload {
        try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }
    func endSession(_ session: SessionID) { base.endSession(session) }
}

let parties: [PartyID] = ["a", "b", "c"]
let registry = JobProtocolRegistry.standard()
let inputs: [PartyID: DatasetInput] = [
    "a": .column("amount", ["12.50", "-3.25", "100.00"], party: "a"),
    "b": .column("amount", ["7.75", "0.01"], party: "b"),
]
let dealt = try! Paillier.dealThresholdKey(
    p: SmallPaillier.p, q: SmallPaillier.q, threshold: 2, parties: 3, policy: .insecureAnySizeForTesting)
let paillierResources: [PartyID: JobResources] = Dictionary(uniqueKeysWithValues: parties.enumerated().map { i, p in
    (p, JobResources(paillier: PaillierKeyMaterial(share: dealt.1[i], indexOf: Dictionary(uniqueKeysWithValues: parties.enumerated().map { ($1, $0 + 1) }))))
})

/// The jobs, one per selector value: every shipped job protocol, each share engine.
let jobs: [JobSpec] = {
    func spec(_ proto: String, _ engine: String?, _ params: [String: String], _ outs: [String]) -> JobSpec {
        JobHarness.spec(
            protocol: proto, engine: engine, inputs: inputs, compute: ["c"], parameters: params,
            outputs: outs.map { JobSpec.Output(name: $0, recipients: ["a", "c"]) }, id: "fuzz")
    }
    return [
        spec("statistics", "additive-dealer", ["statistic": "sum", "dealer": "c"], ["total"]),
        spec("statistics", "additive-ot", ["statistic": "mean"], ["mean"]),
        spec("statistics", "shamir", ["statistic": "count-above", "threshold": "5"], ["count"]),
        spec("mean-variance", "shamir", [:], ["mean", "variance"]),
        spec("paillier-aggregation", nil, ["statistic": "sum"], ["total"]),
    ]
}()

func run(_ spec: JobSpec, attacker: PartyID, edits: [Int: Edit]) async {
    // In one process a step takes milliseconds; a short timeout and cancelling the others at
    // the first failure (as nodes do when a job fails) keep an edit that silences a party
    // from costing the target seconds per input.
    let mesh = InMemoryMesh(parties: parties, defaultTimeout: .seconds(2))
    let proto = try! registry.named(spec.protocolName)
    let resources = spec.protocolName == "paillier-aggregation" ? paillierResources : [:]
    await withTaskGroup(of: Bool.self) { group in
        for p in parties {
            group.addTask {
                let base = mesh.channel(for: p)
                let channel: any PartyChannel = p == attacker ? MisbehavingChannel(base: base, edits: edits) : base
                do {
                    _ = try await JobRunner.run(
                        proto, spec: spec, localParty: p, channel: channel.session(spec.session), input: inputs[p],
                        resources: resources[p] ?? .none, engines: registry.engines, stepTimeout: .seconds(2),
                        logger: .init(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
                    return true
                } catch {
                    return false
                }
            }
        }
        for await ok in group where !ok { group.cancelAll() }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    for s in jobs { precondition(s.problems(in: registry).isEmpty, "fuzz job \(s.protocolName) is invalid: \(s.problems(in: registry))") }
    FuzzSeeds.writeIfAsked {
        var seeds: [(String, [UInt8])] = []
        for (j, s) in jobs.enumerated() {
            let name = s.protocolName + (s.engine.map { "-" + $0 } ?? "")
            seeds.append(("\(name)-honest", [UInt8(j), 0]))
            seeds.append(("\(name)-flip-first", FuzzInput.fields(UInt8(j), []) + [1, 0, 1, 0, 1, 0xff]))
            seeds.append(("\(name)-truncate-third", [UInt8(j), 2, 2, 2, 0, 1, 0]))
            seeds.append(("\(name)-append-fifth", [UInt8(j), 0, 4, 3, 0, 8] + [UInt8](repeating: 0xee, count: 8)))
        }
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let spec = jobs[Int(input.byte()) % jobs.count]
    let attacker = parties[Int(input.byte()) % parties.count]
    var edits: [Int: Edit] = [:]
    while input.position < input.bytes.count, edits.count < 16 {
        let n = Int(input.byte())
        let op = input.byte()
        edits[n] = Edit(op: op, bytes: input.field())
    }
    let done = DispatchSemaphore(value: 0)
    Task {
        await run(spec, attacker: attacker, edits: edits)
        done.signal()
    }
    done.wait()
    return 0
}
