import TacitCrypto
import TacitMath
import TacitNet
import TacitMPC
import TacitBytes

/// One party's run of the ceremony. Every branch depends on public values only (the
/// candidate moduli, the biprimality products, θ), so all parties take the same steps and
/// their messages pair up by step.
struct Ceremony {
    let context: MPCContext
    let parameters: DistributedPaillier.Parameters
    let progress: (@Sendable (DistributedPaillier.Progress) -> Void)?
    /// Parties, this party's 1-based index, the BGW degree τ = ⌊(n − 1)/2⌋ (so a product
    /// of two sharings, degree 2τ ≤ n − 1, is still determined by the n points).
    let n: Int
    let me: Int
    let tau: Int
    let sieve: SievePlan
    let sieveRing: ShamirRing
    /// Z_P for computing n = pq: P > 2^(bits + κ + 16) is prime.
    let field: ShamirRing
    /// Z_{P²} for χ = β·φ + n·R, which has about 2·bits + 2κ bits.
    let wide: ShamirRing
    let trial: TrialDivision
    var coin = PublicCoin(seed: [])
    var candidatesTried = 0
    var biprimalityTests = 0

    var bits: Int { parameters.bits }
    var isLeader: Bool { me == 1 }

    init(context: MPCContext, parameters p: DistributedPaillier.Parameters,
         progress: (@Sendable (DistributedPaillier.Progress) -> Void)?) throws {
        self.context = context
        self.parameters = p
        self.progress = progress
        n = context.partyCount
        me = context.index + 1
        tau = (n - 1) / 2
        guard n >= 3 else {
            throw MPCError(.unsupported, "dealer-free key generation needs at least 3 parties (an honest majority for the BGW multiplication); \(n) given: add parties or use a dealt key for tests")
        }
        guard (1...n).contains(p.threshold) else {
            throw MPCError(.invalidParameter, "a threshold of \(p.threshold) of \(n) parties is impossible: choose 1...\(n)")
        }
        guard p.bits >= 256, p.bits <= 8192, p.bits % 2 == 0 else {
            throw MPCError(.invalidParameter, "a \(p.bits)-bit modulus is not supported: choose an even size in 256...8192 (2048 in production)")
        }
        guard p.bits >= p.policy.minimumBits, p.policy.allowedBits?.contains(p.bits) ?? true else {
            let allowed = p.policy.allowedBits.map { $0.sorted().map(String.init).joined(separator: ", ") } ?? "at least \(p.policy.minimumBits)"
            throw MPCError(.invalidParameter, "a \(p.bits)-bit modulus is refused by the key size policy (\(allowed) bits): choose an allowed size")
        }
        guard (40...512).contains(p.statisticalSecurity), (1...256).contains(p.biprimalityPasses),
              (1...4096).contains(p.batchSize), p.maxCandidates >= 1,
              (2...(1 << 24)).contains(p.trialDivisionBound) else {
            throw MPCError(.invalidParameter, "keygen parameters out of range: statistical security 40...512, biprimality passes 1...256, batch size 1...4096, trial division bound 2...2^24")
        }
        let plan = SievePlan(primeBits: p.bits / 2, parties: n)
        sieve = plan
        sieveRing = ShamirRing(modulus: plan.m, parties: n)
        let prime = nextPrime(atLeast: BigInt(1) << (p.bits + p.statisticalSecurity + 16))
        field = ShamirRing(modulus: prime, parties: n)
        wide = ShamirRing(modulus: prime * prime, parties: n)
        let sieved = max(plan.bound, n)
        trial = TrialDivision(primes: SmallPrimes.upTo(p.trialDivisionBound).filter { $0 > sieved })
    }

    func report(_ phase: DistributedPaillier.Progress.Phase) {
        progress?(.init(phase: phase, candidatesTried: candidatesTried, biprimalityTests: biprimalityTests,
                        maxCandidates: parameters.maxCandidates))
    }

    // MARK: The ceremony

    mutating func run() async throws -> DistributedPaillier.Outcome {
        try await agree()
        while candidatesTried < parameters.maxCandidates {
            report(.modulus)
            let batch = try await candidateBatch()
            report(.biprimality)
            for candidate in try await biprimeCandidates(batch) {
                report(.decryptionKey)
                if let outcome = try await decryptionKey(for: candidate) {
                    report(.done)
                    return outcome
                }
            }
        }
        throw MPCError(.invalidParameter, "no modulus passed the biprimality test among \(candidatesTried) candidates (the budget): the expected number for \(bits) bits is a few thousand; raise maxCandidates")
    }

    /// Round 0: every party checks that all run the same parameters, and contributes to the
    /// public coin that picks the biprimality bases, the verification base and the test
    /// ciphertext (semi-honest parties: a plain exchange of random strings suffices).
    mutating func agree() async throws {
        var description = ByteWriter()
        for v in [parameters.bits, parameters.threshold, parameters.statisticalSecurity, parameters.biprimalityPasses,
                  parameters.batchSize, parameters.trialDivisionBound, parameters.maxCandidates, n] {
            description.u64(UInt64(v))
        }
        let digest = SHA256Bytes.hash(description.bytes)
        let mine = SecureRandom.bytes(32)
        let got = try await context.exchangeWithAll([Self.words(digest), Self.words(mine)], expectedWords: 8, step: "keygen parameters and coin")
        var contributions: [[UInt8]] = []
        for (i, party) in context.parties.enumerated() {
            if i + 1 == me { contributions.append(mine); continue }
            guard let w = got[party] else { preconditionFailure("exchange returns every peer or throws") }
            guard Self.bytes(w[0..<4]) == digest else {
                throw MPCError(.invalidParameter, "\(party) runs the key generation with different parameters (bits, threshold, security, batch, budget or party count): every founder must use the same settings", peer: party)
            }
            contributions.append(Self.bytes(w[4..<8]))
        }
        coin = PublicCoin(seed: SHA256Bytes.hash(concatenating: contributions))
    }

    static func words(_ bytes: [UInt8]) -> [UInt64] {
        stride(from: 0, to: bytes.count, by: 8).map { i in
            var w: UInt64 = 0
            for b in bytes[i..<min(i + 8, bytes.count)].reversed() { w = w << 8 | UInt64(b) }
            return w
        }
    }

    static func bytes(_ words: ArraySlice<UInt64>) -> [UInt8] {
        words.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * UInt64($0))) } }
    }

    // MARK: Candidates

    struct Candidate {
        let modulus: BigInt
        let p: BigInt
        let q: BigInt
        let receivedPShares: [BigInt]
    }

    /// One batch: sieve 2·batch values into additive shares of units mod m, lift them to p_i
    /// and q_i, compute every candidate's n = pq with one BGW multiplication, and open it.
    mutating func candidateBatch() async throws -> [Candidate] {
        let b = parameters.batchSize
        let sieved = try await sieveShares(count: 2 * b)
        let ps = (0..<b).map { sieve.lift(sieved[2 * $0], leader: isLeader) }
        let qs = (0..<b).map { sieve.lift(sieved[2 * $0 + 1], leader: isLeader) }

        // Shares of every party's p_i, q_i (degree τ) and of 0 (degree 2τ), mod P.
        let pShares = ps.map { field.share($0, degree: tau) }
        let qShares = qs.map { field.share($0, degree: tau) }
        let zShares = (0..<b).map { _ in field.shareZero(degree: 2 * tau) }
        let width = BigWords.count(bits: field.modulus.bitWidth)
        let received = try await exchangePoints(count: 3 * b, width: width, below: field.modulus, step: "keygen modulus shares") { j in
            (0..<b).flatMap { [pShares[$0][j - 1], qShares[$0][j - 1], zShares[$0][j - 1]] }
        }
        var productShares: [BigInt] = []
        productShares.reserveCapacity(b)
        for k in 0..<b {
            var p = BigInt(), q = BigInt(), z = BigInt()
            for i in 1...n {
                let v = received[i - 1]
                p += v[3 * k]; q += v[3 * k + 1]; z += v[3 * k + 2]
            }
            productShares.append((p.modulo(field.modulus) * q.modulo(field.modulus) + z).modulo(field.modulus))
        }
        let opened = try await broadcastPoints(productShares, width: width, below: field.modulus, step: "keygen modulus opening")
        var out: [Candidate] = []
        for k in 0..<b {
            let modulus = field.open(opened.map { $0[k] })
            // What every honest run gives: exactly `bits` bits, ≡ 1 mod 4 (p ≡ q ≡ 3).
            guard modulus.bitWidth == bits, UInt64(exactly: modulus % 4) == 1 else {
                throw MPCError(.inconsistentShares, "an opened candidate modulus has the wrong size or form: a party deviates from the protocol (its shares are not what the sieve produces); run the ceremony again without it")
            }
            out.append(Candidate(modulus: modulus, p: ps[k], q: qs[k],
                                 receivedPShares: (1...n).map { received[$0 - 1][3 * k] }))
        }
        candidatesTried += b
        return out
    }

    /// Additive shares mod m of `count` products Π_i a_i with a_i ∈ Z_m^* (party i's): shared
    /// with degree τ, multiplied pairwise in a tree with BGW degree reduction, and the last
    /// product (degree 2τ) turned into additive shares by its Lagrange coefficient.
    func sieveShares(count: Int) async throws -> [BigInt] {
        try await sieveShares(units: (0..<count).map { _ in sieve.randomUnit() })
    }

    func sieveShares(units mine: [BigInt]) async throws -> [BigInt] {
        let count = mine.count
        let sharings = mine.map { sieveRing.share($0, degree: tau) }
        let width = BigWords.count(bits: sieve.m.bitWidth)
        let received = try await exchangePoints(count: count, width: width, below: sieve.m, step: "keygen sieve shares") { j in
            sharings.map { $0[j - 1] }
        }
        var level = received
        let m = sieve.m
        while level.count > 2 {
            var next: [[BigInt]] = []
            var products: [[BigInt]] = []
            var i = 0
            while i + 1 < level.count {
                products.append((0..<count).map { (level[i][$0] * level[i + 1][$0]).modulo(m) })
                i += 2
            }
            let carried = i < level.count ? level[i] : nil
            // Degree reduction: reshare each local product with degree τ; the new share is
            // Σ_j λ_j · (party j's subshare).
            let resharings = products.map { row in row.map { sieveRing.share($0, degree: tau) } }
            let sub = try await exchangePoints(count: products.count * count, width: width, below: m, step: "keygen sieve product") { j in
                resharings.flatMap { row in row.map { $0[j - 1] } }
            }
            for (r, _) in products.enumerated() {
                next.append((0..<count).map { k in
                    var s = BigInt()
                    for j in 1...n { s += sieveRing.lagrangeAtZero[j - 1] * sub[j - 1][r * count + k] }
                    return s.modulo(m)
                })
            }
            if let carried { next.append(carried) }
            level = next
        }
        let lambda = sieveRing.lagrangeAtZero[me - 1]
        return (0..<count).map { k in (lambda * level[0][k] * level[1][k]).modulo(m) }
    }

    // MARK: Biprimality

    /// The candidates that pass trial division and the Boneh–Franklin test, in order.
    mutating func biprimeCandidates(_ batch: [Candidate]) async throws -> [Candidate] {
        let survivors = batch.filter { !trial.hasFactor($0.modulus) }
        if survivors.isEmpty { return [] }
        biprimalityTests += survivors.count
        // One pass for all survivors first: almost every composite fails it, so the other
        // passes run only for the few left, in one more round.
        let first = try await biprimalityPasses(survivors, passes: 0..<1)
        if first.isEmpty || parameters.biprimalityPasses == 1 { return first }
        return try await biprimalityPasses(first, passes: 1..<parameters.biprimalityPasses)
    }

    /// For each candidate and pass: a public g with Jacobi symbol (g/n) = 1; party 1
    /// publishes g^((n − p_1 − q_1 + 1)/4), the others g^((p_i + q_i)/4); the first divided by
    /// the product of the others is g^(φ/4), which is ±1 when n is a product of two primes ≡ 3 (mod 4) and, if not (and
    /// gcd(n, p + q − 1) = 1, checked through θ later), is not ±1 for at least half the g.
    func biprimalityPasses(_ candidates: [Candidate], passes: Range<Int>) async throws -> [Candidate] {
        let width = BigWords.count(bits: bits)
        var mine: [BigInt] = []
        var bases: [[BigInt?]] = []
        for c in candidates {
            let exponent = isLeader ? (c.modulus + 1 - c.p - c.q) >> 2 : (c.p + c.q) >> 2
            let modular = ModularContext(modulus: c.modulus)
            var row: [BigInt?] = []
            for pass in passes {
                let g = base(for: c.modulus, pass: pass)
                row.append(g)
                var y = modular.makeResult()
                // A Jacobi-0 base (a factor of n) fails the candidate; send 1 to keep lengths.
                if let g { modular.constantTimePower(g, exponent, exponentBits: bits, into: &y) } else { y = 1 }
                mine.append(y)
            }
            bases.append(row)
        }
        let got = try await broadcastPoints(mine, width: width, below: nil, step: "keygen biprimality")
        var passed: [Candidate] = []
        for (ci, c) in candidates.enumerated() {
            var ok = true
            for pi in 0..<passes.count {
                let k = ci * passes.count + pi
                guard bases[ci][pi] != nil else { ok = false; break }
                // g^(φ/4) = y_1 / Π_{i>1} y_i, so the test is y_1 = ±Π_{i>1} y_i.
                var others = BigInt(1)
                for i in 1...n {
                    let y = got[i - 1][k]
                    // Values arrive as words of `bits` bits: anything ≥ n is malformed.
                    guard y < c.modulus else {
                        throw MPCError(.malformedMessage, "\(context.parties[i - 1]) sent a biprimality value outside Z_n: it runs a different program or misbehaves; the ceremony is aborted on every party", peer: context.parties[i - 1])
                    }
                    if i > 1 { others = (others * y).modulo(c.modulus) }
                }
                let first = got[0][k]
                if first != others && first != c.modulus - others { ok = false; break }
            }
            if ok { passed.append(c) }
        }
        return passed
    }

    /// The pass's public base: from the coin, the first with Jacobi symbol 1; nil if one
    /// shares a factor with n.
    func base(for modulus: BigInt, pass: Int) -> BigInt? {
        var counter = 0
        while true {
            let g = coin.integer("biprimality", [modulus, BigInt(pass), BigInt(counter)], bits: bits + 64).modulo(modulus)
            switch g.jacobi(modulus) {
            case 1: return g
            case 0: return nil
            default: counter += 1
            }
        }
    }

    // MARK: The decryption key

    /// Nishide–Sakurai: χ = β·φ + n·R opened (β, R jointly random, never known; R's range
    /// 2^κ times χ's hides β·φ beyond θ = χ mod n = β·φ mod n); then d = β·φ = χ − n·R as
    /// additive shares, reshared with integer Shamir polynomials of degree t − 1, whose
    /// shares are v-exponents as the dealt key's are. nil if gcd(θ, n) ≠ 1, which is
    /// gcd(n, p + q − 1) ≠ 1 (the case Boneh–Franklin's test needs excluded) or gcd(n, φ) ≠ 1.
    mutating func decryptionKey(for c: Candidate) async throws -> DistributedPaillier.Outcome? {
        let modulus = c.modulus
        let kappa = parameters.statisticalSecurity
        let k = BigInt(1) << kappa
        let phi = isLeader ? modulus - c.p - c.q + 1 : -(c.p + c.q)
        let beta = BigInt.random(below: k * modulus)
        let r = BigInt.random(below: k * k * modulus)
        let width = BigWords.count(bits: wide.modulus.bitWidth)
        let sharings = [wide.share(phi, degree: tau), wide.share(beta, degree: tau), wide.share(r, degree: tau),
                        wide.shareZero(degree: 2 * tau)]
        let got = try await exchangePoints(count: 4, width: width, below: wide.modulus, step: "keygen phi beta shares") { j in
            sharings.map { $0[j - 1] }
        }
        var sums = [BigInt](repeating: BigInt(), count: 4)
        for i in 1...n { for v in 0..<4 { sums[v] += got[i - 1][v] } }
        let chiShare = (sums[0].modulo(wide.modulus) * sums[1].modulo(wide.modulus) + modulus * sums[2] + sums[3]).modulo(wide.modulus)
        let opened = try await broadcastPoints([chiShare], width: width, below: wide.modulus, step: "keygen chi opening")
        let chi = wide.open(opened.map { $0[0] })
        let nBig = BigInt(n)
        let chiBound = nBig * k * (k + 1) * modulus * modulus
        guard chi < chiBound else {
            throw MPCError(.inconsistentShares, "the opened value χ = β·φ + n·R is out of its range: a party deviates from the protocol; run the ceremony again without it")
        }
        let theta = chi.modulo(modulus)
        guard theta.gcd(modulus) == 1 else { return nil }

        // Integer resharing of d_i (d_1 = χ − n·R_1, d_i = −n·R_i): coefficients in [0, A)
        // with A = 2^(κ + parties) · χ's bound, so t − 1 points are statistically
        // independent of d up to d mod Δ (which is fixed by the public residues of p, q
        // for up to 5 parties; see the README). Non-negative coefficients make every share
        // Σ_i f_i(j) = d + Σ_k A_k j^k positive.
        let t = parameters.threshold
        let d = isLeader ? chi - modulus * r : -(modulus * r)
        let a = BigInt(1) << (kappa + n + chiBound.bitWidth)
        let coefficients = [d] + (1..<max(t, 1)).map { _ in BigInt.random(below: a) }
        let points: [BigInt] = (1...n).map { x in
            var value = BigInt()
            for coefficient in coefficients.reversed() { value = value * BigInt(x) + coefficient }
            return value
        }
        let pointBound = chiBound + BigInt(max(t - 1, 0)) * a * BigInt(n).power(max(t - 1, 0))
        let shareBits = (nBig * pointBound).bitWidth
        let pointWidth = BigWords.count(bits: pointBound.bitWidth)
        let reshared = try await exchangeSigned(points, width: pointWidth, bound: pointBound, step: "keygen key shares")
        var secret = BigInt()
        for v in reshared { secret += v }
        guard secret.signum > 0, secret.bitWidth <= shareBits else {
            throw MPCError(.inconsistentShares, "this party's key share is out of its range: a party deviates from the protocol; run the ceremony again without it")
        }
        report(.verification)
        return try await verify(candidate: c, theta: theta, secret: secret, shareBits: shareBits, beta: beta, r: r)
    }

    /// The verification base v (a public random square in Z*_{n²}), every party's
    /// verification key v^(Δ s_i), and a test decryption with the new key by every party,
    /// whose proofs every party checks.
    func verify(candidate c: Candidate, theta: BigInt, secret: BigInt, shareBits: Int, beta: BigInt, r: BigInt)
        async throws -> DistributedPaillier.Outcome {
        let modulus = c.modulus
        let nSquared = modulus * modulus
        var counter = 0
        var w = BigInt()
        repeat {
            w = coin.integer("verification-base", [modulus, BigInt(counter)], bits: 2 * bits + 128).modulo(nSquared)
            counter += 1
        } while w.isZero || w.gcd(modulus) != 1
        let v = w.power(2, modulus: nSquared)
        var delta = BigInt(1)
        for i in 1...n { delta *= BigInt(i) }
        let modular = ModularContext(modulus: nSquared)
        var vk = modular.makeResult()
        modular.constantTimePower(v, delta * secret, exponentBits: delta.bitWidth + shareBits, into: &vk)
        let width = BigWords.count(bits: nSquared.bitWidth)
        let keys = try await broadcastPoints([vk], width: width, below: nSquared, step: "keygen verification keys").map { $0[0] }
        for (i, key) in keys.enumerated() where key.isZero || key.gcd(modulus) != 1 {
            throw MPCError(.malformedMessage, "\(context.parties[i]) sent a verification key outside Z*_{n²}: it misbehaves; the ceremony is aborted on every party", peer: context.parties[i])
        }
        let thresholdKey: Paillier.ThresholdPublicKey
        let share: Paillier.ThresholdKeyShare
        do {
            let publicKey = try Paillier.PublicKey(n: modulus, policy: parameters.policy).withFastEncryptionBase()
            thresholdKey = try Paillier.ThresholdPublicKey(
                publicKey: publicKey, threshold: parameters.threshold, parties: n, verificationBase: v,
                verificationKeys: keys, theta: theta, shareBits: shareBits)
            share = try Paillier.ThresholdKeyShare(thresholdKey: thresholdKey, index: me, secret: secret)
        } catch let e as PaillierError {
            throw MPCError(.inconsistentShares, "the generated key does not validate: \(e.message)")
        }

        // The test ciphertext comes from the coin, so every party decrypts the same one.
        let plaintext = coin.integer("check-plaintext", [modulus], bits: bits - 2)
        var randomizer = BigInt()
        counter = 0
        repeat {
            randomizer = coin.integer("check-randomizer", [modulus, BigInt(counter)], bits: bits + 64).modulo(modulus)
            counter += 1
        } while randomizer.isZero || randomizer.gcd(modulus) != 1
        let ciphertext: Paillier.Ciphertext
        do {
            ciphertext = try thresholdKey.publicKey.encrypt(residue: plaintext, randomizer: randomizer.power(modulus, modulus: nSquared))
        } catch let e as PaillierError {
            throw MPCError(.inconsistentShares, "the generated key cannot encrypt its test value: \(e.message)")
        }
        let mine = share.decrypt(ciphertext)
        let responseWidth = BigWords.count(bits: delta.bitWidth + shareBits + 256 + 128 + 2)
        var words: [UInt64] = []
        BigWords.append(mine.value, width: width, to: &words)
        BigWords.append(mine.challenge, width: 4, to: &words)
        BigWords.append(mine.response, width: responseWidth, to: &words)
        let got = try await context_exchangeAll(words, step: "keygen test decryption")
        var shares: [Paillier.DecryptionShare] = []
        for i in 1...n {
            if i == me { shares.append(mine); continue }
            let peer = context.parties[i - 1]
            guard let raw = got[peer] else { preconditionFailure("exchange returns every peer or throws") }
            let value = BigWords.read(raw[0..<width])
            let e = BigWords.read(raw[width..<(width + 4)])
            let z = BigWords.read(raw[(width + 4)...])
            let decryptionShare = Paillier.DecryptionShare(index: i, value: value, challenge: e, response: z)
            do {
                try thresholdKey.verify(decryptionShare, for: ciphertext)
            } catch let error as PaillierError {
                throw MPCError(.malformedMessage, "\(peer)'s test decryption with the new key fails its proof (\(error.message)): its key share does not match its verification key; the ceremony is aborted on every party", peer: peer)
            }
            shares.append(decryptionShare)
        }
        let t = parameters.threshold
        for subset in [Array(shares.prefix(t)), Array(shares.suffix(t))] {
            let result = try? thresholdKey.combineResidue(subset, for: ciphertext)
            guard result == plaintext else {
                throw MPCError(.inconsistentShares, "the generated key does not decrypt its test ciphertext: the shares are inconsistent (a party deviates from the protocol); run the ceremony again")
            }
        }
        return DistributedPaillier.Outcome(
            share: share, holders: context.parties, candidatesTried: candidatesTried,
            biprimalityTests: biprimalityTests, rounds: context.stepCount + 1,
            secrets: DistributedPaillier.PartySecrets(p: c.p, q: c.q, beta: beta, r: r, receivedPShares: c.receivedPShares))
    }

    // MARK: Messages

    /// Sends party j the values `valuesFor(j)` (`count` values of `width` words) and
    /// returns, for each party 1...n, the values it sent this party (this party's own
    /// included), each checked below `bound`.
    func exchangePoints(count: Int, width: Int, below bound: BigInt, step: StaticString,
                        _ valuesFor: (Int) -> [BigInt]) async throws -> [[BigInt]] {
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for (i, party) in context.parties.enumerated() where i + 1 != me {
            var words: [UInt64] = []
            words.reserveCapacity(count * width)
            for v in valuesFor(i + 1) { BigWords.append(v, width: width, to: &words) }
            outgoing[party] = [words]
        }
        let got = try await context.exchange(outgoing, from: context.peers, expectedWords: count * width, step: step)
        return try (1...n).map { i in
            if i == me { return valuesFor(me) }
            return try decode(got, party: i, count: count, width: width, below: bound, step: step)
        }
    }

    /// Sends every peer the same values; returns every party's (this party's included).
    func broadcastPoints(_ values: [BigInt], width: Int, below bound: BigInt?, step: StaticString) async throws -> [[BigInt]] {
        var words: [UInt64] = []
        words.reserveCapacity(values.count * width)
        for v in values { BigWords.append(v, width: width, to: &words) }
        let got = try await context_exchangeAll(words, step: step)
        return try (1...n).map { i in
            if i == me { return values }
            return try decode(got, party: i, count: values.count, width: width, below: bound, step: step)
        }
    }

    func context_exchangeAll(_ words: [UInt64], step: StaticString) async throws -> [PartyID: [UInt64]] {
        try await context.exchangeWithAll([words], expectedWords: words.count, step: step)
    }

    func decode(_ got: [PartyID: [UInt64]], party i: Int, count: Int, width: Int, below bound: BigInt?,
                step: StaticString) throws -> [BigInt] {
        let peer = context.parties[i - 1]
        guard let words = got[peer] else { preconditionFailure("exchange returns every peer or throws") }
        return try (0..<count).map { k in
            let v = BigWords.read(words[(k * width)..<((k + 1) * width)])
            if let bound, v >= bound {
                throw MPCError(.malformedMessage, "\(peer) sent a value outside its range (value \(k + 1) of \(count)) at step '\(step)': it runs a different program or misbehaves; the ceremony is aborted on every party", peer: peer)
            }
            return v
        }
    }

    /// The integer resharing: party j gets `points[j − 1]` (signed, |v| ≤ bound) as a sign
    /// word and `width` magnitude words; returns what each party sent this party.
    func exchangeSigned(_ points: [BigInt], width: Int, bound: BigInt, step: StaticString) async throws -> [BigInt] {
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for (i, party) in context.parties.enumerated() where i + 1 != me {
            var words: [UInt64] = [points[i].isNegative ? 1 : 0]
            BigWords.append(points[i].magnitude, width: width, to: &words)
            outgoing[party] = [words]
        }
        let got = try await context.exchange(outgoing, from: context.peers, expectedWords: 1 + width, step: step)
        return try (1...n).map { i in
            if i == me { return points[me - 1] }
            let peer = context.parties[i - 1]
            guard let words = got[peer] else { preconditionFailure("exchange returns every peer or throws") }
            let magnitude = BigWords.read(words[1...])
            guard words[0] <= 1, magnitude <= bound else {
                throw MPCError(.malformedMessage, "\(peer) sent an integer key share outside its range at step '\(step)': it runs a different program or misbehaves; the ceremony is aborted on every party", peer: peer)
            }
            return words[0] == 1 ? -magnitude : magnitude
        }
    }
}
