"""MPyC's secure comparison, the peer of make bench-millionaire: three parties on localhost
(python mpyc_bench.py -M3 starts them), Shamir sharing over a prime field, semi-honest,
honest majority. Single 64-bit comparisons (latency of x < y with the output opened) and a
batch (throughput of many x < y at once). Party 0 prints one line:
  MPYC single_p50_ms=… single_p99_ms=… batch=N batch_cmp_per_s=…
SINGLE (default 200) and BATCH (default 20000) set the counts."""
import os
import random
import statistics
import time

import numpy as np
from mpyc.runtime import mpc

SINGLE = int(os.environ.get("SINGLE", "200"))
BATCH = int(os.environ.get("BATCH", "20000"))


async def main():
    await mpc.start()
    secint = mpc.SecInt(64)
    rng = random.Random(1)
    # Inputs from party 0 and party 1, as in a two-party comparison with a helper.
    times = []
    for _ in range(SINGLE):
        a, b = rng.getrandbits(63), rng.getrandbits(63)
        t0 = time.perf_counter()
        x = mpc.input(secint(a), senders=0)
        y = mpc.input(secint(b), senders=1)
        got = await mpc.output(x < y)
        times.append(time.perf_counter() - t0)
        assert bool(got) == (a < b)
    # The batch as MPyC's secure arrays (its vectorised form; a list of secints is far slower).
    xs = np.array([rng.getrandbits(63) for _ in range(BATCH)], dtype=object)
    ys = np.array([rng.getrandbits(63) for _ in range(BATCH)], dtype=object)
    t0 = time.perf_counter()
    sx = mpc.input(secint.array(xs), senders=0)
    sy = mpc.input(secint.array(ys), senders=1)
    out = await mpc.output(sx < sy)
    batch_s = time.perf_counter() - t0
    assert [bool(o) for o in out] == list(xs < ys)
    await mpc.shutdown()
    if mpc.pid == 0:
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"MPYC single_p50_ms={statistics.median(times) * 1e3:.2f} single_p99_ms={p99 * 1e3:.2f} "
              f"batch={BATCH} batch_cmp_per_s={BATCH / batch_s:.0f}", flush=True)


mpc.run(main())
