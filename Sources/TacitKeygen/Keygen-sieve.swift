import TacitMath

/// The distributed sieve's public plan (after Boneh–Franklin §4 and Diogenes' sieve): with
/// m the product of the odd primes in (parties, bound], each party picks a_i ∈ Z_m^*; the
/// product a = Π a_i (a unit mod m) is converted to additive shares c_i mod m; each party
/// lifts its c_i to an integer with the fixed residues below and a random multiple of
/// l = 4·s·m. So p = Σ p_i ≡ a (mod m) is coprime to every prime in m by construction.
///
/// The odd primes up to the party count cannot be sieved this way (Shamir over Z_r needs r
/// above the party count), so p ≡ −1 is fixed for them, as Boneh–Franklin fix p ≡ 3 (mod 4)
/// for the biprimality test: party 1's share is ≡ −1 (mod 4s) and every other share ≡ 0.
/// These residues are public; they say nothing about p beyond them.
struct SievePlan {
    /// Odd primes ≤ the party count (p ≡ −1 mod each, public).
    let fixedPrimes: [Int]
    /// Odd primes in (parties, bound]: sieved.
    let sievePrimes: [Int]
    /// Π sievePrimes.
    let m: BigInt
    /// 4 · Π fixedPrimes.
    let fixedModulus: BigInt
    /// m · fixedModulus: p mod l is fixed by the sieve and the fixed residues.
    let l: BigInt
    let mInverse: BigInt
    /// Added to party 1's share (a multiple of l): puts p in [3·2^(h−2), 2^h), so that n
    /// has exactly 2h bits.
    let offset: BigInt
    /// Each party's random multiple of l is below this.
    let rhoBound: BigInt
    let primeBits: Int

    /// The plan for primes of `primeBits` bits among `parties`: m grows while l keeps 32 bits
    /// plus the party count's below 2^(h−2), so the random multiples of l still carry 32 bits
    /// of each share (the residue mod m carries the rest).
    init(primeBits h: Int, parties: Int) {
        primeBits = h
        let odd = SmallPrimes.upTo(1 << 16).filter { $0 > 2 }
        fixedPrimes = odd.filter { $0 <= parties }
        var fixed = BigInt(4)
        for r in fixedPrimes { fixed *= BigInt(r) }
        fixedModulus = fixed
        let budget = h - 2 - 32 - BigInt(parties).bitWidth
        var m = BigInt(1)
        var sieved: [Int] = []
        for r in odd where r > parties {
            let next = m * BigInt(r)
            if (next * fixed).bitWidth > budget { break }
            m = next
            sieved.append(r)
        }
        sievePrimes = sieved
        self.m = m
        l = m * fixed
        guard let inv = m.inverse(fixed) else { preconditionFailure("SievePlan: m and 4s are coprime by construction") }
        mInverse = inv
        let quarter = BigInt(1) << (h - 2)
        offset = ((3 * quarter + l - 1) / l) * l
        rhoBound = (quarter - l) / (BigInt(parties) * l) - 1
    }

    /// The largest sieved prime (0 if none).
    var bound: Int { sievePrimes.last ?? 0 }

    /// A uniform element of Z_m^*.
    func randomUnit() -> BigInt {
        while true {
            let a = BigInt.random(below: m)
            if a.gcd(m) == 1 { return a }
        }
    }

    /// The integer share with residue `c` mod m, the fixed residue mod 4s (−1 for party 1,
    /// 0 for the others), a random multiple of l, and party 1's offset.
    func lift(_ c: BigInt, leader: Bool) -> BigInt {
        let e = leader ? fixedModulus - 1 : BigInt()
        let crt = c + m * ((e - c) * mInverse).modulo(fixedModulus)
        let share = crt + l * BigInt.random(below: rhoBound)
        return leader ? share + offset : share
    }
}
