import TacitMath
import TacitBytes

// The arithmetic the ceremony's rounds share: Shamir sharing over a ring Z_m whose prime
// factors all exceed the party count (so every Lagrange denominator is a unit), fixed-width
// word encodings of big integers, a hash-based public coin, small primes and the Jacobi symbol.

/// Shamir sharing over Z_m, parties at the points 1...n. m is a prime, a prime power or a
/// product of primes all larger than n: then Z_m is a product of local rings in each of which
/// the evaluation map at any τ + 1 points is invertible, so τ shares of a random degree-τ
/// polynomial are uniform (secrecy) and degree-(n − 1) interpolation works.
struct ShamirRing {
    let modulus: BigInt
    let parties: Int
    /// λ_j for interpolating at 0 from all of 1...n (any polynomial of degree < n).
    let lagrangeAtZero: [BigInt]

    init(modulus: BigInt, parties: Int) {
        self.modulus = modulus
        self.parties = parties
        lagrangeAtZero = Self.lagrange(points: Array(1...parties), modulus: modulus)
    }

    /// λ_j = Π_{m ≠ j} m / (m − j) mod `modulus` for each j in `points`.
    static func lagrange(points: [Int], modulus: BigInt) -> [BigInt] {
        points.map { j in
            var num = BigInt(1), den = BigInt(1)
            for m in points where m != j {
                num *= BigInt(m)
                den *= BigInt(m - j)
            }
            // The denominator's factors are below the party count, hence units mod m.
            guard let inv = den.modulo(modulus).inverse(modulus) else {
                preconditionFailure("ShamirRing: a Lagrange denominator is not a unit; the modulus has a factor ≤ the party count")
            }
            return (num * inv).modulo(modulus)
        }
    }

    /// The values at 1...n of a random polynomial of degree `degree` with constant `secret`
    /// (reduced mod m), coefficients uniform from ``SecureRandom``.
    func share(_ secret: BigInt, degree: Int) -> [BigInt] {
        var coefficients = [secret.modulo(modulus)]
        for _ in 0..<degree { coefficients.append(BigInt.random(below: modulus)) }
        return evaluate(coefficients)
    }

    /// A random sharing of 0 of degree `degree` (x times a random polynomial): added to a
    /// product's shares before they are opened, so the opened points say nothing but the
    /// product.
    func shareZero(degree: Int) -> [BigInt] {
        var coefficients = [BigInt()]
        for _ in 0..<degree { coefficients.append(BigInt.random(below: modulus)) }
        return evaluate(coefficients)
    }

    func evaluate(_ coefficients: [BigInt]) -> [BigInt] {
        (1...parties).map { x in
            var value = BigInt()
            for c in coefficients.reversed() { value = value * BigInt(x) + c }
            return value.modulo(modulus)
        }
    }

    /// The secret from every party's point (index 0 = party 1).
    func open(_ points: [BigInt]) -> BigInt {
        var sum = BigInt()
        for (j, y) in points.enumerated() { sum += y * lagrangeAtZero[j] }
        return sum.modulo(modulus)
    }
}

/// Big integers as fixed-width little-endian 64-bit words: every receiver knows a message's
/// length in advance, and a value's width never depends on the value.
enum BigWords {
    static func count(bits: Int) -> Int { max(1, (bits + 63) / 64) }

    /// Appends `value` (non-negative, at most 64·`width` bits) in `width` words.
    static func append(_ value: BigInt, width: Int, to out: inout [UInt64]) {
        precondition(!value.isNegative && value.bitWidth <= 64 * width, "BigWords: the value does not fit its field")
        guard let bytes = try? value.bigEndianBytes(width: 8 * width) else {
            preconditionFailure("BigWords: the value does not fit its field")
        }
        for w in 0..<width {
            var word: UInt64 = 0
            let hi = 8 * (width - 1 - w)
            for b in 0..<8 { word = word << 8 | UInt64(bytes[hi + b]) }
            out.append(word)
        }
    }

    /// The non-negative integer in `words` (least significant first).
    static func read(_ words: ArraySlice<UInt64>) -> BigInt {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 * words.count)
        for word in words.reversed() {
            for b in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(b)))) }
        }
        return BigInt(bigEndianBytes: bytes)
    }
}

/// A public coin: SHA-256 in counter mode over a domain label, the ceremony's joint seed and
/// context values. Every party derives the same integers.
struct PublicCoin {
    let seed: [UInt8]

    /// A `bits`-bit integer determined by (label, values).
    func integer(_ label: String, _ values: [BigInt], bits: Int) -> BigInt {
        var prefix = Array("tacit.keygen.v1/\(label)".utf8)
        prefix.append(0)
        prefix += seed
        for v in values {
            let bytes = v.bigEndianBytes
            prefix += withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init)
            prefix += bytes
        }
        var out: [UInt8] = []
        var counter: UInt32 = 0
        while out.count * 8 < bits {
            out += SHA256Bytes.hash(prefix + withUnsafeBytes(of: counter.bigEndian, Array.init))
            counter += 1
        }
        return BigInt(bigEndianBytes: out) >> (out.count * 8 - bits)
    }
}

enum SmallPrimes {
    /// The primes in 2...bound (sieve of Eratosthenes).
    static func upTo(_ bound: Int) -> [Int] {
        guard bound >= 2 else { return [] }
        var composite = [Bool](repeating: false, count: bound + 1)
        var primes: [Int] = []
        for i in 2...bound where !composite[i] {
            primes.append(i)
            var j = i * i
            while j <= bound { composite[j] = true; j += i }
        }
        return primes
    }
}

/// Trial division of public candidates by the primes in an interval, a word of primes at a
/// time: one big-integer remainder per product of primes that fits 64 bits.
struct TrialDivision {
    let chunks: [(product: UInt64, primes: [UInt64])]

    init(primes: [Int]) {
        var chunks: [(UInt64, [UInt64])] = []
        var product: UInt64 = 1, current: [UInt64] = []
        for p in primes.map(UInt64.init) {
            let (next, overflow) = product.multipliedReportingOverflow(by: p)
            if overflow {
                chunks.append((product, current))
                product = p
                current = [p]
            } else {
                product = next
                current.append(p)
            }
        }
        if !current.isEmpty { chunks.append((product, current)) }
        self.chunks = chunks
    }

    /// Whether some prime of the interval divides `n`.
    func hasFactor(_ n: BigInt) -> Bool {
        for (product, primes) in chunks {
            guard let r = UInt64(exactly: n % BigInt(product)) else { return true }
            for p in primes where r % p == 0 { return true }
        }
        return false
    }
}

extension BigInt {
    /// The Jacobi symbol (self / n) for odd positive n: −1, 0 or 1. Public inputs only.
    func jacobi(_ n: BigInt) -> Int {
        precondition(n.signum > 0 && n.isOdd, "jacobi: n must be odd and positive")
        var a = self.modulo(n), m = n
        var result = 1
        while !a.isZero {
            var twos = 0
            while a.isEven { a >>= 1; twos += 1 }
            if twos % 2 == 1 {
                let r = UInt64(exactly: m % 8) ?? 0
                if r == 3 || r == 5 { result = -result }
            }
            swap(&a, &m)
            if UInt64(exactly: a % 4) == 3 && UInt64(exactly: m % 4) == 3 { result = -result }
            a = a.modulo(m)
        }
        return m == 1 ? result : 0
    }
}

/// The smallest probable prime at or above `start` (deterministic: every party finds the
/// same one).
func nextPrime(atLeast start: BigInt) -> BigInt {
    var c = start.isEven ? start + 1 : start
    while !c.isProbablePrime(rounds: 25) { c += 2 }
    return c
}
