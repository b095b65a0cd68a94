#!/usr/bin/env bash
# make bench-paillier: Tacit versus python-paillier (phe 1.5 + gmpy2) versus the C floor on GMP,
# 2048-bit keys, in one run. Each program repeats every measurement REPS times; medians are
# compared. Ends with exactly one RESULT line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/Benchmarks/out"
reps="${REPS:-5}"
python="${TACIT_PYTHON:-$root/.build-venv/bin/python}"
mkdir -p "$out"

[ -x "$python" ] || { echo "bench-paillier: no python with phe at $python; run 'make py-deps' first" >&2; exit 1; }

echo "== building (release)"
gcc -O2 -march=native -o "$out/paillier-floor" "$here/floor.c" $(pkg-config --cflags --libs gmp)
(cd "$root/Benchmarks" && swift build -c release --product PaillierBench 2>&1 | tail -1)
bench="$(cd "$root/Benchmarks" && swift build -c release --show-bin-path)/PaillierBench"

echo "== running: C floor, python-paillier, Tacit ($reps repetitions each; $(nproc) cores)"
"$out/paillier-floor" "$reps" | tee "$out/paillier-gmp.txt"
"$python" "$here/phe_bench.py" "$reps" | tee "$out/paillier-phe.txt"
"$bench" "$reps" "$out/threshold-2048.txt" | tee "$out/paillier-tacit.txt"

python3 - "$out" <<'PY'
import statistics, sys
out = sys.argv[1]
data = {}
for tool in ("gmp", "phe", "tacit"):
    for line in open(f"{out}/paillier-{tool}.txt"):
        parts = line.split()
        if len(parts) == 3:
            try:
                data.setdefault((parts[0], parts[1]), []).append(float(parts[2]))
            except ValueError:
                pass
med = {k: statistics.median(v) for k, v in data.items()}
def g(tool, op): return med.get((tool, op))
def fmt(us):
    if us is None: return "-"
    return f"{us/1000:.2f} ms" if us >= 1000 else f"{us:.2f} us"
print()
print("median time per operation, 2048-bit n (one core unless marked)")
print(f"{'operation':<22}{'C floor (GMP)':>16}{'python-paillier':>18}{'Tacit':>14}{'Tacit all cores':>18}")
for op in ("keygen", "encrypt", "decrypt", "add", "mul64"):
    print(f"{op:<22}{fmt(g('gmp', op)):>16}{fmt(g('phe', op)):>18}{fmt(g('tacit', op)):>14}{fmt(g('tacit', op + '_all_cores')):>18}")
for op in ("encrypt_textbook", "encrypt_keyholder", "encrypt_pooled", "add_inplace",
           "threshold_partial", "threshold_combine", "threshold_decrypt"):
    print(f"{op:<22}{'':>16}{'':>18}{fmt(g('tacit', op)):>14}")
tb = g("tacit", "table_build_ms")
print(f"fixed-base table build: {tb:.0f} ms (once per key)" if tb else "")
print()
print("throughput ratios (higher is better for Tacit)")
for op in ("keygen", "encrypt", "decrypt", "add", "mul64"):
    t = g("tacit", op)
    line = f"  {op:<10}"
    if g("phe", op): line += f" vs phe {g('phe', op)/t:7.2f}x"
    if g("gmp", op): line += f"   vs C floor {g('gmp', op)/t:6.2f}x"
    ac = g("tacit", op + "_all_cores")
    if ac and g("phe", op): line += f"   all cores vs phe {g('phe', op)/ac:7.2f}x"
    print(line)
print()
print("RESULT encrypt_vs_phe=%.2f decrypt_vs_gmp=%.2f add_vs_gmp=%.2f threshold_decrypt_ms=%.1f" % (
    g("phe", "encrypt") / g("tacit", "encrypt"),
    g("gmp", "decrypt") / g("tacit", "decrypt"),
    g("gmp", "add") / g("tacit", "add"),
    g("tacit", "threshold_decrypt") / 1000))
PY
