#!/usr/bin/env python3
"""python-paillier side of Tacit's interoperability test.

  phe_interop.py check-tacit IN.json   -> reads Tacit's JSON (phe application form + phe JWK
                                          private key), decrypts with phe, adds with phe,
                                          prints results as JSON
  phe_interop.py make-phe BITS v1 v2 …  -> makes a phe key and ciphertexts, prints JSON
"""
import json
import sys

import phe
from phe import paillier
from phe.util import base64_to_int, int_to_base64


def check_tacit(path):
    with open(path) as f:
        data = json.load(f)
    msg = data["message"]
    pub = paillier.PaillierPublicKey(n=int(msg["public_key"]["n"]))
    assert pub.g == int(msg["public_key"]["g"]), "g is not n + 1"
    jwk = data["private"]
    priv = paillier.PaillierPrivateKey(pub, base64_to_int(jwk["p"]), base64_to_int(jwk["q"]))
    numbers = [paillier.EncryptedNumber(pub, int(c), int(e)) for c, e in msg["values"]]
    decrypted = [priv.decrypt(x) for x in numbers]
    total = numbers[0]
    for x in numbers[1:]:
        total = total + x
    plus_seven = numbers[0] + 7
    print(json.dumps({
        "decrypted": [str(v) for v in decrypted],
        "sum": str(priv.decrypt(total)),
        "sum_ciphertext": str(total.ciphertext(be_secure=False)),
        "sum_exponent": total.exponent,
        "plus_seven": str(priv.decrypt(plus_seven)),
        "phe_version": phe.__version__,
    }))


def make_phe(bits, values):
    pub, priv = paillier.generate_paillier_keypair(n_length=bits)
    numbers = [pub.encrypt(v) for v in values]
    total = numbers[0]
    for x in numbers[1:]:
        total = total + x
    message = {
        "public_key": {"g": pub.g, "n": pub.n},
        "values": [(str(x.ciphertext()), x.exponent) for x in numbers],
    }
    jwk_public = {"kty": "DAJ", "alg": "PAI-GN1", "key_ops": ["encrypt"],
                  "n": int_to_base64(pub.n), "kid": "phe test key"}
    jwk_private = {"kty": "DAJ", "key_ops": ["decrypt"], "p": int_to_base64(priv.p),
                   "q": int_to_base64(priv.q), "pub": jwk_public, "kid": "phe test key"}
    print(json.dumps({
        "message": message,
        "jwk_public": jwk_public,
        "private": jwk_private,
        "values": [str(v) for v in values],
        "sum": {"v": str(total.ciphertext()), "e": total.exponent},
        "sum_plain": str(sum(values)),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "check-tacit":
        check_tacit(sys.argv[2])
    elif sys.argv[1] == "make-phe":
        make_phe(int(sys.argv[2]), [int(v) for v in sys.argv[3:]])
    else:
        sys.exit("usage: phe_interop.py check-tacit IN.json | make-phe BITS v1 v2 ...")
