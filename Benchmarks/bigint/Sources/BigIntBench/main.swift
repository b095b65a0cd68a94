// The Swift side of make bench-bigint: the same operations as bench.c, through BigInt's public
// API. Prints "op nanoseconds-per-operation" for one timed sample of each.
import Foundation
import TacitMath

let arguments = CommandLine.arguments
guard arguments.count >= 4, let powmIterations = Int(arguments[2]), let mulmodIterations = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: BigIntBench INPUTS POWM_ITERS MULMOD_ITERS\n".utf8))
    exit(2)
}
let lines = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n")
let values = try lines.prefix(5).map { try BigInt(parsing: $0, radix: 16) }
let (m, e, base, a, b) = (values[0], values[1], values[2], values[3], values[4])

func nanoseconds(_ iterations: Int, _ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
}

// mpz_powm_sec's time follows the exponent's actual length; give ours the same public bound
// (its default pads to the modulus width, which hides the length but doubles the work here).
let exponentBits = e.bitWidth

// Results go to a sink the optimiser cannot see through, so no loop is elided.
var sink = BigInt()

print("powm", String(format: "%.1f", nanoseconds(powmIterations) { sink = base.power(e, modulus: m) }))
print("powm_sec", String(format: "%.1f", nanoseconds(powmIterations) { sink = base.constantTimePower(e, modulus: m, exponentBits: exponentBits) }))
print("mulmod", String(format: "%.1f", nanoseconds(mulmodIterations) { sink = (a * b).modulo(m) }))

let context = ModularContext(modulus: m)
var result = context.makeResult()
print("mulmod_ctx", String(format: "%.1f", nanoseconds(mulmodIterations) { context.multiply(a, b, into: &result) }))
let secretExponentContext = ModularContext(modulus: m)
print("powm_sec_ctx", String(format: "%.1f", nanoseconds(powmIterations) {
    secretExponentContext.constantTimePower(base, e, exponentBits: exponentBits, into: &result)
}))

if sink.isZero && result.isZero { print("unreachable") }
