#!/usr/bin/env bash
# make bench-keygen: the consortium's threshold Paillier key made without a dealer by three
# `tacit node` processes over the ZeroMQ mesh (CURVE, loopback), `tacit paillier keygen` at each,
# median of RUNS (5) wall times and the bytes each node sent; beside it, python-paillier's
# one-party generate_paillier_keypair at the same size (what a dealer does, no threshold), in
# the same run. Ends with: RESULT keygen_2048_s=… mib_per_party=… phe_keypair_s=…
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${TACIT_PYTHON:-$root/.build-venv/bin/python}"
[ -x "$python" ] || { echo "bench-keygen: no python with phe at $python; run 'make py-deps' first" >&2; exit 1; }
echo "== building tacit (release)"
(cd "$root" && swift build -c release --product tacit 2>&1 | tail -1)
tacit="$(cd "$root" && swift build -c release --show-bin-path)/tacit"
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$python" "$here/bench.py" "$tacit" "${RUNS:-5}" "${KEYGEN_BITS:-2048}"
