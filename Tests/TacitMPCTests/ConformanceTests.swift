import Testing
import TacitTestSupport
import TacitMPC
import TacitNet

/// Plaintext reference arithmetic in a protocol's domain.
struct Reference {
    let domain: PlaintextDomain
    func r(_ x: Int128) -> Int64 { domain.reduce(x) }
    func add(_ a: Int64, _ b: Int64) -> Int64 { r(Int128(a) + Int128(b)) }
    func sub(_ a: Int64, _ b: Int64) -> Int64 { r(Int128(a) - Int128(b)) }
    func mul(_ a: Int64, _ b: Int64) -> Int64 { r(Int128(a) * Int128(b)) }
    func sum(_ xs: [Int64]) -> Int64 { xs.reduce(0, add) }
}

/// Everything each party computes in the conformance program, in order.
struct ConformanceOutputs: Sendable, Equatable {
    var opened: [[Int64]] = []
    var toOne: [Int64]?
}

struct ConformanceInputs: Sendable {
    let x: [Int64], y: [Int64], c: [Int64]
    let fx: [Int64], fy: [Int64]
    let cx: [Int64], cy: [Int64]
    let f = 16

    init(domain: PlaintextDomain, bounds: OperationBounds, seed: UInt64, random: Int = 40) {
        var g = SeededGenerator(seed: seed)
        let edges: [Int64]
        let cmpHalf = Int64(min(bounds.comparisonBound / 2 - 1, Int128(Int64.max)))
        switch domain {
        case .ring64: edges = [0, 1, -1, .min, .max, .min + 1, .max - 1]
        case .primeField(let p): edges = [0, 1, -1, Int64((p - 1) / 2), -Int64((p - 1) / 2), 2, -2]
        }
        func rnd() -> Int64 { Int64(bitPattern: g.next()) }
        x = edges + (0..<random).map { _ in rnd() }
        y = edges.reversed() + (0..<random).map { _ in rnd() }
        c = (0..<x.count).map { _ in Int64.random(in: -1000...1000, using: &g) }
        // Fixed point: each factor below √bound / 2.
        var lim: Int128 = 1
        while (lim * 2) * (lim * 2) <= bounds.fixedProductBound { lim *= 2 }
        let fl = Int64(lim / 2)
        let fEdges: [Int64] = [0, 1, -1, 1 << 16, -(1 << 16), fl - 1, -(fl - 1)]
        fx = fEdges + (0..<random).map { _ in Int64.random(in: -(fl - 1)...(fl - 1), using: &g) }
        fy = fEdges.reversed() + (0..<random).map { _ in Int64.random(in: -(fl - 1)...(fl - 1), using: &g) }
        // Comparisons: |x − y| below the bound, with ties and edges.
        let h = cmpHalf / 2
        let cEdges: [Int64] = [0, 1, -1, h, -h, 5, 5, -7, h, 0]
        let dEdges: [Int64] = [0, 0, 0, -h, h, 5, 4, -7, h - 1, -1]
        var cxs = cEdges, cys = dEdges
        for k in 0..<(random + edges.count - cEdges.count) {
            let a = Int64.random(in: -h...h, using: &g)
            cxs.append(a)
            cys.append(k % 5 == 0 ? a : Int64.random(in: -h...h, using: &g))
        }
        cx = cxs
        cy = cys
    }
}

/// The program every party runs: inputs from three different owners, then every operation.
func conformanceProgram(_ engine: any MPCEngine, _ inputs: ConformanceInputs) async throws -> ConformanceOutputs {
    try await runConformance(engine, inputs)
}

func runConformance<E: MPCEngine>(_ e: E, _ inp: ConformanceInputs) async throws -> ConformanceOutputs {
    let ps = e.context.parties
    let me = e.context.localParty
    let a = ps[0], b = ps[1 % ps.count], c = ps[ps.count - 1]
    let m = inp.x.count
    let x = try await e.input(me == a ? inp.x : nil, from: a, count: m)
    let y = try await e.input(me == b ? inp.y : nil, from: b, count: m)
    let fx = try await e.input(me == c ? inp.fx : nil, from: c, count: inp.fx.count)
    let fy = try await e.input(me == a ? inp.fy : nil, from: a, count: inp.fy.count)
    let cx = try await e.input(me == b ? inp.cx : nil, from: b, count: inp.cx.count)
    let cy = try await e.input(me == c ? inp.cy : nil, from: c, count: inp.cy.count)
    var out = ConformanceOutputs()
    func open(_ s: E.Share) async throws { out.opened.append(try await e.reveal(s)) }
    try await open(x)
    try await open(e.add(x, y))
    try await open(e.subtract(x, y))
    try await open(e.multiply(x, byConstants: inp.c))
    try await open(e.multiply(x, byConstant: -3))
    try await open(e.addConstants(x, inp.c))
    try await open(try await e.multiply(x, y))
    try await open(try await e.dot(x, y))
    try await open(e.sum(x))
    try await open(try await e.multiplyFixed(fx, fy, fractionalBits: inp.f))
    let lt = try await e.lessThan(cx, cy)
    try await open(lt)
    try await open(try await e.greaterThan(cx, cy))
    try await open(try await e.equal(cx, cy))
    try await open(try await e.max(cx, cy))
    try await open(try await e.min(cx, cy))
    try await open(try await e.select(lt, x, y))
    out.toOne = try await e.reveal(y, to: [b])
    return out
}

@Suite("Conformance: every registered protocol, every supported party count 2...5")
struct ConformanceTests {
    static let cases: [(String, Int)] = testRegistry().all.flatMap { p in
        (max(2, p.descriptor.partyCounts.lowerBound)...min(5, p.descriptor.partyCounts.upperBound)).map {
            (p.descriptor.name, $0)
        }
    }

    @Test("results equal the plaintext computation", arguments: cases)
    func matchesPlaintext(_ name: String, _ n: Int) async throws {
        let proto = try testRegistry().named(name)
        let domain = proto.descriptor.domain
        // Bounds are the engine's; read them from one engine run of the same protocol.
        let results = await simulate(proto, parties: n) { engine in
            let inputs = ConformanceInputs(domain: domain, bounds: engine.bounds, seed: 42 &+ UInt64(n))
            return (try await conformanceProgram(engine, inputs), engine.bounds)
        }
        var first: (ConformanceOutputs, OperationBounds)?
        for p in partyNames(n) {
            let (out, bounds) = try results[p]!.get()
            let inp = ConformanceInputs(domain: domain, bounds: bounds, seed: 42 &+ UInt64(n))
            check(out.opened, inp, domain: domain, bounds: bounds, name: name, n: n)
            let b = partyNames(n)[1 % n]
            if p == b { #expect(out.toOne == inp.y.map { Reference(domain: domain).r(Int128($0)) }) }
            else { #expect(out.toOne == nil, "\(p) is not a recipient but got the output") }
            if let first { #expect(first.0.opened == out.opened, "parties disagree") } else { first = (out, bounds) }
        }
    }

    func check(_ o: [[Int64]], _ i: ConformanceInputs, domain: PlaintextDomain, bounds: OperationBounds, name: String, n: Int) {
        let R = Reference(domain: domain)
        let m = i.x.count
        let x = i.x.map { R.r(Int128($0)) }, y = i.y.map { R.r(Int128($0)) }
        var k = 0
        func next(_ label: String, _ expected: [Int64], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(o[k] == expected, "\(name) n=\(n): \(label)", sourceLocation: sourceLocation)
            k += 1
        }
        next("input/reveal", x)
        next("add", (0..<m).map { R.add(x[$0], y[$0]) })
        next("subtract", (0..<m).map { R.sub(x[$0], y[$0]) })
        next("multiply by constants", (0..<m).map { R.mul(x[$0], i.c[$0]) })
        next("multiply by constant", (0..<m).map { R.mul(x[$0], -3) })
        next("add constants", (0..<m).map { R.add(x[$0], i.c[$0]) })
        next("multiply", (0..<m).map { R.mul(x[$0], y[$0]) })
        next("dot", [R.sum((0..<m).map { R.mul(x[$0], y[$0]) })])
        next("sum", [R.sum(x)])
        // Fixed point: floor(x·y / 2^f) up to the declared last-place error.
        let fixed = o[k]
        k += 1
        for j in 0..<i.fx.count {
            let exact = Int64((Int128(i.fx[j]) * Int128(i.fy[j])) >> i.f)
            #expect(abs(fixed[j] - exact) <= Int64(bounds.truncationError),
                    "\(name) n=\(n): fixed multiply element \(j): got \(fixed[j]), exact \(exact)")
        }
        let lt = (0..<i.cx.count).map { Int64(i.cx[$0] < i.cy[$0] ? 1 : 0) }
        next("lessThan", lt)
        next("greaterThan", (0..<i.cx.count).map { Int64(i.cx[$0] > i.cy[$0] ? 1 : 0) })
        next("equal", (0..<i.cx.count).map { Int64(i.cx[$0] == i.cy[$0] ? 1 : 0) })
        next("max", (0..<i.cx.count).map { Swift.max(i.cx[$0], i.cy[$0]) })
        next("min", (0..<i.cx.count).map { Swift.min(i.cx[$0], i.cy[$0]) })
        next("select", (0..<m).map { lt[$0] == 1 ? x[$0] : y[$0] })
    }
}
