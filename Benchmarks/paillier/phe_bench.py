#!/usr/bin/env python3
"""python-paillier (phe) at 2048 bits: prints "phe <op> <microseconds per op>" per repetition."""
import random
import sys
import time

import gmpy2  # noqa: F401  (phe uses it when present; fail loudly if it is not)
import phe
from phe import paillier
from phe.util import HAVE_GMP

assert HAVE_GMP, "phe is running without gmpy2"
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = random.SystemRandom()


def timed(op, iters, fn):
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    print("phe %s %.2f" % (op, (time.perf_counter() - t0) / iters * 1e6), flush=True)


print("phe version %s" % phe.__version__, file=sys.stderr)
for _ in range(reps):
    timed("keygen", 2, lambda: paillier.generate_paillier_keypair(n_length=2048))
pub, priv = paillier.generate_paillier_keypair(n_length=2048)
m = rng.randrange(0, 2**62)
c = pub.encrypt(m)
for _ in range(reps):
    timed("encrypt", 20, lambda: pub.encrypt(m))
for _ in range(reps):
    timed("decrypt", 100, lambda: priv.decrypt(c))
d = pub.encrypt(5)
for _ in range(reps):
    timed("add", 5000, lambda: c + d)
k = rng.randrange(2**63, 2**64)
for _ in range(reps):
    timed("mul64", 500, lambda: c * k)
