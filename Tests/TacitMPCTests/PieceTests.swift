import Testing
import TacitMPC
import TacitNet

/// Messages longer than `MPCContext.pieceBytes` travel in pieces: results must not change,
/// and a peer whose pieces do not add up must be caught.
struct PieceTests {
    func job(_ count: Int) -> @Sendable (any MPCEngine) async throws -> [Int64] {
        { e in try await Self.program(e, count) }
    }

    static func program<E: MPCEngine>(_ e: E, _ count: Int) async throws -> [Int64] {
        do {
            let ps = e.context.parties
            let me = e.context.localParty
            let xs = (0..<count).map { Int64($0) &* 7_919 &- 1_000_000 }
            let ys = (0..<count).map { Int64($0 % 977) &* 13 }
            let x = try await e.input(me == ps[0] ? xs : nil, from: ps[0], count: count)
            let y = try await e.input(me == ps[1] ? ys : nil, from: ps[1], count: count)
            let z = try await e.reveal(try await e.multiply(x, y))
            let lt = try await e.reveal(try await e.lessThan(x, y))
            for i in 0..<count where z[i] != xs[i] &* ys[i] || lt[i] != (xs[i] < ys[i] ? 1 : 0) {
                throw MPCError(.inconsistentShares, "element \(i): \(z[i]) \(lt[i])")
            }
            return Array(z.prefix(4))
        }
    }

    @Test("long vectors in pieces give the plaintext results", arguments: [("additive-dealer", 150_000), ("additive-ot", 2_000), ("replicated", 150_000)])
    func longVectors(_ name: String, _ count: Int) async throws {
        let proto = try testRegistry().named(name)
        let r = await simulate(proto, parties: 3, timeout: .seconds(120), job(count))
        for p in partyNames(3) {
            if case .failure(let e) = r[p]! { Issue.record("\(name) \(p): \(e)") }
        }
    }

    @Test("a peer that ends a long message early is caught as malformed")
    func shortPieces() async throws {
        let proto = try testRegistry().named("additive-dealer")
        let r = await simulate(proto, parties: 3, timeout: .seconds(60), wrap: { p, base in
            guard p == "p2" else { return base }
            return TestChannel(base) { peer, _, payload in
                // Mark the first non-final piece to p0 as final.
                guard peer == "p0", payload.count > 1, payload.bytes[0] == 0x03 else { return nil }
                var b = payload.bytes
                b[0] = 0x01
                return Payload(b)
            }
        }, job(150_000))
        guard case .failure(let e) = r["p0"]! else {
            Issue.record("p0 accepted a message whose pieces do not add up")
            return
        }
        let err = try #require(e as? MPCError)
        #expect(err.code == MPCError.Code.malformedMessage && err.peer == "p2", "\(err)")
    }
}
