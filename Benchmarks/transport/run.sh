#!/usr/bin/env bash
# make bench-transport: Tacit's ZeroMQ mesh versus pyzmq doing the same, in one run.
# Installs pyzmq from PyPI into Benchmarks/out/venv; builds the Swift side in release.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=Benchmarks/out
mkdir -p "$OUT"
if [ ! -x "$OUT/venv/bin/python" ]; then
  python3 -m venv "$OUT/venv"
fi
"$OUT/venv/bin/python" -c "import zmq" 2>/dev/null || "$OUT/venv/bin/pip" install -q pyzmq
"$OUT/venv/bin/python" -c "import zmq; print('pyzmq', zmq.pyzmq_version(), 'libzmq', zmq.zmq_version())"
echo "tacit: libzmq $(pkg-config --modversion libzmq) (system)"

swift build -c release --scratch-path .build-release --product tacit-net-peer
swift build -c release --scratch-path .build-release --product tacit
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)

KEYS=$(mktemp -d)
trap 'rm -rf "$KEYS"' EXIT
"$BIN/tacit" keys generate --name S --out "$KEYS" >/dev/null
"$BIN/tacit" keys generate --name C --out "$KEYS" >/dev/null
"$OUT/venv/bin/python" Benchmarks/transport/bench.py "$BIN/tacit-net-peer" "$OUT/venv/bin/python" "$KEYS" \
  | tee "$OUT/transport.txt"
