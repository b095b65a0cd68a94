#!/usr/bin/env python3
"""Known-answer vectors for Tacit's DGK cryptosystem, computed with Python's own integers and
`pow` only (no Tacit code): fixed keys from a seeded generator, then encryptions g^m·h^r mod n,
the zero test c^{v_p} mod p == 1, decryptions, a homomorphic sum and the public key's wire
bytes as Sources/TacitCrypto/DGK-wire.swift lays them out.

    python3 Tests/TacitCryptoTests/Fixtures/dgk_vectors.py > Tests/TacitCryptoTests/Fixtures/dgk-kat.json

The seed is fixed, so the output is the same on every run (and is what is committed).
"""
import json
import random

rng = random.Random(20071213)  # DGK's ACISP 2007 year; any fixed seed does


def is_probable_prime(n, rounds=40):
    if n < 2:
        return False
    for small in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = rng.randrange(2, n - 1)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(bits):
    while True:
        c = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if is_probable_prime(c):
            return c


def dgk_prime(bits, u, v):
    """A prime p of exactly `bits` bits (top two set) with u·v | p − 1."""
    m = 2 * u * v
    lo, hi = 3 << (bits - 2), (1 << bits) - 1
    while True:
        f = rng.randrange((lo - 1 + m - 1) // m, (hi - 1) // m + 1)
        p = m * f + 1
        if p.bit_length() == bits and (p >> (bits - 2)) == 3 and is_probable_prime(p):
            return p


def element_of_order(p, order, prime_factors):
    """A random element of Z_p* whose order is exactly `order` (a product of the given primes)."""
    while True:
        x = pow(rng.randrange(2, p - 1), (p - 1) // order, p)
        if all(pow(x, order // f, p) != 1 for f in prime_factors):
            return x


def crt(xp, p, xq, q):
    return (xp + p * ((xq - xp) * pow(p, -1, q) % q)) % (p * q)


def be(value, width):
    return value.to_bytes(width, "big")


def key(bits, u, t):
    vp, vq = prime(t), prime(t)
    p, q = dgk_prime(bits // 2, u, vp), dgk_prime(bits // 2, u, vq)
    n = p * q
    g = crt(element_of_order(p, u * vp, [u, vp]), p, element_of_order(q, u * vq, [u, vq]), q)
    h = crt(element_of_order(p, vp, [vp]), p, element_of_order(q, vq, [vq]), q)
    r_bits = (5 * t + 1) // 2
    cases = []
    for m in list(range(u)) + [rng.randrange(u) for _ in range(8)]:
        r = rng.getrandbits(r_bits)
        c = pow(g, m, n) * pow(h, r, n) % n
        cases.append({"m": m, "r": str(r), "c": str(c), "zero": pow(c, vp, p) == 1})
    # A homomorphic sum, wrapping mod u.
    a, b = cases[u - 1], cases[u - 2]
    total = int(a["c"]) * int(b["c"]) % n
    k = (n.bit_length() + 7) // 8
    wire = b"TD" + bytes([1, 1, 0]) + k.to_bytes(2, "big") + be(n, k) + u.to_bytes(2, "big") \
        + t.to_bytes(2, "big") + be(g, k) + be(h, k)
    return {
        "bits": bits, "u": u, "t": t,
        "n": str(n), "p": str(p), "q": str(q), "vp": str(vp), "vq": str(vq), "g": str(g), "h": str(h),
        "decryptionBase": str(pow(g, vp, p)),
        "cases": cases,
        "sum": {"c": str(total), "m": (a["m"] + b["m"]) % u},
        "publicKeyWire": wire.hex(),
    }


print(json.dumps({"keys": [key(512, 19, 40), key(1024, 67, 80)]}, indent=1))
