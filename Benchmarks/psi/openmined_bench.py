"""OpenMined PSI (PyPI openmined-psi, ECDH over P-256) as two processes over ZeroMQ with CURVE
on loopback, for `make bench-psi`: the client (receiver) learns the intersection. Prints one
line `OPENMINED n_r=… n_s=… seconds=… setup_seconds=… online_seconds=… bytes=… size=…
client_peak_mib=… server_peak_mib=…`.

Balanced: everything is timed end to end (the server's setup message included). Unbalanced
(--unbalanced): the server's setup message for its large set is built and sent first and timed
apart (setup), then the client's request and the server's response (online)."""
import argparse, csv, multiprocessing as mp, resource, time
import zmq
import private_set_intersection.python as psi

FPR = 1e-9  # false positives per query: far below one over the whole benchmark

def load(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        return [row[0] for row in r]

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def server(path, keys, n_client, unbalanced, q):
    items = load(path)
    ctx = zmq.Context()
    s = ctx.socket(zmq.PAIR)
    s.curve_server = True
    s.curve_secretkey = keys["server_secret"]
    s.curve_publickey = keys["server_public"]
    s.bind("tcp://127.0.0.1:*")  # a port of the system's choosing, told to the client
    q.put(s.getsockopt(zmq.LAST_ENDPOINT).decode())
    srv = psi.server.CreateWithNewKey(True)
    s.recv()  # the client is connected and ready
    if unbalanced:
        setup = srv.CreateSetupMessage(FPR, n_client, items, psi.DataStructure.RAW)
        s.send(setup.SerializeToString())
        request = psi.Request()
        request.ParseFromString(s.recv())
        s.send(srv.ProcessRequest(request).SerializeToString())
    else:
        request = psi.Request()
        request.ParseFromString(s.recv())
        setup = srv.CreateSetupMessage(FPR, n_client, items, psi.DataStructure.RAW)
        s.send_multipart([setup.SerializeToString(), srv.ProcessRequest(request).SerializeToString()])
    s.recv()
    q.put(peak_mib())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--receiver", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--unbalanced", action="store_true")
    a = ap.parse_args()
    items = load(a.receiver)
    n_s = sum(1 for _ in open(a.sender)) - 1
    sp, ss = zmq.curve_keypair()
    keys = {"server_public": sp, "server_secret": ss}
    q = mp.Queue()
    p = mp.Process(target=server, args=(a.sender, keys, len(items), a.unbalanced, q))
    p.start()
    endpoint = q.get(timeout=600)
    ctx = zmq.Context()
    c = ctx.socket(zmq.PAIR)
    cp, cs = zmq.curve_keypair()
    c.curve_serverkey, c.curve_publickey, c.curve_secretkey = sp, cp, cs
    c.connect(endpoint)
    cli = psi.client.CreateWithNewKey(True)
    total = 0
    start = time.perf_counter()
    c.send(b"go")
    setup_s = 0.0
    if a.unbalanced:
        raw = c.recv()
        total += len(raw)
        setup = psi.ServerSetup()
        setup.ParseFromString(raw)
        setup_s = time.perf_counter() - start
        online0 = time.perf_counter()
        req = cli.CreateRequest(items).SerializeToString()
        total += len(req)
        c.send(req)
        raw = c.recv()
        total += len(raw)
        resp = psi.Response()
        resp.ParseFromString(raw)
    else:
        online0 = start
        req = cli.CreateRequest(items).SerializeToString()
        total += len(req)
        c.send(req)
        raw_setup, raw_resp = c.recv_multipart()
        total += len(raw_setup) + len(raw_resp)
        setup = psi.ServerSetup()
        setup.ParseFromString(raw_setup)
        resp = psi.Response()
        resp.ParseFromString(raw_resp)
    inter = cli.GetIntersection(setup, resp)
    end = time.perf_counter()
    c.send(b"done")
    server_peak = q.get(timeout=600)
    p.join()
    print(f"OPENMINED n_r={len(items)} n_s={n_s} seconds={end - start:.3f} setup_seconds={setup_s:.3f} "
          f"online_seconds={end - online0:.3f} bytes={total} size={len(inter)} "
          f"client_peak_mib={peak_mib():.1f} server_peak_mib={server_peak:.1f}", flush=True)

if __name__ == "__main__":
    main()
