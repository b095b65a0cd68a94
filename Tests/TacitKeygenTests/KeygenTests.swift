import Foundation
import Testing
import Synchronization
import TacitCrypto
import TacitMath
import TacitMPC
import TacitNet
@testable import TacitKeygen

func partyNames(_ n: Int) -> [PartyID] { (0..<n).map { PartyID("founder\($0)") } }

func parameters(bits: Int, threshold: Int) -> DistributedPaillier.Parameters {
    DistributedPaillier.Parameters(bits: bits, threshold: threshold, policy: .insecureAnySizeForTesting)
}

/// Runs the ceremony on every party of an in-memory mesh (one task per party); `wrap` lets a
/// test give a party a misbehaving channel, `override` different parameters.
func ceremony(
    parties n: Int, _ params: DistributedPaillier.Parameters, timeout: Duration = .seconds(300),
    mesh: InMemoryMesh? = nil,
    override: [PartyID: DistributedPaillier.Parameters] = [:],
    wrap: (@Sendable (PartyID, any PartyChannel) -> any PartyChannel)? = nil,
    progress: (@Sendable (PartyID, DistributedPaillier.Progress) -> Void)? = nil
) async -> [PartyID: Result<DistributedPaillier.Outcome, any Error>] {
    let names = partyNames(n)
    let mesh = mesh ?? InMemoryMesh(parties: names)
    let session = SessionID.random()
    return await withTaskGroup(of: (PartyID, Result<DistributedPaillier.Outcome, any Error>).self) { group in
        for p in names {
            let mine = override[p] ?? params
            group.addTask {
                let base: any PartyChannel = mesh.channel(for: p)
                let channel = wrap?(p, base) ?? base
                var report: (@Sendable (DistributedPaillier.Progress) -> Void)? = nil
                if let progress { report = { progress(p, $0) } }
                // TACIT_KEYGEN_TRACE=1: the first party's progress on stderr (unbuffered).
                if report == nil, p == names[0], ProcessInfo.processInfo.environment["TACIT_KEYGEN_TRACE"] == "1" {
                    report = { FileHandle.standardError.write(Data("keygen \(ContinuousClock.now) \($0)\n".utf8)) }
                }
                do {
                    let outcome = try await DistributedPaillier.generate(
                        channel: channel.session(session), parameters: mine, timeout: timeout, progress: report)
                    return (p, .success(outcome))
                } catch {
                    return (p, .failure(error))
                }
            }
        }
        var out: [PartyID: Result<DistributedPaillier.Outcome, any Error>] = [:]
        for await (p, r) in group { out[p] = r }
        return out
    }
}

/// Counts the payload bytes a party sends.
struct CountingChannel: PartyChannel {
    let base: any PartyChannel
    let count: @Sendable (Int) -> Void
    var localParty: PartyID { base.localParty }
    var parties: [PartyID] { base.parties }
    var defaultTimeout: Duration { base.defaultTimeout }
    func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: TacitNet.Tag) async throws {
        count(payload.count)
        try await base.send(payload, to: peer, session: session, tag: tag)
    }
    func receive(from peer: PartyID, session: SessionID, tag: TacitNet.Tag, timeout: Duration?) async throws -> Payload {
        try await base.receive(from: peer, session: session, tag: tag, timeout: timeout)
    }
    func endSession(_ session: SessionID) { base.endSession(session) }
}

func outcomes(_ results: [PartyID: Result<DistributedPaillier.Outcome, any Error>]) throws -> [DistributedPaillier.Outcome] {
    try results.keys.sorted().map { try results[$0]!.get() }
}

@Suite("Dealer-free threshold Paillier key generation")
struct KeygenTests {
    /// The properties every generated key must have, checked against the parties' combined
    /// secret material (reachable only through `@testable`).
    func checkKey(_ outs: [DistributedPaillier.Outcome], bits: Int, threshold: Int) throws {
        let key = outs[0].publicKey
        for o in outs {
            #expect(o.publicKey == key, "every party has the same public key")
            #expect(o.holders == outs[0].holders)
        }
        let n = key.publicKey.n
        #expect(n.bitWidth == bits)
        #expect(key.threshold == threshold && key.parties == outs.count)

        // n is the product of the parties' combined p and q, two primes of bits/2 bits.
        let p = outs.reduce(BigInt()) { $0 + $1.secrets.p }
        let q = outs.reduce(BigInt()) { $0 + $1.secrets.q }
        #expect(p * q == n)
        #expect(p.isProbablePrime() && q.isProbablePrime())
        #expect(p.bitWidth == bits / 2 && q.bitWidth == bits / 2)
        #expect(p != q)
        #expect(p.modulo(4) == 3 && q.modulo(4) == 3)
        // θ = β·φ(n) mod n for the combined β: the decryption exponent is β·φ, nobody's.
        let beta = outs.reduce(BigInt()) { $0 + $1.secrets.beta }
        #expect(key.theta == (beta * (p - 1) * (q - 1)).modulo(n))

        // Encrypts and decrypts with every t-subset, against plaintext.
        let pk = key.publicKey
        for m in [BigInt(0), 1, -1, BigInt(123_456_789), -BigInt(987_654_321), pk.maxSignedPlaintext] {
            let c = try pk.encrypt(m)
            let partials = outs.map { $0.share.decrypt(c) }
            for subset in subsets(partials, size: threshold) {
                #expect(try key.combine(subset, for: c) == m, "subset \(subset.map(\.index))")
            }
            if threshold > 1 {
                #expect(throws: PaillierError.self) { try key.combine(Array(partials.prefix(threshold - 1)), for: c) }
            }
        }
        // Homomorphic sum, then threshold decryption: the headline job's path.
        let sum = pk.add(try pk.encrypt(-40), try pk.add(try pk.encrypt(100), plaintext: 2))
        #expect(try key.combine(outs.suffix(threshold).map { $0.share.decrypt(sum) }, for: sum) == 62)
        // A share stored and reloaded (as a node would) still matches its verification key.
        for o in outs {
            _ = try Paillier.ThresholdKeyShare(thresholdKey: key, index: o.share.index, secret: o.share.secretShare)
        }
    }

    @Test("3, 4 and 5 founders generate a 512-bit key that t-of-n decrypts; n = pq for two 256-bit primes",
          arguments: [(3, 2), (4, 3), (5, 3)])
    func generates512(parties: Int, threshold: Int) async throws {
        let outs = try outcomes(await ceremony(parties: parties, parameters(bits: 512, threshold: threshold)))
        try checkKey(outs, bits: 512, threshold: threshold)
        #expect(outs.allSatisfy { $0.candidatesTried == outs[0].candidatesTried && $0.candidatesTried > 0 })
    }

    /// Generates among 3 founders, counting the bytes each sends; prints the cost (the README's
    /// figures come from these lines).
    func measured(bits: Int, timeout: Duration = .seconds(300)) async throws -> [DistributedPaillier.Outcome] {
        let counters = Mutex<[PartyID: Int]>([:])
        let start = ContinuousClock.now
        let params = bits >= 2048 ? DistributedPaillier.Parameters(bits: bits, threshold: 2) : parameters(bits: bits, threshold: 2)
        let outs = try outcomes(await ceremony(parties: 3, params, timeout: timeout) { party, channel in
            CountingChannel(base: channel) { bytes in counters.withLock { $0[party, default: 0] += bytes } }
        })
        let elapsed = ContinuousClock.now - start
        let sent = counters.withLock { $0 }
        print("keygen \(bits)-bit, 3 parties in one process: \(elapsed), \(outs[0].candidatesTried) candidates, "
              + "\(outs[0].biprimalityTests) biprimality tests, \(outs[0].rounds) rounds, MiB sent per party: "
              + sent.keys.sorted().map { String(format: "%.2f", Double(sent[$0]!) / 1_048_576) }.joined(separator: " "))
        return outs
    }

    @Test("3 founders generate a 1024-bit 2-of-3 key")
    func generates1024() async throws {
        try checkKey(try await measured(bits: 1024), bits: 1024, threshold: 2)
    }

    /// Slow (minutes with three parties sharing two cores): run with TACIT_KEYGEN_2048=1.
    @Test("3 founders generate a 2048-bit key (TACIT_KEYGEN_2048=1)",
          .enabled(if: ProcessInfo.processInfo.environment["TACIT_KEYGEN_2048"] == "1"))
    func generates2048() async throws {
        try checkKey(try await measured(bits: 2048, timeout: .seconds(900)), bits: 2048, threshold: 2)
    }

    @Test("progress reports every phase in order, with the candidate count growing")
    func progress() async throws {
        let seen = Mutex<[DistributedPaillier.Progress]>([])
        let outs = try outcomes(await ceremony(parties: 3, parameters(bits: 512, threshold: 2), progress: { party, p in
            if party == partyNames(3)[0] { seen.withLock { $0.append(p) } }
        }))
        let reports = seen.withLock { $0 }
        let phases = reports.map(\.phase)
        #expect(phases.first == .modulus)
        #expect(phases.last == .done)
        #expect(phases.contains(.biprimality) && phases.contains(.decryptionKey) && phases.contains(.verification))
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.candidatesTried <= $1.candidatesTried })
        #expect(reports.last?.candidatesTried == outs[0].candidatesTried)
        #expect(reports.allSatisfy { $0.maxCandidates == 200_000 })
    }
}

@Suite("What one founder sees")
struct KeygenViewTests {
    /// The argument: party j's view of the modulus is its own p_j, q_j, one point of every
    /// other party's degree-τ sharing (τ ≥ 1: uniform and independent of the secret, since
    /// for any other secret a degree-τ polynomial through that point exists) and the n
    /// points of the re-randomised product polynomial (uniform given n). So its view is
    /// simulated from (p_j, q_j, n) alone, and is consistent with every other split of p
    /// and q among the others, and with every p' whose p' − p_j the others could hold. What a
    /// test can check: its own material is far from p and q and reveals no factor of n, and
    /// the points it received lie on a polynomial with a different constant term.
    @Test("one party's shares and received points do not reveal p or a factor of n")
    func sharesAloneDoNotRevealP() async throws {
        let outs = try outcomes(await ceremony(parties: 3, parameters(bits: 512, threshold: 2)))
        let n = outs[0].publicKey.publicKey.n
        let p = outs.reduce(BigInt()) { $0 + $1.secrets.p }
        let q = outs.reduce(BigInt()) { $0 + $1.secrets.q }
        for o in outs {
            let s = o.secrets
            // What p leaves unknown to this party: the others' part is itself a full-size
            // random number, not a small correction.
            #expect((p - s.p).bitWidth >= 256 - 8)
            #expect((q - s.q).bitWidth >= 256 - 8)
            // Nothing it holds or received is a factor of n or shares one with it.
            var held = [s.p, s.q, s.p + s.q, n - s.p - s.q + 1, s.beta, o.share.secretShare] + s.receivedPShares
            held += s.receivedPShares.map { n - $0 }
            for v in held {
                #expect(v.modulo(n).gcd(n) == 1)
                #expect(v != p && v != q)
            }
        }
    }

    @Test("a single point of a degree-τ sharing is uniform whatever the secret")
    func onePointIsUniform() {
        // Over Z_101 with 3 parties (τ = 1): the point f(1) of a sharing of 0 and of 50 must
        // both spread evenly; a degree-0 or badly randomised sharing would pile up at the
        // secret.
        let ring = ShamirRing(modulus: 101, parties: 3)
        for secret in [BigInt(0), BigInt(50)] {
            var histogram = [Int](repeating: 0, count: 101)
            for _ in 0..<10_100 {
                let point = ring.share(secret, degree: 1)[0]
                histogram[Int(UInt64(exactly: point) ?? 0)] += 1
            }
            // Expected 100 per value; 5σ ≈ 50.
            #expect(histogram.allSatisfy { (50...150).contains($0) }, "secret \(secret): \(histogram.min() ?? 0)...\(histogram.max() ?? 0)")
        }
    }

    @Test("the sieve's lifted shares sum to a number coprime to every sieved prime, ≡ 3 (mod 4), of the right size")
    func sieveLift() throws {
        for parties in [3, 4, 5] {
            let plan = SievePlan(primeBits: 256, parties: parties)
            #expect(plan.sievePrimes.count > 20)
            #expect(plan.sievePrimes.allSatisfy { $0 > parties })
            for _ in 0..<50 {
                // Additive shares mod m of a unit, as the BGW product gives them.
                let a = plan.randomUnit()
                var c = (1..<parties).map { _ in BigInt.random(below: plan.m) }
                c.insert((a - c.reduce(BigInt(), +)).modulo(plan.m), at: 0)
                let shares = c.enumerated().map { plan.lift($0.element, leader: $0.offset == 0) }
                let p = shares.reduce(BigInt(), +)
                #expect(p.modulo(plan.m) == a)
                #expect(p.gcd(plan.m) == 1)
                #expect(p.modulo(4) == 3)
                for r in plan.fixedPrimes { #expect(p.modulo(BigInt(r)) == BigInt(r - 1)) }
                #expect(p.bitWidth == 256 && p >= BigInt(3) << 254)
                #expect(shares.dropFirst().allSatisfy { $0.modulo(4) == 0 })
            }
        }
    }

    @Test("the distributed sieve's additive shares sum to the product of the parties' units mod m")
    func distributedSieve() async throws {
        for parties in [3, 4, 5] {
            let names = partyNames(parties)
            let mesh = InMemoryMesh(parties: names)
            let session = SessionID.random()
            let params = parameters(bits: 512, threshold: 2)
            let results = try await withThrowingTaskGroup(of: ([BigInt], [BigInt]).self) { group in
                for name in names {
                    group.addTask {
                        try await MPCContext.run(channel: mesh.channel(for: name).session(session)) { context in
                            let c = try Ceremony(context: context, parameters: params, progress: nil)
                            let units = (0..<8).map { _ in c.sieve.randomUnit() }
                            return (units, try await c.sieveShares(units: units))
                        }
                    }
                }
                var all: [([BigInt], [BigInt])] = []
                for try await r in group { all.append(r) }
                return all
            }
            let m = SievePlan(primeBits: 256, parties: parties).m
            for k in 0..<8 {
                let product = results.reduce(BigInt(1)) { ($0 * $1.0[k]).modulo(m) }
                let sum = results.reduce(BigInt()) { $0 + $1.1[k] }.modulo(m)
                #expect(sum == product, "\(parties) parties, value \(k)")
            }
        }
    }
}

func subsets<T>(_ items: [T], size: Int) -> [[T]] {
    if size == 0 { return [[]] }
    if items.count < size { return [] }
    let head = items[0], tail = Array(items.dropFirst())
    return subsets(tail, size: size - 1).map { [head] + $0 } + subsets(tail, size: size)
}

@Suite("Keygen arithmetic")
struct KeygenArithmeticTests {
    @Test("the Jacobi symbol matches Euler's criterion mod primes and is multiplicative in n")
    func jacobi() {
        let primes: [BigInt] = [3, 5, 7, 11, 13, 101, 65537, BigInt.probablePrime(bits: 128)]
        for p in primes {
            for _ in 0..<40 {
                let a = BigInt.random(below: p)
                let euler = a.power((p - 1) >> 1, modulus: p)
                let expected = a.isZero ? 0 : (euler == 1 ? 1 : -1)
                #expect(a.jacobi(p) == expected, "(\(a)/\(p))")
            }
        }
        for _ in 0..<40 {
            let p = primes.randomElement()!, q = primes.randomElement()!
            let a = BigInt.random(below: p * q)
            #expect(a.jacobi(p * q) == a.jacobi(p) * a.jacobi(q))
        }
    }

    @Test("trial division finds exactly the multiples of its primes")
    func trialDivision() {
        let trial = TrialDivision(primes: SmallPrimes.upTo(1 << 16).filter { $0 > 700 })
        let big = BigInt.probablePrime(bits: 300)
        #expect(!trial.hasFactor(big))
        #expect(trial.hasFactor(big * 65521))
        #expect(trial.hasFactor(big * 701))
        #expect(!trial.hasFactor(big * 691))
    }

    @Test("big integers survive the fixed-width word encoding")
    func words() {
        for bits in [1, 63, 64, 65, 1000] {
            let v = BigInt.random(bits: bits)
            var out: [UInt64] = []
            BigWords.append(v, width: BigWords.count(bits: bits), to: &out)
            #expect(out.count == BigWords.count(bits: bits))
            #expect(BigWords.read(out[...]) == v)
        }
    }
}
