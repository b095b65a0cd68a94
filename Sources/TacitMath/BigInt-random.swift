internal import CGMP

extension BigInt {
    /// A uniformly random integer in `0..<2^bits`, from ``SecureRandom``.
    public static func random(bits: Int) -> BigInt {
        var generator = SecureRandom()
        return random(bits: bits, using: &generator)
    }

    /// A uniformly random integer in `0..<bound`, from ``SecureRandom``. Traps unless
    /// `bound > 0`.
    public static func random(below bound: BigInt) -> BigInt {
        var generator = SecureRandom()
        return random(below: bound, using: &generator)
    }

    /// A uniformly random integer in `range`, from ``SecureRandom``.
    public static func random(in range: Range<BigInt>) -> BigInt {
        precondition(!range.isEmpty, "BigInt.random(in:): the range is empty")
        return range.lowerBound + random(below: range.upperBound - range.lowerBound)
    }

    /// As ``random(bits:)`` with a caller-chosen generator: reproducible tests pass a seeded
    /// one. Anything secret must use ``SecureRandom``.
    public static func random(bits: Int, using generator: inout some RandomNumberGenerator) -> BigInt {
        precondition(bits >= 0, "BigInt.random(bits:): the bit count must not be negative")
        if bits == 0 { return BigInt() }
        let wordCount = (bits + 63) / 64
        var words = [UInt64](repeating: 0, count: wordCount)
        for i in 0..<wordCount { words[i] = generator.next() }
        let excess = wordCount * 64 - bits
        if excess > 0 { words[wordCount - 1] &= UInt64.max >> excess }
        let storage = GMPStorage.make(bits: wordCount * 64)
        storage.withUnsafeMutablePointerToElements { z in
            words.withUnsafeBufferPointer { w in
                __gmpz_import(z, w.count, -1, 8, 0, 0, w.baseAddress)
            }
        }
        words.withUnsafeMutableBytes { secureZero($0) }
        return BigInt(storage: storage)
    }

    /// As ``random(below:)`` with a caller-chosen generator. Rejection sampling over
    /// `bound.bitWidth` bits, so every value is equally likely (fewer than two draws expected).
    public static func random(below bound: BigInt, using generator: inout some RandomNumberGenerator) -> BigInt {
        precondition(bound.signum > 0, "BigInt.random(below:): the bound must be positive")
        let bits = (bound - 1).bitWidth
        while true {
            let candidate = random(bits: bits, using: &generator)
            if candidate < bound { return candidate }
        }
    }
}

// MARK: Primes

extension BigInt {
    /// Whether `self` is probably prime: GMP's Baillie–PSW test followed by further
    /// Miller–Rabin rounds (no composite is known to pass Baillie–PSW). Negative numbers, 0
    /// and 1 are not prime.
    public func isProbablePrime(rounds: Int = 40) -> Bool {
        if signum <= 0 { return false }
        return withMPZ { __gmpz_probab_prime_p($0, Int32(max(rounds, 25))) != 0 }
    }

    /// A random probable prime of exactly `bits` bits whose top two bits are set, so that the
    /// product of two such primes has exactly `2·bits` bits (what RSA and Paillier moduli
    /// need). Candidates come from ``SecureRandom``.
    public static func probablePrime(bits: Int) -> BigInt {
        var generator = SecureRandom()
        return probablePrime(bits: bits, using: &generator)
    }

    public static func probablePrime(bits: Int, using generator: inout some RandomNumberGenerator) -> BigInt {
        precondition(bits >= 2, "BigInt.probablePrime: a prime needs at least 2 bits")
        if bits == 2 { return BigInt(Int(generator.next() & 1) + 2) }
        let topBits = (BigInt(3) << (bits - 2)) | 1
        if bits <= 16 {
            while true {
                let candidate = random(bits: bits, using: &generator) | topBits
                if candidate.isProbablePrime() { return candidate }
            }
        }
        // Search upward from a random odd start, sieving by the small primes with residues kept
        // up to date by addition, as OpenSSL does: only candidates with no small factor reach
        // the expensive test. A fresh start after each window keeps the search from drifting.
        let primes = smallPrimes
        while true {
            let start = random(bits: bits, using: &generator) | topBits
            let residues = primes.map { UInt(start.remainder(dividingBy: $0)) }
            var delta: UInt = 0
            searching: while delta < 1 << 16 {
                for (i, p) in primes.enumerated() where (residues[i] + delta) % p == 0 {
                    delta += 2
                    continue searching
                }
                let candidate = start + BigInt(delta)
                delta += 2
                guard candidate.bitWidth == bits else { break }
                if candidate.isProbablePrime() { return candidate }
            }
        }
    }

    /// A random safe prime `p = 2q + 1` (q prime too) of exactly `bits` bits with the top two
    /// bits set, as threshold Paillier (Shoup, Damgård–Jurik) needs. Much slower than
    /// ``probablePrime(bits:)``: candidates are sieved by small primes for both p and q before
    /// any expensive test.
    public static func safePrime(bits: Int) -> BigInt {
        var generator = SecureRandom()
        return safePrime(bits: bits, using: &generator)
    }

    public static func safePrime(bits: Int, using generator: inout some RandomNumberGenerator) -> BigInt {
        // Below 6 bits no safe prime has its top two bits set.
        precondition(bits >= 6, "BigInt.safePrime: a safe prime with its top two bits set needs at least 6 bits")
        if bits <= 16 {
            // Small sizes: plain search; the sieve below assumes candidates above its primes.
            while true {
                let q = probablePrime(bits: bits - 1, using: &generator)
                let p = 2 * q + 1
                if p.isProbablePrime() { return p }
            }
        }
        let primes = smallPrimes
        // Search q = start + 2k over a window, where p = 2q + 1. q and p are sieved together:
        // both must avoid every small prime.
        while true {
            let topBits = (BigInt(3) << (bits - 3))
            let start = random(bits: bits - 1, using: &generator) | topBits | 1
            let residues = primes.map { UInt(start.remainder(dividingBy: $0)) }
            var delta: UInt = 0
            let window: UInt = 1 << 16
            searching: while delta < window {
                for (i, p) in primes.enumerated() {
                    let r = (residues[i] + delta) % p
                    if r == 0 || (2 * r + 1) % p == 0 {
                        delta += 2
                        continue searching
                    }
                }
                let q = start + BigInt(delta)
                delta += 2
                guard q.bitWidth == bits - 1 else { break }
                // Cheap single round on q first; the full tests only for survivors.
                guard q.withMPZ({ __gmpz_probab_prime_p($0, 1) }) != 0 else { continue }
                let p = 2 * q + 1
                guard p.withMPZ({ __gmpz_probab_prime_p($0, 1) }) != 0 else { continue }
                if q.isProbablePrime() && p.isProbablePrime() { return p }
            }
        }
    }

    /// `self mod divisor` for a small positive divisor.
    func remainder(dividingBy divisor: UInt) -> UInt {
        withMPZ { UInt(__gmpz_fdiv_ui($0, divisor)) }
    }
}

/// The odd primes below 2^14, for sieving candidates.
let smallPrimes: [UInt] = {
    let limit = 1 << 14
    var composite = [Bool](repeating: false, count: limit)
    var result: [UInt] = []
    for i in 3..<limit where i % 2 == 1 && !composite[i] {
        result.append(UInt(i))
        var j = i * i
        while j < limit { composite[j] = true; j += 2 * i }
    }
    return result
}()
