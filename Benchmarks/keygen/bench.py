"""Driver for make bench-keygen (see run.sh)."""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

TACIT, RUNS, BITS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PARTIES = ["hospital-a", "hospital-b", "insurer"]


def tacit(*args, check=True, **kw):
    r = subprocess.run([TACIT, *args], capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        sys.exit(f"tacit {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def status(cfg):
    r = tacit("node", "status", "--config", cfg, "--json", check=False)
    return json.loads(r.stdout)["node"] if r.returncode == 0 else None


def one_run(i):
    d = tempfile.mkdtemp(prefix="tacit-bench-keygen-")
    try:
        # `tacit init` lays out keys, certificates, genesis and configs; its dealt key is
        # removed so the nodes start with none, as founders do.
        tacit("init", "--parties", ",".join(PARTIES), "--key-bits", "512", "--insecure-small-key", "--dealer", d)
        cfgs = {p: f"{d}/{p}/node.yaml" for p in PARTIES}
        for p, cfg in cfgs.items():
            os.remove(f"{d}/{p}/keys/paillier-share.json")
            lines = [l for l in open(cfg).read().splitlines() if "paillierShare:" not in l]
            open(cfg, "w").write("\n".join(lines) + "\n")
        nodes = [subprocess.Popen([TACIT, "node", "--config", cfg], stdout=subprocess.DEVNULL, stderr=open(f"{d}/{p}.log", "w"))
                 for p, cfg in cfgs.items()]
        try:
            deadline = time.time() + 120
            while not all(status(c) for c in cfgs.values()):
                if time.time() > deadline: sys.exit("nodes did not start")
                time.sleep(0.1)
            before = {p: status(c)["bytesSent"] for p, c in cfgs.items()}
            t0 = time.monotonic()
            runs = [subprocess.Popen([TACIT, "paillier", "keygen", "--config", c, "--bits", str(BITS)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in cfgs.values()]
            outs = [r.communicate(timeout=1800)[0] for r in runs]
            seconds = time.monotonic() - t0
            for r, o in zip(runs, outs):
                if r.returncode != 0: sys.exit(f"keygen failed:\n{o}")
            prints = {l.split()[2].rstrip(";") for o in outs for l in o.splitlines() if l.startswith("key fingerprint ")}
            if len(prints) != 1: sys.exit(f"holders disagree on the key: {prints}")
            sent = {p: status(c)["bytesSent"] - before[p] for p, c in cfgs.items()}
        finally:
            for n in nodes: n.terminate()
            for n in nodes: n.wait(timeout=60)
        print(f"run {i + 1}: {seconds:.1f} s, MiB sent " + ", ".join(f"{p} {b / 2**20:.2f}" for p, b in sent.items()), flush=True)
        return seconds, max(sent.values()) / 2**20
    finally:
        shutil.rmtree(d, ignore_errors=True)


def phe_keypair():
    from phe import paillier
    t = time.monotonic()
    paillier.generate_paillier_keypair(n_length=BITS)
    return time.monotonic() - t


print(f"== {BITS}-bit threshold key, 3 node processes, {RUNS} runs", flush=True)
results = [one_run(i) for i in range(RUNS)]
phe = [phe_keypair() for _ in range(RUNS)]
print(f"python-paillier generate_paillier_keypair({BITS}), one party: " + ", ".join(f"{s:.2f} s" for s in phe))
med = statistics.median(s for s, _ in results)
mib = statistics.median(m for _, m in results)
print(f"RESULT keygen_{BITS}_s={med:.1f} mib_per_party={mib:.2f} phe_keypair_s={statistics.median(phe):.2f} runs={RUNS}")
