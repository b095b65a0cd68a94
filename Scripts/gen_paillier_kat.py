#!/usr/bin/env python3
"""Generates Tests/TacitCryptoTests/Fixtures/paillier-kat.json: known-answer Paillier
ciphertexts computed by python-paillier (phe 1.5), an implementation independent of Tacit's.

For fixed n = pq, plaintext m and randomness r, phe's `raw_encrypt(m, r_value=r)` gives
c = g^m · r^n mod n² with g = n + 1; `encrypt(v, r_value=r)` does the same after encoding a
signed integer v (negative v as n + v). The primes come from a fixed seed, so re-running
the script reproduces the committed file:

    make py-deps && .build-venv/bin/python Scripts/gen_paillier_kat.py \
        > Tests/TacitCryptoTests/Fixtures/paillier-kat.json
"""
import json
import random

import gmpy2
import phe
from phe import paillier

rng = random.Random(20261201)


def prime(bits):
    # Top two bits set so that n = pq has exactly 2·bits bits, as Tacit's keys do.
    return int(gmpy2.next_prime(rng.getrandbits(bits) | (3 << (bits - 2))))


keys = []
for bits in (1024, 2048):
    p, q = prime(bits // 2), prime(bits // 2)
    n = p * q
    assert n.bit_length() == bits and p != q
    pub = paillier.PaillierPublicKey(n)
    priv = paillier.PaillierPrivateKey(pub, p, q)
    cases = []
    for m in (0, 1, 42, n - 1, rng.randrange(n)):
        r = rng.randrange(1, n)
        c = pub.raw_encrypt(m, r_value=r)
        assert priv.raw_decrypt(c) == m
        cases.append({"kind": "raw", "m": str(m), "r": str(r), "c": str(c)})
    for v in (-1, -123456789, 10**30):
        r = rng.randrange(1, n)
        c = pub.encrypt(v, r_value=r).ciphertext(be_secure=False)
        assert priv.decrypt(paillier.EncryptedNumber(pub, c, 0)) == v
        cases.append({"kind": "signed", "m": str(v), "r": str(r), "c": str(c)})
    keys.append({"bits": bits, "n": str(n), "p": str(p), "q": str(q), "cases": cases})

print(json.dumps({
    "generator": "Scripts/gen_paillier_kat.py",
    "phe_version": phe.__version__,
    "keys": keys,
}, indent=1))
