#!/usr/bin/env bash
# make bench-bigint: BigInt versus a C program making the same GMP calls, in one run.
# 4096-bit modulus: modular power with a 2048-bit exponent, and multiply-and-reduce. The two
# programs alternate ROUNDS times on the same inputs so that machine noise hits both alike;
# medians are compared. Ends with exactly one RESULT line (ratios of Tacit's throughput to
# C's: 1.0 means as fast as C, higher is better).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/Benchmarks/out"
rounds="${ROUNDS:-7}"
powm_iters="${POWM_ITERS:-40}"
mulmod_iters="${MULMOD_ITERS:-20000}"
mkdir -p "$out"

echo "== building (release)"
gcc -O2 -o "$out/bigint-c" "$here/bench.c" $(pkg-config --cflags --libs gmp)
(cd "$root/Benchmarks" && swift build -c release --product BigIntBench 2>&1 | tail -1)
swift_bench="$(cd "$root/Benchmarks" && swift build -c release --show-bin-path)/BigIntBench"

# Benchmark inputs are not secrets: a fixed seed makes runs comparable.
python3 - "$out/bigint-inputs.txt" <<'PY'
import random, sys
rng = random.Random(4096)
m = rng.getrandbits(4096) | (1 << 4095) | 1
e = rng.getrandbits(2048) | (1 << 2047)
values = [m, e, rng.randrange(m), rng.randrange(m), rng.randrange(m)]
open(sys.argv[1], "w").write("".join(format(v, "x") + "\n" for v in values))
PY

echo "== $rounds rounds, alternating C and Tacit (powm x$powm_iters, mulmod x$mulmod_iters per sample; $(nproc) cores)"
: > "$out/bigint-c.txt"; : > "$out/bigint-tacit.txt"
for ((i = 1; i <= rounds; i++)); do
  "$out/bigint-c" "$out/bigint-inputs.txt" "$powm_iters" "$mulmod_iters" >> "$out/bigint-c.txt"
  "$swift_bench" "$out/bigint-inputs.txt" "$powm_iters" "$mulmod_iters" >> "$out/bigint-tacit.txt"
done

python3 - "$out" <<'PY'
import statistics, sys
out = sys.argv[1]
def load(name):
    d = {}
    for line in open(f"{out}/bigint-{name}.txt"):
        op, ns = line.split()
        d.setdefault(op, []).append(float(ns))
    return {op: statistics.median(v) for op, v in d.items()}
c, t = load("c"), load("tacit")
print()
print(f"{'median per operation':<34}{'C (GMP)':>12}{'Tacit':>12}{'Tacit/C throughput':>20}")
rows = [("powm 4096-bit mod, 2048-bit exp", "powm", "powm"),
        ("  constant-time (mpz_powm_sec)", "powm_sec", "powm_sec"),
        ("  constant-time, ModularContext", "powm_sec", "powm_sec_ctx"),
        ("mulmod 4096-bit, BigInt operators", "mulmod", "mulmod"),
        ("  ModularContext (no allocation)", "mulmod", "mulmod_ctx")]
for label, cop, top in rows:
    print(f"{label:<34}{c[cop]/1000:>10.2f}us{t[top]/1000:>10.2f}us{c[cop]/t[top]:>19.3f}x")
print()
print("RESULT powm_vs_c=%.3f mulmod_vs_c=%.3f mulmod_ctx_vs_c=%.3f powm_sec_vs_c=%.3f" % (
    c["powm"] / t["powm"], c["mulmod"] / t["mulmod"], c["mulmod"] / t["mulmod_ctx"], c["powm_sec"] / t["powm_sec"]))
PY
