import Testing
@testable import TacitMPC
import TacitMath
import TacitNet
import TacitBytes

@Suite("SoftSpokenOT triples")
struct SoftSpokenTests {
    /// The all-but-one seeds: for every k and every punctured point D, the sender rebuilds
    /// exactly the receiver's leaves but D's, from the masked level sums and the base-OT keys
    /// of D's bits; with the other key of any level, it would get a different tree.
    @Test("the GGM tree gives the sender every leaf but the punctured one", arguments: [1, 2, 4, 8])
    func puncturedTree(k: Int) {
        let prg = AESPRG(seed: [UInt8](repeating: UInt8(k), count: 16))
        let keys = (0..<k).map { _ in (zero: prg.bytes(16), one: prg.bytes(16)) }
        let tree = SubspaceVOLE.expand(root: prg.bytes(16), keys: keys)
        #expect(tree.leaves.count == 1 << k && Set(tree.leaves).count == 1 << k)
        #expect(tree.message.count == k * 32)
        for d in 0..<(1 << k) {
            let chosen = (0..<k).map { (d >> $0) & 1 == 1 ? keys[$0].one : keys[$0].zero }
            let got = SubspaceVOLE.puncturedLeaves(punctured: d, keys: chosen, message: tree.message)
            #expect(got.count == 1 << k)
            for x in 0..<(1 << k) {
                if x == d { #expect(got[x] == nil) } else { #expect(got[x] == tree.leaves[x], "k=\(k) d=\(d) leaf \(x)") }
            }
        }
        // The wrong key for bit 0: the sender's leaves are garbage, not the receiver's.
        let d = (1 << k) - 1
        var wrong = (0..<k).map { keys[$0].one }
        wrong[0] = keys[0].zero
        let bad = SubspaceVOLE.puncturedLeaves(punctured: d, keys: wrong, message: tree.message)
        #expect(bad.enumerated().contains { $0.offset != d && $0.element != tree.leaves[$0.offset] })
    }

    /// The VOLE relation checked bit by bit against its definition: the sender's column i is
    /// the receiver's vᵢ = ⊕_{x: xᵢ=1} Gₓ plus Dᵢ times the choice bits.
    @Test("block columns satisfy q_i = v_i xor D_i r", arguments: [1, 2, 4])
    func blockRelation(k: Int) {
        let w = 37
        let seeds = (0..<(1 << k)).map { [UInt8](repeating: UInt8($0 + 3), count: 16) }
        let r = AESPRG(seed: [UInt8](repeating: 99, count: 16)).words(w)
        for d in [0, (1 << k) - 1, 1 % (1 << k)] {
            let recv = seeds.map { AESPRG(seed: $0) }
            let send: [AESPRG?] = seeds.enumerated().map { $0.offset == d ? nil : AESPRG(seed: $0.element) }
            var corr = [UInt64](repeating: 0, count: w), scratch = corr
            var v = [[UInt64]](repeating: corr, count: k), q = v
            withBuffers(&v) { vb in
                corr.withUnsafeMutableBufferPointer { cb in
                    scratch.withUnsafeMutableBufferPointer { sb in
                        r.withUnsafeBufferPointer { rb in
                            SubspaceVOLE.receiverBlock(recv, choices: rb, words: w, correction: cb, columns: vb, scratch: sb)
                        }
                    }
                }
            }
            withBuffers(&q) { qb in
                scratch.withUnsafeMutableBufferPointer { sb in
                    corr.withUnsafeBufferPointer { cb in
                        SubspaceVOLE.senderBlock(send, punctured: d, correction: cb, words: w, columns: qb, scratch: sb)
                    }
                }
            }
            // Independent reference: the streams themselves.
            let streams = seeds.map { AESPRG(seed: $0).words(w) }
            for i in 0..<k {
                var want = [UInt64](repeating: 0, count: w)
                for x in 0..<(1 << k) where (x >> i) & 1 == 1 { for j in 0..<w { want[j] ^= streams[x][j] } }
                #expect(v[i] == want, "v_\(i)")
                let di = (d >> i) & 1 == 1
                #expect(q[i] == (0..<w).map { want[$0] ^ (di ? r[$0] : 0) }, "q_\(i) with D=\(d)")
            }
            var u = [UInt64](repeating: 0, count: w)
            for s in streams { for j in 0..<w { u[j] ^= s[j] } }
            #expect(corr == (0..<w).map { u[$0] ^ r[$0] })
        }
    }

    func withBuffers(_ arrays: inout [[UInt64]], _ body: ([UnsafeMutableBufferPointer<UInt64>]) -> Void) {
        let n = arrays.count, w = arrays.first?.count ?? 0
        let flat = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(1, n * w))
        defer { flat.deallocate() }
        flat.initialize(repeating: 0)
        body((0..<n).map { UnsafeMutableBufferPointer(rebasing: flat[($0 * w)..<(($0 + 1) * w)]) })
        for i in 0..<n { arrays[i] = Array(flat[(i * w)..<((i + 1) * w)]) }
    }

    static func run(
        _ names: [PartyID], k: (PartyID) -> Int, count: Int, batch: Int,
        wrap: (@Sendable (PartyID, any PartyChannel) -> any PartyChannel)? = nil
    ) async -> [PartyID: Result<(BeaverTriples, BeaverTriples), any Error>] {
        let mesh = InMemoryMesh(parties: names, defaultTimeout: .seconds(120))
        let session = SessionID.random()
        return await withTaskGroup(of: (PartyID, Result<(BeaverTriples, BeaverTriples), any Error>).self) { group in
            for p in names {
                let kp = k(p)
                group.addTask {
                    do {
                        let base: any PartyChannel = mesh.channel(for: p)
                        let channel = wrap?(p, base) ?? base
                        let out = try await MPCContext.run(channel: channel.session(session), timeout: .seconds(120)) {
                            context in
                            let source = OTTripleSource(batchSize: batch, subspaceBits: kp)
                            try await source.setup(context)
                            let arith = try await source.arithmeticTriples(count, context)
                            let binary = try await source.binaryTriples(count / 3 + 1, context)
                            return (arith, binary)
                        }
                        return (p, .success(out))
                    } catch {
                        return (p, .failure(error))
                    }
                }
            }
            var out: [PartyID: Result<(BeaverTriples, BeaverTriples), any Error>] = [:]
            for await (p, r) in group { out[p] = r }
            return out
        }
    }

    /// Shares from 3 parties summed (arithmetic) and XORed (binary): c = a·b and c = a ∧ b for
    /// every triple, over several batches (count not a multiple of the batch), at every k.
    @Test("triples from three parties reconstruct to c = a·b and c = a and b", arguments: [1, 2, 4, 8])
    func triplesAreCorrect(k: Int) async throws {
        let names = [PartyID("p0"), PartyID("p1"), PartyID("p2")]
        let count = 700
        let results = await Self.run(names, k: { _ in k }, count: count, batch: 256)
        var shares: [(BeaverTriples, BeaverTriples)] = []
        for p in names { shares.append(try #require(try results[p]?.get())) }
        var bad = 0
        for i in 0..<count {
            let a = shares.reduce(0) { $0 &+ $1.0.a[i] }, b = shares.reduce(0) { $0 &+ $1.0.b[i] }
            let c = shares.reduce(0) { $0 &+ $1.0.c[i] }
            if c != a &* b { bad += 1 }
        }
        #expect(bad == 0, "arithmetic triples with c ≠ a·b")
        bad = 0
        for i in 0..<(count / 3 + 1) {
            let a = shares.reduce(0) { $0 ^ $1.1.a[i] }, b = shares.reduce(0) { $0 ^ $1.1.b[i] }
            let c = shares.reduce(0) { $0 ^ $1.1.c[i] }
            if c != a & b { bad += 1 }
        }
        #expect(bad == 0, "binary triples with c ≠ a ∧ b")
        // Shares look random: no party's a equals another's (a broken PRG or seed reuse would).
        #expect(shares[0].0.a != shares[1].0.a && shares[1].0.b != shares[2].0.b)
    }

    /// Parties configured with different k fail with a message on the matrix's size, never a
    /// wrong triple or a trap.
    @Test("parties with different k fail the job with a size mismatch")
    func mismatchedK() async {
        let names = [PartyID("p0"), PartyID("p1")]
        let results = await Self.run(names, k: { $0 == names[0] ? 2 : 4 }, count: 100, batch: 64)
        for p in names {
            guard case .failure(let e) = results[p] else {
                Issue.record("\(p) succeeded with mismatched k")
                continue
            }
            #expect("\(e)".contains("expected") || "\(e)".contains("abort"), "\(e)")
        }
    }

    /// A seeds message (the GGM level sums, 4 KiB) one byte short: the receiving party fails
    /// with a malformed message naming the sender, before any triple exists.
    @Test("a truncated seeds message fails the job, naming its sender")
    func truncatedSeeds() async throws {
        let names = [PartyID("p0"), PartyID("p1")]
        let seedsPayload = 1 + 128 * 2 * SubspaceVOLE.seedBytes
        let tampered = Locked(0)
        let results = await Self.run(names, k: { _ in 2 }, count: 100, batch: 64, wrap: { p, base in
            guard p == names[1] else { return base }
            return TestChannel(base) { peer, _, payload in
                guard peer == names[0], payload.count == seedsPayload else { return nil }
                tampered.withLock { $0 += 1 }
                return Payload(Array(payload.bytes.dropLast()))
            }
        })
        #expect(tampered.withLock { $0 } == 1)
        guard case .failure(let e) = results[names[0]] else {
            Issue.record("p0 succeeded with a truncated seeds message")
            return
        }
        let err = try #require(e as? MPCError, "\(e)")
        #expect(err.code == .malformedMessage && err.peer == names[1] && "\(err)".contains("SoftSpoken seeds"), "\(err)")
        if case .success = results[names[1]] { Issue.record("p1 succeeded although p0 aborted") }
    }
}
