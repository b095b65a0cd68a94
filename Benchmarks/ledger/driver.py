"""Starts `tacit ledger serve` member processes and drives them over stdin/stdout."""
import os, socket, subprocess, sys, tempfile, threading, queue, time

def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s); ports.append(s.getsockname()[1])
    for s in socks: s.close()
    return ports

class Member:
    def __init__(self, tacit, d, name, db, timeout_ms=400):
        self.name = name
        self.p = subprocess.Popen([tacit, "ledger", "serve", "--dir", d, "--name", name, "--db", db, "--timeout-scale-ms", str(timeout_ms)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        l = self.next(120)
        assert l.startswith("READY"), f"{name}: {l}"

    def _read(self):
        for l in self.p.stdout: self.lines.put(l.strip())
        self.lines.put(None)

    def next(self, timeout=300):
        l = self.lines.get(timeout=timeout)
        if l is None: raise RuntimeError(f"{self.name} exited")
        return l

    def send(self, cmd):
        self.p.stdin.write(cmd + "\n"); self.p.stdin.flush()

    def ask(self, cmd, timeout=300):
        self.send(cmd); return self.next(timeout)

    def kill(self):
        if self.p.poll() is None: self.p.kill()
        self.p.wait()

def consortium(tacit, n, base):
    names = [chr(ord("a") + i) for i in range(n)]
    ports = free_ports(n)
    d = tempfile.mkdtemp(prefix="tacit-ledger-", dir=base)
    subprocess.run([tacit, "ledger", "testnet", "--dir", d, "--members", ",".join(names),
                    "--endpoints", ",".join(f"tcp://127.0.0.1:{p}" for p in ports)], check=True, stdout=subprocess.DEVNULL)
    return d, names
