"""Ledger benchmark driver (see run.sh)."""
import os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
from driver import Member, consortium

tacit, total = sys.argv[1], int(sys.argv[2])
base = tempfile.mkdtemp(prefix="tacit-ledger-bench-")

def members(n):
    d, names = consortium(tacit, n, base)
    return [Member(tacit, d, x, f"{d}/{x}.db") for x in names]

def saturate(n):
    ms = members(n)
    try:
        ms[0].ask("propose warmup", 120)
        per = total // n
        t0 = time.time()
        for m in ms: m.send(f"load {per}")
        for m in ms:
            r = m.next(600)
            assert r.startswith("OK load"), r
        dt = time.time() - t0
        heights = [int(m.ask("height").split()[2]) for m in ms]
        tps = per * n / dt
        print(f"n={n}: {per * n} transactions from {n} clients in {dt:.2f} s = {tps:.0f} tx/s; {heights[0]} blocks "
              f"(mean {per * n / max(1, heights[0]):.0f} tx/block)", flush=True)
        return tps, ms
    except Exception:
        for m in ms: m.kill()
        raise

bounds = subprocess.run([tacit, "ledger", "bounds", "--dir", base], check=True, capture_output=True, text=True).stdout.strip()
print("machine:", bounds, flush=True)
tps3, ms3 = saturate(3)
for m in ms3: m.kill()
tps4, ms4 = saturate(4)
try:
    r = ms4[1].ask("latency 300", 600).split()
    p50, p99 = float(r[2]), float(r[3])
    print(f"n=4 commit latency, one transaction at a time (300): p50 {p50:.2f} ms, p99 {p99:.2f} ms", flush=True)
finally:
    for m in ms4: m.kill()
    shutil.rmtree(base, ignore_errors=True)
print(f"RESULT tps_3={tps3:.0f} tps_4={tps4:.0f} p50_ms={p50:.2f} p99_ms={p99:.2f}")
