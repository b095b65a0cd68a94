#!/usr/bin/env bash
# make bench-millionaire: two parties as separate processes over the ZeroMQ mesh (CURVE) on
# loopback, per path (ot, he): online latency of one 64-bit comparison with both parties
# learning the answer (p50/p99 over SINGLE=1000 runs, after the offline phase), the offline
# cost, bytes and rounds per comparison, and the throughput of BATCH comparisons including
# all preprocessing (1,000,000 on the OT path; HE_BATCH=1000 on the HE path, whose cost is
# linear in the count). In the same run, MPyC (PyPI mpyc, three local parties) compares single
# and batched. Ends with one RESULT line.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=Benchmarks/out
mkdir -p "$OUT"
swift build -c release --scratch-path .build-release --product tacit-mpc-peer
swift build -c release --scratch-path .build-release --product tacit
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)
PY=${TACIT_PYTHON:-.build-venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac

DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

NAMES=(alice bob)
PORTS=($(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))'))
echo "members:" > "$DIR/consortium.yaml"
for i in 0 1; do
  "$BIN/tacit" keys generate --name "${NAMES[$i]}" --out "$DIR" >/dev/null
  {
    echo "  - name: ${NAMES[$i]}"
    echo "    publicKey: \"$(cat "$DIR/${NAMES[$i]}.pub")\""
    echo "    endpoint: tcp://127.0.0.1:${PORTS[$i]}"
  } >> "$DIR/consortium.yaml"
done

echo "tacit: 2 parties, CURVE on, loopback; machine: $(nproc) cores"
ARGS=(--single "${SINGLE:-1000}" --batch "${BATCH:-1000000}" --he-batch "${HE_BATCH:-1000}")
"$BIN/tacit-mpc-peer" millionaire --name bob --key "$DIR/bob.key" --consortium "$DIR/consortium.yaml" "${ARGS[@]}" \
  > "$DIR/bob.out" 2>&1 &
PIDS+=($!)
"$BIN/tacit-mpc-peer" millionaire --name alice --key "$DIR/alice.key" --consortium "$DIR/consortium.yaml" "${ARGS[@]}" \
  | tee "$OUT/millionaire.txt"
wait "${PIDS[0]}" || { echo "bob failed:"; cat "$DIR/bob.out"; exit 1; }

echo "MPyC $("$PY" -c 'import mpyc; print(mpyc.__version__)'): 3 parties on localhost, 64-bit secint"
MPYC=$(cd Benchmarks/millionaire && SINGLE="${MPYC_SINGLE:-200}" BATCH="${MPYC_BATCH:-5000}" "$PY" mpyc_bench.py -M3 2>/dev/null | grep '^MPYC')
echo "$MPYC"

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2" | head -1; }
T=$(grep '^TACIT' "$OUT/millionaire.txt")
echo "RESULT he_online_p50_ms=$(field he_online_p50_ms "$T") ot_online_p50_ms=$(field ot_online_p50_ms "$T") batch_cmp_per_s=$(field batch_cmp_per_s "$T") mpyc_cmp_per_s=$(field batch_cmp_per_s "$MPYC")"
