"""Runs Tacit and pyzmq through the same transport benchmarks in one go and prints medians.

Each case starts a server and a client process on loopback; the client prints one RESULT
line. Cases: round trip of 64-byte messages (p50, p99), one-way throughput of 1 KiB and
1 MiB messages; each plain and CURVE; each repeated REPS times, the median reported.
Ratios are defined so that > 1 means Tacit is better."""
import os
import re
import socket
import statistics
import subprocess
import sys

PEER, PY, KEYS, REPS = sys.argv[1], sys.argv[2], sys.argv[3], int(os.environ.get("REPS", "5"))
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [  # (mode, size, count)
    ("rtt", 64, 5000),
    ("thr", 1024, 100000),
    ("thr", 1024 * 1024, 1000),
]


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def consortium(ports):
    lines = ["members:"]
    for name, port in zip(("S", "C"), ports):
        pub = open(os.path.join(KEYS, f"{name}.pub")).read().strip()
        lines += [f"  - name: {name}", f'    publicKey: "{pub}"', f"    endpoint: tcp://127.0.0.1:{port}"]
    path = os.path.join(KEYS, "consortium.yaml")
    open(path, "w").write("\n".join(lines) + "\n")
    return path


def run_pair(impl, mode, size, count, curve):
    ports = free_ports(2)
    warm = max(100, count // 50) if size <= 1024 else 20
    common = ["--mode", mode, "--size", str(size), "--count", str(count), "--warmup", str(warm)]
    procs = []
    for role, me, other, i in (("server", "S", "C", 0), ("client", "C", "S", 1)):
        if impl.startswith("tacit"):
            cmd = [PEER, "bench", "--role", role, "--name", me, "--peer", other,
                   "--key", os.path.join(KEYS, f"{me}.key"), "--consortium", consortium(ports)] + common
            if not curve:
                cmd.append("--plain")
            if impl == "tacit-io":
                cmd.append("--io-executor")
        else:
            cmd = [PY, os.path.join(HERE, "pyzmq_peer.py"), "--role", role,
                   "--bind", f"tcp://127.0.0.1:{ports[i]}", "--connect", f"tcp://127.0.0.1:{ports[1 - i]}"] + common
            if curve:
                cmd += ["--curve", "--key", os.path.join(KEYS, f"{me}.key"),
                        "--peer-pub", os.path.join(KEYS, f"{other}.pub")]
        env = dict(os.environ, TACIT_LOG_LEVEL="warning")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
        line = p.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"{impl} {role} did not start: {line!r}")
        procs.append(p)
    try:
        out, _ = procs[1].communicate(timeout=600)
        procs[0].wait(timeout=60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    m = re.search(r"RESULT (\w+) (\S+)=(\S+) (\S+)=(\S+)", out)
    if not m:
        raise SystemExit(f"{impl} {mode} {size}: no RESULT in {out!r}")
    return {m.group(2): float(m.group(3)), m.group(4): float(m.group(5))}


def main():
    results = {}
    for rep in range(REPS):
        for curve in (False, True):
            for mode, size, count in CASES:
                for impl in ("tacit", "tacit-io", "pyzmq"):
                    r = run_pair(impl, mode, size, count, curve)
                    key = (impl, mode, size, curve)
                    for k, v in r.items():
                        results.setdefault(key + (k,), []).append(v)
        print(f"  repetition {rep + 1}/{REPS} done", file=sys.stderr, flush=True)

    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"\nTransport benchmark, loopback, two processes, median of {REPS} runs")
    print(f"{'case':<28}{'security':<10}{'Tacit':>14}{'pyzmq':>14}{'Tacit/pyzmq':>14}")
    ratios = {}
    for curve in (False, True):
        sec = "curve" if curve else "plain"
        for mode, size, _ in CASES:
            if mode == "rtt":
                for q in ("p50_us", "p99_us"):
                    t, p = med[("tacit", mode, size, curve, q)], med[("pyzmq", mode, size, curve, q)]
                    ratios[(mode, size, curve, q)] = p / t  # lower latency is better
                    print(f"{'rtt 64 B ' + q + ' (us)':<28}{sec:<10}{t:>14.1f}{p:>14.1f}{p / t:>13.2f}x")
            else:
                t, p = med[("tacit", mode, size, curve, "mbps")], med[("pyzmq", mode, size, curve, "mbps")]
                ratios[(mode, size, curve, "mbps")] = t / p
                label = f"thr {'1 KiB' if size == 1024 else '1 MiB'} (MB/s)"
                print(f"{label:<28}{sec:<10}{t:>14.1f}{p:>14.1f}{t / p:>13.2f}x")
    print("\nTacit with the loop pinned to the mesh's I/O thread (ZeroMQMesh.ioExecutor; opt-in, light steps only):")
    for curve in (False, True):
        sec = "curve" if curve else "plain"
        for mode, size, _ in CASES:
            qs = ("p50_us", "p99_us") if mode == "rtt" else ("mbps",)
            for q in qs:
                t, p = med[("tacit-io", mode, size, curve, q)], med[("pyzmq", mode, size, curve, q)]
                r = p / t if mode == "rtt" else t / p
                label = f"{mode} {size} B {q}"
                print(f"{label:<28}{sec:<10}{t:>14.1f}{p:>14.1f}{r:>13.2f}x")
    print("Ratios > 1 mean Tacit is better (latency: pyzmq/Tacit; throughput: Tacit/pyzmq).")
    print("RESULT uses the default configuration (tasks on the cooperative pool), not the pinned one.")
    print("rtt_* are CURVE; mbps_1m_curve and thr_vs_pyzmq are 1 MiB messages with CURVE.")
    rtt = med[("tacit", "rtt", 64, True, "p50_us")]
    mbps = med[("tacit", "thr", 1024 * 1024, True, "mbps")]
    print(f"RESULT rtt_p50_us={rtt:.1f} rtt_vs_pyzmq={ratios[('rtt', 64, True, 'p50_us')]:.2f} "
          f"mbps_1m_curve={mbps:.0f} thr_vs_pyzmq={ratios[('thr', 1024 * 1024, True, 'mbps')]:.2f}")


main()
