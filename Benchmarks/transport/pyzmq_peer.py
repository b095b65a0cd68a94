"""The pyzmq side of `make bench-transport`: the same pattern as Tacit's mesh (each process
binds a PULL and connects a PUSH to the other; two-frame messages, a 42-byte header and the
payload; CURVE with a ZAP allow-list when asked), timed the same way."""
import argparse
import os
import sys
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator


def read(path):
    with open(path, "rb") as f:
        return f.read().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["server", "client"], required=True)
    ap.add_argument("--mode", choices=["rtt", "thr"], required=True)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--connect", required=True)
    ap.add_argument("--curve", action="store_true")
    ap.add_argument("--key", help="own secret key file (Z85)")
    ap.add_argument("--peer-pub", help="peer's public key file (Z85)")
    a = ap.parse_args()

    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    for s in (pull, push):
        s.linger = 500
    auth = None
    if a.curve:
        secret = read(a.key)
        public = zmq.curve_public(secret)
        peer = read(a.peer_pub)
        # ZAP allow-list of exactly the peer's key, bound before the sockets, as Tacit does.
        auth = ThreadAuthenticator(ctx)
        auth.start()

        class Allow:
            def callback(self, domain, key):
                return key == peer

        auth.configure_curve_callback(domain="*", credentials_provider=Allow())
        pull.curve_server = True
        pull.curve_secretkey = secret
        push.curve_secretkey = secret
        push.curve_publickey = public
        push.curve_serverkey = peer
    pull.bind(a.bind)
    push.connect(a.connect)
    header = b"TACT\x01\x00\x01\x00" + bytes(24) + b"pyzmq-peer"[:10]
    payload = os.urandom(a.size)
    print("READY", flush=True)

    large = a.size > 8192  # same zero-copy threshold as Tacit
    if a.role == "server" and a.mode == "rtt":
        for _ in range(a.count + a.warmup):
            msg = pull.recv_multipart(copy=not large)
            push.send_multipart(msg, copy=not large)
    elif a.role == "client" and a.mode == "rtt":
        samples = []
        for i in range(a.count + a.warmup):
            t0 = time.perf_counter()
            push.send_multipart([header, payload], copy=not large)
            pull.recv_multipart(copy=not large)
            if i >= a.warmup:
                samples.append((time.perf_counter() - t0) * 1e6)
        samples.sort()
        p50 = samples[len(samples) // 2]
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        print(f"RESULT rtt p50_us={p50:.1f} p99_us={p99:.1f}", flush=True)
    elif a.role == "server" and a.mode == "thr":
        for _ in range(a.count + a.warmup):
            pull.recv_multipart(copy=not large)
        push.send(b"\x01")
    else:
        for _ in range(a.warmup):
            push.send_multipart([header, payload], copy=not large)
        t0 = time.perf_counter()
        for _ in range(a.count):
            push.send_multipart([header, payload], copy=not large)
        pull.recv()
        dt = time.perf_counter() - t0
        print(f"RESULT thr mbps={a.size * a.count / dt / 1e6:.1f} msgs_per_s={a.count / dt:.0f}", flush=True)
    pull.close()
    push.close()
    if auth:
        auth.stop()
    ctx.term()


if __name__ == "__main__":
    sys.exit(main())
