import Testing
import TacitEngineConformance
import TacitMPC
import TacitNet
import TacitTestSupport
import TacitReplicated

/// Runs `body` on three parties of an in-memory mesh; each party's result.
func onThree<R: Sendable>(
    _ body: @escaping @Sendable (ReplicatedEngine) async throws -> R
) async throws -> [R] {
    let names = ["p0", "p1", "p2"].map { PartyID($0) }
    let mesh = InMemoryMesh(parties: names)
    let session = SessionID.random()
    return try await withThrowingTaskGroup(of: (Int, R).self) { group in
        for (i, p) in names.enumerated() {
            group.addTask {
                let r = try await ReplicatedProtocol().run(channel: mesh.channel(for: p).session(session), timeout: .seconds(120)) { e in
                    guard let engine = e as? ReplicatedEngine else { throw MPCError(.unsupported, "not the replicated engine") }
                    return try await body(engine)
                }
                return (i, r)
            }
        }
        var out: [Int: R] = [:]
        for try await (i, r) in group { out[i] = r }
        return (0..<3).compactMap { out[$0] }
    }
}

@Suite("Replicated engine against plaintext")
struct ReplicatedEngineTests {
    @Test("replicated conforms at 3 parties", arguments: [7, 8, 9] as [UInt64])
    func conforms(_ seed: UInt64) async {
        let failures = await EngineConformance.failures(ReplicatedProtocol(), parties: 3, seed: seed)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test("two or four parties are refused with what to do", arguments: [2, 4])
    func partyCount(_ n: Int) async throws {
        let names = (0..<n).map { PartyID("p\($0)") }
        let mesh = InMemoryMesh(parties: names)
        let session = SessionID.random()
        let err = await #expect(throws: MPCError.self) {
            try await ReplicatedProtocol().run(channel: mesh.channel(for: names[0]).session(session), timeout: .seconds(5)) { _ in 0 }
        }
        #expect(err?.code == .unsupported && err?.message.contains("runs with 3...3 parties") == true, "\(String(describing: err))")
    }

    /// Every element of 4,096 random pairs, including both signs at the edges of the ring,
    /// against Swift's own comparison and equality; each owner a different party.
    @Test("comparison and equality on random 64-bit values match plaintext", arguments: [0, 1, 2])
    func comparisons(_ owner: Int) async throws {
        var g = SeededGenerator(seed: 11 + UInt64(owner))
        var xs: [Int64] = [0, 0, -1, 1, .min, .max, .min, .max, 5, -5, 1 << 62, -(1 << 62)]
        var ys: [Int64] = [0, -1, 0, 1, .max, .min, .min, .max, 5, 5, -(1 << 62), 1 << 62]
        for k in 0..<4096 {
            let a = Int64(bitPattern: g.next()) >> (k % 3 == 0 ? 0 : 2)
            xs.append(a)
            ys.append(k % 7 == 0 ? a : Int64(bitPattern: g.next()) >> (k % 3 == 0 ? 0 : 2))
        }
        let (fx, fy) = (xs, ys)
        let results = try await onThree { e in
            let me = e.context.index
            let x = try await e.input(me == owner ? fx : nil, from: e.context.parties[owner], count: fx.count)
            let y = try await e.input(me == (owner + 1) % 3 ? fy : nil, from: e.context.parties[(owner + 1) % 3], count: fy.count)
            let neg = try await e.reveal(try await e.lessThanZero(x))
            let eq = try await e.reveal(try await e.equal(x, y))
            return (neg, eq)
        }
        for (neg, eq) in results {
            for k in 0..<xs.count {
                #expect(neg[k] == (xs[k] < 0 ? 1 : 0), "x < 0 at \(k): x = \(xs[k])")
                #expect(eq[k] == (xs[k] == ys[k] ? 1 : 0), "x == y at \(k): \(xs[k]), \(ys[k])")
            }
        }
    }

    /// Truncation of products up to the bound: never below the floor, at most one above it,
    /// over 20,000 products of random magnitudes.
    @Test("fixed-point products are the floor or one above it, up to |x·y| < 2^62", arguments: [8, 16, 40])
    func truncation(_ f: Int) async throws {
        var g = SeededGenerator(seed: 99 + UInt64(f))
        var xs: [Int64] = [], ys: [Int64] = []
        for k in 0..<20_000 {
            let bits = 1 + k % 30
            xs.append(Int64.random(in: -(1 << bits)...(1 << bits), using: &g))
            ys.append(Int64.random(in: -(1 << 30)...(1 << 30), using: &g))
        }
        let (fx, fy) = (xs, ys)
        let results = try await onThree { e in
            let ps = e.context.parties
            let x = try await e.input(e.context.index == 2 ? fx : nil, from: ps[2], count: fx.count)
            let y = try await e.input(e.context.index == 1 ? fy : nil, from: ps[1], count: fy.count)
            return try await e.reveal(try await e.multiplyFixed(x, y, fractionalBits: f))
        }
        for got in results {
            var ones = 0
            for k in 0..<xs.count {
                let exact = Int64((Int128(xs[k]) * Int128(ys[k])) >> f)
                #expect((0...1).contains(got[k] - exact), "element \(k): \(xs[k])·\(ys[k]) >> \(f) gave \(got[k]), floor \(exact)")
                if got[k] != exact { ones += 1 }
            }
            // The +1 is the probabilistic part: it happens, but not always.
            #expect(ones > 0 && ones < xs.count, "the +1 error happened \(ones) times of \(xs.count)")
        }
    }

    @Test("the dot product takes one round and matches plaintext")
    func dot() async throws {
        let xs: [Int64] = (0..<1000).map { Int64($0) - 500 }, ys: [Int64] = (0..<1000).map { 3 * Int64($0) + 1 }
        let expected = zip(xs, ys).reduce(Int64(0)) { $0 &+ $1.0 &* $1.1 }
        let results = try await onThree { e in
            let ps = e.context.parties
            let x = try await e.input(e.context.index == 0 ? xs : nil, from: ps[0], count: xs.count)
            let y = try await e.input(e.context.index == 1 ? ys : nil, from: ps[1], count: ys.count)
            let before = e.context.stepCount
            let d = try await e.dot(x, y)
            let steps = e.context.stepCount - before
            return (try await e.reveal(d), steps)
        }
        for (d, steps) in results {
            #expect(d == [expected])
            #expect(steps == 1)
        }
    }

    /// A party's two components of an input are uniform whatever the secret, and a reveal to
    /// one party gives the others nothing.
    @Test("shares of a constant input look uniform to each party, and reveal to one party reaches only it")
    func sharesAndRevealToOne() async throws {
        let count = 4096
        let results = try await onThree { e in
            let x = try await e.input(e.context.index == 0 ? [Int64](repeating: 7, count: count) : nil, from: e.context.parties[0], count: count)
            let opened = try await e.reveal(x, to: [e.context.parties[2]])
            return (e.shareWords(x), opened)
        }
        #expect(results[0].1 == nil && results[1].1 == nil)
        #expect(results[2].1 == [Int64](repeating: 7, count: count))
        for (i, (words, _)) in results.enumerated() {
            // The owner holds xₒ = 7 − r and r, both uniform; each other party holds one
            // uniform component and the zero component xₒ₊₁ of an input.
            let expected = i == 0 ? 2 * count : count
            let nonZero = words.filter { $0 != 0 }
            #expect(nonZero.count == expected, "party \(i) has \(nonZero.count) non-zero words")
            #expect(Set(nonZero).count == expected, "party \(i) has repeated share words")
            let ones = nonZero.reduce(0) { $0 + $1.nonzeroBitCount }
            #expect(abs(Double(ones) / Double(64 * expected) - 0.5) < 0.01, "party \(i): \(ones) bits set")
        }
    }
}
