// Tacit's side of `make bench-paillier`: 2048-bit Paillier, one core and all cores.
// Prints "tacit <op> <microseconds per op>" per repetition; run.sh takes medians.
//
// usage: PaillierBench [repetitions] [threshold-key-cache-file] [window]
import Foundation
import TacitCrypto
import TacitMath

let arguments = CommandLine.arguments
let reps = arguments.count > 1 ? Int(arguments[1])! : 5
let cachePath = arguments.count > 2 ? arguments[2] : "threshold-2048.txt"
let windowOverride = arguments.count > 3 ? Int(arguments[3]) : nil

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func report(_ op: String, _ seconds: Double, _ iterations: Int) {
    print(String(format: "tacit %@ %.2f", op, seconds / Double(iterations) * 1e6))
    fflush(nil)
}

func timed(_ op: String, _ iterations: Int, _ body: () throws -> Void) rethrows {
    for _ in 0..<reps {
        let t0 = now()
        for _ in 0..<iterations { try body() }
        report(op, now() - t0, iterations)
    }
}

func timedAsync(_ op: String, _ iterations: Int, _ body: () async throws -> Void) async rethrows {
    for _ in 0..<reps {
        let t0 = now()
        try await body()
        report(op, now() - t0, iterations)
    }
}

@inline(never) func consume(_ x: some Any) { withExtendedLifetime(x) {} }

let cores = ProcessInfo.processInfo.activeProcessorCount
print("tacit cores \(cores)")

// Key generation.
try timed("keygen", 3) { consume(try Paillier.PrivateKey.generate(bits: 2048)) }

var key = try Paillier.PrivateKey.generate(bits: 2048)
var pk = key.publicKey
if let windowOverride {
    pk = pk.withFastEncryptionWindow(windowOverride)
    key = try Paillier.PrivateKey(p: key.p, q: key.q, publicKey: pk)
}
let t0 = now()
pk.precomputeFastEncryption()
print(String(format: "tacit table_build_ms %.1f", (now() - t0) * 1e3))

let m = BigInt.random(bits: 62)
try timed("encrypt", 200) { consume(try pk.encrypt(m)) }
try timed("encrypt_textbook", 10) { consume(try pk.encrypt(m, method: .textbook)) }
try timed("encrypt_keyholder", 50) { consume(try key.encrypt(m)) }
let pool = Paillier.RandomizerPool(publicKey: pk)
await pool.refill(2000)
try timed("encrypt_pooled", 2000 / reps) { consume(try pool.encrypt(m)) }

let c = try pk.encrypt(m)
precondition(key.decrypt(c) == m, "decryption is wrong")
timed("decrypt", 200) { consume(key.decrypt(c)) }

let d = try pk.encrypt(5)
timed("add", 20000) { consume(pk.add(c, d)) }
let evaluator = Paillier.Evaluator(publicKey: pk)
var accumulator = c.value
timed("add_inplace", 20000) { evaluator.accumulate(&accumulator, d) }
let k = BigInt(UInt64.random(in: (1 << 63)...UInt64.max))
try timed("mul64", 2000) { consume(try pk.multiply(c, by: k)) }

// All cores, through the batch APIs.
let batch = 400
let plaintexts = (0..<batch).map { _ in BigInt.random(bits: 62) }
try await timedAsync("encrypt_all_cores", batch) { consume(try await pk.encrypt(plaintexts)) }
let cs = try await pk.encrypt(plaintexts)
await timedAsync("decrypt_all_cores", batch) { consume(await key.decrypt(cs)) }
let many = Array(repeating: cs, count: 50).flatMap { $0 }
await timedAsync("add_all_cores", many.count) { consume(await pk.add(many, many)) }
try await timedAsync("mul64_all_cores", batch) { consume(try await pk.multiply(cs, by: Array(repeating: k, count: cs.count))) }

// Threshold decryption at 2048 bits (2 of 3), keys dealt once and cached (safe primes are slow).
var p = BigInt(), q = BigInt()
if let text = try? String(contentsOfFile: cachePath, encoding: .utf8) {
    let lines = text.split(separator: "\n")
    p = try BigInt(parsing: lines[0]); q = try BigInt(parsing: lines[1])
} else {
    let t = now()
    p = BigInt.safePrime(bits: 1024)
    q = BigInt.safePrime(bits: 1024)
    print(String(format: "tacit safe_primes_s %.1f", now() - t))
    try "\(p)\n\(q)\n".write(toFile: cachePath, atomically: true, encoding: .utf8)
}
let (tk, shares) = try Paillier.dealThresholdKey(p: p, q: q, threshold: 2, parties: 3)
let tc = try tk.publicKey.encrypt(m)
timed("threshold_partial", 10) { consume(shares[0].decrypt(tc)) }
let partials = [shares[0].decrypt(tc), shares[2].decrypt(tc)]
try timed("threshold_combine", 10) { let v = try tk.combine(partials, for: tc); precondition(v == m) }
// One full threshold decryption, as a client sees it with the parties working in parallel:
// the partial decryptions run concurrently (one task per party), then verify-and-combine.
try await timedAsync("threshold_decrypt", 1) {
    for _ in 0..<1 {
        let made = await withTaskGroup(of: Paillier.DecryptionShare.self) { group in
            for share in shares.prefix(2) { group.addTask { share.decrypt(tc) } }
            var out: [Paillier.DecryptionShare] = []
            for await s in group { out.append(s) }
            return out
        }
        let v = try tk.combine(made, for: tc)
        precondition(v == m)
    }
}
