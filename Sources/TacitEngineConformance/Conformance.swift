// The engine conformance suite as a library: every engine registered in an EngineRegistry
// runs one program of every operation on an in-memory mesh, and the opened results are
// compared with plaintext arithmetic in the engine's domain. Test targets (the runtime's,
// and each engine folder's) call `EngineConformance.failures`; an empty list is a pass.
public import TacitMPC
import TacitNet
import TacitTestSupport

/// Plaintext reference arithmetic in a protocol's domain.
public struct Reference {
    public let domain: PlaintextDomain
    public init(domain: PlaintextDomain) { self.domain = domain }
    public func r(_ x: Int128) -> Int64 { domain.reduce(x) }
    public func add(_ a: Int64, _ b: Int64) -> Int64 { r(Int128(a) + Int128(b)) }
    public func sub(_ a: Int64, _ b: Int64) -> Int64 { r(Int128(a) - Int128(b)) }
    public func mul(_ a: Int64, _ b: Int64) -> Int64 { r(Int128(a) * Int128(b)) }
    public func sum(_ xs: [Int64]) -> Int64 { xs.reduce(0, add) }
}

/// Everything each party computes in the conformance program, in order.
public struct ConformanceOutputs: Sendable, Equatable {
    public var opened: [[Int64]] = []
    public var toOne: [Int64]?
}

public struct ConformanceInputs: Sendable {
    public let x: [Int64], y: [Int64], c: [Int64]
    public let fx: [Int64], fy: [Int64]
    public let cx: [Int64], cy: [Int64]
    public let f = 16

    public init(domain: PlaintextDomain, bounds: OperationBounds, seed: UInt64, random: Int = 40) {
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
public func conformanceProgram(_ engine: any MPCEngine, _ inputs: ConformanceInputs) async throws -> ConformanceOutputs {
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
    try await open(try await e.innerProducts(x, y, terms: innerProductTerms(m)))
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

/// The number of terms the conformance program's inner products use for vectors of m elements.
func innerProductTerms(_ m: Int) -> Int { m % 3 == 0 ? 3 : m % 2 == 0 ? 2 : 1 }

public enum EngineConformance {
    /// Every (engine name, party count) the suite runs for `registry`: each engine at every
    /// count it supports within 2...5.
    public static func cases(_ registry: EngineRegistry) -> [(String, Int)] {
        registry.all.flatMap { p in
            let counts = p.descriptor.partyCounts
            let lo = max(2, counts.lowerBound), hi = min(5, counts.upperBound)
            return lo <= hi ? (lo...hi).map { (p.descriptor.name, $0) } : []
        }
    }

    /// Runs the conformance program for `engine` with `n` parties over an in-memory mesh and
    /// returns every way the results differ from plaintext (empty: the engine conforms).
    public static func failures(_ engine: any MPCProtocol, parties n: Int, seed: UInt64 = 42) async -> [String] {
        let name = engine.descriptor.name
        let domain = engine.descriptor.domain
        let names = (0..<n).map { PartyID("p\($0)") }
        let mesh = InMemoryMesh(parties: names)
        let session = SessionID.random()
        let inputSeed = seed &+ UInt64(n)
        let results = await withTaskGroup(of: (PartyID, Result<(ConformanceOutputs, OperationBounds), any Error>).self) { group in
            for p in names {
                group.addTask {
                    do {
                        let r = try await engine.run(channel: mesh.channel(for: p).session(session), timeout: .seconds(60)) { e in
                            let inputs = ConformanceInputs(domain: domain, bounds: e.bounds, seed: inputSeed)
                            return (try await conformanceProgram(e, inputs), e.bounds)
                        }
                        return (p, .success(r))
                    } catch {
                        return (p, .failure(error))
                    }
                }
            }
            var out: [PartyID: Result<(ConformanceOutputs, OperationBounds), any Error>] = [:]
            for await (p, r) in group { out[p] = r }
            return out
        }
        var problems: [String] = []
        var first: ConformanceOutputs?
        let recipient = names[1 % n]
        for p in names {
            guard case .success(let (out, bounds))? = results[p] else {
                if case .failure(let e)? = results[p] { problems.append("\(name) n=\(n): \(p) failed: \(e)") }
                continue
            }
            let inp = ConformanceInputs(domain: domain, bounds: bounds, seed: inputSeed)
            problems += check(out.opened, inp, domain: domain, bounds: bounds, label: "\(name) n=\(n)")
            if p == recipient {
                if out.toOne != inp.y.map({ Reference(domain: domain).r(Int128($0)) }) { problems.append("\(name) n=\(n): reveal to one party gave \(p) the wrong values") }
            } else if out.toOne != nil {
                problems.append("\(name) n=\(n): \(p) is not a recipient but got the output")
            }
            if let first, first.opened != out.opened { problems.append("\(name) n=\(n): parties disagree on opened values") }
            if first == nil { first = out }
        }
        return problems
    }

    static func check(_ o: [[Int64]], _ i: ConformanceInputs, domain: PlaintextDomain, bounds: OperationBounds, label: String) -> [String] {
        var problems: [String] = []
        let R = Reference(domain: domain)
        let m = i.x.count
        let x = i.x.map { R.r(Int128($0)) }, y = i.y.map { R.r(Int128($0)) }
        let expectedCount = 17
        guard o.count == expectedCount else { return ["\(label): \(o.count) opened vectors, expected \(expectedCount)"] }
        var k = 0
        func next(_ what: String, _ expected: [Int64]) {
            if o[k] != expected { problems.append("\(label): \(what) differs from plaintext") }
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
        let terms = innerProductTerms(m), n = m / terms
        next("inner products", (0..<n).map { i in R.sum((0..<terms).map { j in R.mul(x[j * n + i], y[j * n + i]) }) })
        next("sum", [R.sum(x)])
        // Fixed point: floor(x·y / 2^f) plus 0 … the declared last-place error.
        let fixed = o[k]
        k += 1
        if fixed.count != i.fx.count { problems.append("\(label): fixed multiply returned \(fixed.count) values") } else {
            for j in 0..<i.fx.count {
                let exact = Int64((Int128(i.fx[j]) * Int128(i.fy[j])) >> i.f)
                // Truncation rounds down, then may add up to the declared error: never below.
                if !(0...Int64(bounds.truncationError)).contains(fixed[j] - exact) {
                    problems.append("\(label): fixed multiply element \(j): got \(fixed[j]), exact \(exact)")
                }
            }
        }
        let lt = (0..<i.cx.count).map { Int64(i.cx[$0] < i.cy[$0] ? 1 : 0) }
        next("lessThan", lt)
        next("greaterThan", (0..<i.cx.count).map { Int64(i.cx[$0] > i.cy[$0] ? 1 : 0) })
        next("equal", (0..<i.cx.count).map { Int64(i.cx[$0] == i.cy[$0] ? 1 : 0) })
        next("max", (0..<i.cx.count).map { Swift.max(i.cx[$0], i.cy[$0]) })
        next("min", (0..<i.cx.count).map { Swift.min(i.cx[$0], i.cy[$0]) })
        next("select", (0..<m).map { lt[$0] == 1 ? x[$0] : y[$0] })
        return problems
    }
}
