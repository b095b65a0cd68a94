#!/usr/bin/env python3
"""Independent re-verification of a `tacit ledger export` with PyPI's `cryptography` only.

Written from Docs/TacitLedger.md, not from the Swift code. Checks, from the canonical bytes in
the export (never from the decoded summaries): the genesis hash and every founder's
signature; the CA certificate and every member certificate (issued by the CA, Ed25519, valid
at the genesis or block time); every block hash, hash link, height and RFC 6962 Merkle root;
every transaction's chain id, id, nonce (strictly increasing per author), author signature
and endorsements; every commit certificate (signers sorted byte-wise, a quorum of distinct
members' precommit signatures). Membership follows the chain: MemberAdded, MemberRemoved
and PolicyChanged (endorsed under the change threshold) change who may author from the next
transaction and who certifies from the next block. Job invariants are not re-checked here
(`tacit ledger verify` does). Usage:
    python3 verify_ledger_export.py export.json [--chain-id HEX] [--expect-height N] [--expect-head HEX]
        -> "OK ..." or "FAIL block H: reason", exit 1
"""
import argparse, datetime, hashlib, json, struct, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.exceptions import InvalidSignature

def tag(t): return t.encode() + b"\0"
def sha(b): return hashlib.sha256(b).digest()

def merkle(leaves):  # RFC 6962 section 2.1
    if not leaves: return sha(b"")
    if len(leaves) == 1: return sha(b"\0" + leaves[0])
    k = 1
    while k << 1 < len(leaves): k <<= 1
    return sha(b"\1" + merkle(leaves[:k]) + merkle(leaves[k:]))

class Bad(Exception): pass

class R:
    def __init__(s, b): s.b, s.o = b, 0
    def take(s, n):
        if s.o + n > len(s.b): raise Bad("truncated")
        v = s.b[s.o:s.o + n]; s.o += n; return v
    def u8(s): return s.take(1)[0]
    def u16(s): return struct.unpack(">H", s.take(2))[0]
    def u32(s): return struct.unpack(">I", s.take(4))[0]
    def u64(s): return struct.unpack(">Q", s.take(8))[0]
    def data(s): return s.take(s.u32())
    def str(s): return s.data().decode()
    def list(s, item): return [item() for _ in range(s.u32())]
    def done(s):
        if s.o != len(s.b): raise Bad(f"{len(s.b) - s.o} trailing bytes")

def quorum(n):
    f = (n - 1) // 3
    return (n + f + 2) // 2

def verify(key, sig, msg):
    try: key.verify(sig, msg); return True
    except InvalidSignature: return False

def member_record(r):
    return {"name": r.str(), "cert": r.data(), "curve": r.str(), "endpoint": r.str(), "roles": r.list(r.str), "enc": r.take(32)}

def policies(r):
    return {"changeThreshold": r.u16(), "jobProposerRole": r.str(), "maxBlockTransactions": r.u32()}

def utc(dt): return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)

def member_key(ca, rec, time_ms):
    """The Ed25519 key of a member certificate issued by the CA to this name, valid at time_ms."""
    cert = x509.load_der_x509_certificate(rec["cert"])
    # Issuer name and the CA's Ed25519 signature over the TBS certificate (works with every
    # cryptography release that has Ed25519, not only those with verify_directly_issued_by).
    if cert.issuer != ca.subject or not verify(ca.public_key(), cert.signature, cert.tbs_certificate_bytes):
        raise Bad(f"certificate of {rec['name']} was not issued by the CA")
    cn = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if cn != [rec["name"]]: raise Bad(f"certificate of {rec['name']} names {cn}")
    t = datetime.datetime.fromtimestamp(time_ms / 1000, datetime.timezone.utc)
    before = utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)
    after = utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)
    if not (before <= t <= after): raise Bad(f"certificate of {rec['name']} is not valid at {t.isoformat()}")
    return cert.public_key()

def transaction(raw):
    r = R(raw)
    if r.u8() != 1: raise Bad("unsupported transaction version")
    tx = {"chain": r.take(32), "author": r.str(), "nonce": r.u64(), "timestamp": r.u64(), "kind": r.u8()}
    body = R(r.data())
    k = tx["kind"]
    if k == 7: tx["member"] = member_record(body)
    elif k == 8: tx["removed"] = body.str()
    elif k == 9: tx["policies"] = policies(body)
    elif k == 10: tx["key"] = {"scheme": body.str(), "publicKey": body.data(), "holders": body.list(body.str)}
    elif 1 <= k <= 6: body.o = len(body.b)  # job bodies: not needed for signatures or membership
    else: raise Bad(f"unknown transaction kind {k}")
    body.done()
    def sealed():  # str name ‖ 32 ephemeral ‖ list(str member ‖ 60 wrapped) ‖ 32 key commitment ‖ u32len(ct)
        r.str(); r.take(32); r.list(lambda: (r.str(), r.take(60))); r.take(32); r.data()
    r.list(sealed)
    tx["payload"] = raw[:r.o]
    tx["signature"] = r.take(64)
    tx["endorsements"] = r.list(lambda: (r.str(), r.take(64)))
    r.done()
    return tx

KIND_NAMES = {1: "JobProposed", 2: "JobApproved", 3: "JobRejected", 4: "InputCommitted", 5: "ResultRecorded",
              6: "JobFailed", 7: "MemberAdded", 8: "MemberRemoved", 9: "PolicyChanged", 10: "KeyRegistered"}

def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("--chain-id")
    ap.add_argument("--expect-height", type=int)
    ap.add_argument("--expect-head")
    a = ap.parse_args(argv)
    ex = json.load(open(a.export))
    gbytes = bytes.fromhex(ex["genesis"]["bytes"])
    try:
        r = R(gbytes)
        if r.u8() != 1: raise Bad("unsupported genesis version")
        r.str(); gtime = r.u64()
        ca = x509.load_der_x509_certificate(r.data())
        founders = r.list(lambda: member_record(r))
        pol = policies(r)
        chain = sha(tag("TACIT-LEDGER-GENESIS-V1") + gbytes[:r.o])
        sigs = r.list(lambda: (r.str(), r.take(64)))
        r.done()
        if chain.hex() != ex["chainID"]: raise Bad("genesis hash differs from the chain id")
        if a.chain_id and chain.hex() != a.chain_id.lower(): raise Bad(f"chain {chain.hex()} is not the expected {a.chain_id}")
        if [m["name"].encode() for m in founders] != sorted(m["name"].encode() for m in founders): raise Bad("founders not sorted")
        keys = {m["name"]: member_key(ca, m, gtime) for m in founders}
        signed = {n for n, s in sigs if n in keys and verify(keys[n], s, tag("TACIT-LEDGER-GENESIS-V1") + chain)}
        if signed != set(keys): raise Bad(f"genesis not signed by {sorted(set(keys) - signed)}")
    except Bad as e:
        return fail(0, str(e))
    prev, prev_time, ntx, nonces, height = chain, gtime, 0, {}, 0
    for b in ex["blocks"]:
        h = b["height"]
        try:
            header = bytes.fromhex(b["header"])
            r = R(header)
            if r.u8() != 1: raise Bad("unsupported header version")
            cid = r.take(32); hh = r.u64(); prv = r.take(32); root = r.take(32); count = r.u32(); btime = r.u64(); proposer = r.str()
            r.done()
            bh = sha(tag("TACIT-LEDGER-BLOCK-V1") + header)
            if cid != chain or hh != h or h != height + 1: raise Bad("header names another chain or height")
            if prv != prev: raise Bad("previous-block hash does not link")
            if bh.hex() != b["hash"]: raise Bad("block hash differs")
            if btime < prev_time: raise Bad("timestamp goes backwards")
            if proposer not in keys: raise Bad(f"proposer {proposer} is not a member")
            raws = [bytes.fromhex(t["bytes"]) for t in b["transactions"]]
            if count != len(raws) or merkle(raws) != root: raise Bad("Merkle root or count differs: a transaction was altered")
            if not 1 <= count <= pol["maxBlockTransactions"]: raise Bad(f"block holds {count} transactions")
            start_keys = dict(keys)  # signatures are checked against the membership at the block's start
            for i, raw in enumerate(raws):
                if sha(raw).hex() != b["transactions"][i]["id"]: raise Bad(f"transaction {i} id differs")
                tx = transaction(raw)
                who = tx["author"]
                if tx["chain"] != chain: raise Bad(f"transaction {i} is for another chain")
                if who not in keys or who not in start_keys: raise Bad(f"transaction {i} author {who} is not a member")
                if not verify(start_keys[who], tx["signature"], tag("TACIT-LEDGER-TX-V1") + tx["payload"]):
                    raise Bad(f"transaction {i} signature does not verify")
                if tx["nonce"] <= nonces.get(who, 0) and who in nonces: raise Bad(f"transaction {i} replays {who}'s nonce {tx['nonce']}")
                seen = {who}
                for m, s in tx["endorsements"]:
                    if m not in keys or m not in start_keys or m in seen: raise Bad(f"transaction {i} endorsement by {m} is not a distinct member's")
                    if not verify(start_keys[m], s, tag("TACIT-LEDGER-TX-V1") + tx["payload"]):
                        raise Bad(f"transaction {i} endorsement by {m} does not verify")
                    seen.add(m)
                if tx["kind"] == 10:
                    holders = tx["key"]["holders"]
                    if not holders or len(set(holders)) != len(holders) or any(h not in keys for h in holders):
                        raise Bad(f"transaction {i} (KeyRegistered) names holders {holders} that are not distinct members")
                    if seen != set(holders): raise Bad(f"transaction {i} (KeyRegistered) is signed by {sorted(seen)}, not by exactly its holders {holders}")
                elif tx["kind"] >= 7:
                    need = len(keys) if pol["changeThreshold"] == 0 else min(pol["changeThreshold"], len(keys))
                    if len(seen) < need: raise Bad(f"transaction {i} ({KIND_NAMES[tx['kind']]}) has {len(seen)} signatures, the change policy needs {need}")
                    if tx["kind"] == 7:
                        rec = tx["member"]
                        if rec["name"] in keys: raise Bad(f"member {rec['name']} already exists")
                        k = member_key(ca, rec, btime)  # at the block's time, not the author's
                        keys[rec["name"]] = k
                    elif tx["kind"] == 8:
                        if tx["removed"] not in keys or len(keys) == 1: raise Bad(f"cannot remove {tx['removed']}")
                        del keys[tx["removed"]]
                    else:
                        pol = tx["policies"]
                nonces[who] = tx["nonce"]
            c = b["certificate"]
            names = [s["member"] for s in c["signatures"]]
            if [n.encode() for n in names] != sorted(set(n.encode() for n in names)): raise Bad("commit certificate signers are not sorted byte-wise, or repeat")
            vote = tag("TACIT-LEDGER-VOTE-V1") + bytes([2]) + chain + struct.pack(">QI", h, c["round"]) + b"\1" + bh
            if c["blockHash"] != bh.hex(): raise Bad("commit certificate is for another block")
            for s in c["signatures"]:
                if s["member"] not in start_keys: raise Bad(f"commit certificate signed by {s['member']}, not a member at height {h - 1}")
                if not verify(start_keys[s["member"]], bytes.fromhex(s["signature"]), vote): raise Bad(f"commit signature of {s['member']} does not verify")
            if len(names) < quorum(len(start_keys)): raise Bad(f"commit certificate has {len(names)} signatures, quorum of {len(start_keys)} members is {quorum(len(start_keys))}")
        except Bad as e:
            return fail(h, str(e))
        prev, prev_time, ntx, height = bh, btime, ntx + len(raws), h
    if a.expect_height is not None and height < a.expect_height:
        return fail(height + 1, f"the export ends at height {height}, {a.expect_height} was expected: blocks are missing")
    if a.expect_head:
        at = a.expect_height or height
        got = next((b["hash"] for b in ex["blocks"] if b["height"] == at), None)
        if got != a.expect_head.lower(): return fail(at, f"block {at} is {got}, not the expected head")
    print(f"OK chain {chain.hex()}: {height} blocks, {ntx} transactions verified independently; members now {', '.join(sorted(keys))}")
    return 0

def fail(h, why):
    print(f"FAIL block {h}: {why}"); return 1

if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
