#!/usr/bin/env python3
"""Generates Tests/TacitMathTests/Fixtures/bigint-vectors.json: reference results computed by
CPython's own big integers, an implementation independent of GMP. Deterministic (fixed seed),
so re-running it reproduces the committed file."""
import json, math, random, sys

rng = random.Random(20261120)

def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q

def trunc_rem(a, b):
    return a - b * trunc_div(a, b)

cases = []
for i in range(40):
    bits_a = rng.choice([64, 65, 127, 128, 1000, 2048, 4096])
    bits_b = rng.choice([1, 63, 64, 500, 1024, 2048])
    a = rng.getrandbits(bits_a) * rng.choice([1, -1])
    b = (rng.getrandbits(bits_b) | 1) * rng.choice([1, -1])
    m = rng.getrandbits(rng.choice([61, 256, 1024, 2048])) | (1 << 60) | 1
    e = rng.getrandbits(rng.choice([1, 17, 512, 2048]))
    inv = None
    if math.gcd(a, m) == 1:
        inv = pow(a, -1, m)
    shift = rng.randrange(0, 300)
    cases.append({
        "a": str(a), "b": str(b), "m": str(m), "e": str(e), "shift": shift,
        "sum": str(a + b), "difference": str(a - b), "product": str(a * b),
        "quotient": str(trunc_div(a, b)), "remainder": str(trunc_rem(a, b)),
        "modulo": str(a % m), "power": str(pow(a, e, m)),
        "inverse": None if inv is None else str(inv),
        "gcd": str(math.gcd(a, b)),
        "shiftedLeft": str(a << shift), "shiftedRight": str(a >> shift),
        "and": str(a & b), "or": str(a | b), "xor": str(a ^ b),
        "hex": format(a, "x") if a >= 0 else "-" + format(-a, "x"),
        "magnitudeBytes": abs(a).to_bytes((abs(a).bit_length() + 7) // 8, "big").hex(),
    })

json.dump({"generator": "Scripts/gen_bigint_vectors.py (CPython int)", "cases": cases},
          sys.stdout, indent=1)
sys.stdout.write("\n")
