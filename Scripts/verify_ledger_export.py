#!/usr/bin/env python3
"""Independent re-verification of a `tacit ledger export` with PyPI's `cryptography` only.

Checks, from the canonical bytes in the export (never from the decoded summaries):
genesis hash and every founder's signature; the CA certificate and every member certificate
(issued by the CA, Ed25519); every block hash, hash link and RFC 6962 Merkle root; every
transaction id and author signature (and endorsements); every commit certificate (a quorum
of distinct members' precommit signatures). Membership is the genesis membership: blocks
after a membership change are reported, not re-checked. Usage:
    python3 verify_ledger_export.py export.json      -> "OK ..." or "FAIL block H: reason", exit 1
"""
import hashlib, json, struct, sys
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature

def tag(t): return t.encode() + b"\0"
def sha(b): return hashlib.sha256(b).digest()

def merkle(leaves):  # RFC 6962 section 2.1
    if not leaves: return sha(b"")
    if len(leaves) == 1: return sha(b"\0" + leaves[0])
    k = 1
    while k << 1 < len(leaves): k <<= 1
    return sha(b"\1" + merkle(leaves[:k]) + merkle(leaves[k:]))

class R:
    def __init__(s, b): s.b, s.o = b, 0
    def take(s, n):
        if s.o + n > len(s.b): raise ValueError("truncated")
        v = s.b[s.o:s.o + n]; s.o += n; return v
    def u8(s): return s.take(1)[0]
    def u32(s): return struct.unpack(">I", s.take(4))[0]
    def u64(s): return struct.unpack(">Q", s.take(8))[0]
    def data(s): return s.take(s.u32())
    def str(s): return s.data().decode()

def quorum(n):
    f = (n - 1) // 3
    return (n + f + 2) // 2

def verify(sig_key, sig, msg):
    try: sig_key.verify(sig, msg); return True
    except InvalidSignature: return False

def main(path):
    ex = json.load(open(path))
    g = ex["genesis"]
    gbytes = bytes.fromhex(g["bytes"])
    body = gbytes[:g["bodyLength"]]
    chain = sha(tag("TACIT-LEDGER-GENESIS-V1") + body)
    if chain.hex() != ex["chainID"]: return fail(0, "genesis hash differs from the chain id")
    ca = x509.load_der_x509_certificate(bytes.fromhex(g["caCertificate"]))
    keys = {}
    for m in g["members"]:
        cert = x509.load_der_x509_certificate(bytes.fromhex(m["certificate"]))
        # Issuer name and the CA's Ed25519 signature over the TBS certificate (works with
        # every cryptography release that has Ed25519, not only those with verify_directly_issued_by).
        if cert.issuer != ca.subject or not verify(ca.public_key(), cert.signature, cert.tbs_certificate_bytes):
            return fail(0, f"certificate of {m['name']} was not issued by the CA")
        keys[m["name"]] = cert.public_key()
    signed = {s["member"] for s in g["signatures"]
              if s["member"] in keys and verify(keys[s["member"]], bytes.fromhex(s["signature"]), tag("TACIT-LEDGER-GENESIS-V1") + chain)}
    if signed != set(keys): return fail(0, f"genesis not signed by {sorted(set(keys) - signed)}")
    prev, ntx = chain, 0
    for b in ex["blocks"]:
        h = b["height"]
        header = bytes.fromhex(b["header"])
        r = R(header)
        r.u8(); cid = r.take(32); height = r.u64(); prv = r.take(32); root = r.take(32); count = r.u32()
        bh = sha(tag("TACIT-LEDGER-BLOCK-V1") + header)
        if cid != chain or height != h: return fail(h, "header names another chain or height")
        if prv != prev: return fail(h, "previous-block hash does not link")
        if bh.hex() != b["hash"]: return fail(h, "block hash differs")
        txs = [bytes.fromhex(t["bytes"]) for t in b["transactions"]]
        if count != len(txs) or merkle(txs) != root: return fail(h, "Merkle root or count differs: a transaction was altered")
        for t, raw in zip(b["transactions"], txs):
            if sha(raw).hex() != t["id"]: return fail(h, f"transaction {t['position']} id differs")
            n = t["signingPayloadLength"]
            payload, sig = raw[:n], raw[n:n + 64]
            if t["author"] not in keys: return fail(h, f"transaction {t['position']} author {t['author']} not a member")
            if not verify(keys[t["author"]], sig, tag("TACIT-LEDGER-TX-V1") + payload):
                return fail(h, f"transaction {t['position']} signature does not verify")
            for e in t.get("endorsements", []):
                if not verify(keys[e["member"]], bytes.fromhex(e["signature"]), tag("TACIT-LEDGER-TX-V1") + payload):
                    return fail(h, f"transaction {t['position']} endorsement by {e['member']} does not verify")
            if t["kind"] in ("MemberAdded", "MemberRemoved", "PolicyChanged"):
                print(f"note: block {h} changes membership or policy; later blocks are checked against the genesis membership")
        c = b["certificate"]
        vote = (tag("TACIT-LEDGER-VOTE-V1") + bytes([2]) + chain + struct.pack(">QI", h, c["round"]) + b"\1" + bh)
        good = {s["member"] for s in c["signatures"]
                if s["member"] in keys and verify(keys[s["member"]], bytes.fromhex(s["signature"]), vote)}
        if len(good) < quorum(len(keys)): return fail(h, f"commit certificate has {len(good)} valid signatures, quorum is {quorum(len(keys))}")
        prev, ntx = bh, ntx + len(txs)
    print(f"OK chain {chain.hex()}: {len(ex['blocks'])} blocks, {ntx} transactions verified independently")
    return 0

def fail(h, why):
    print(f"FAIL block {h}: {why}"); return 1

if __name__ == "__main__": sys.exit(main(sys.argv[1]))
