#!/usr/bin/env bash
# make bench-mpc: three parties as separate processes over ZeroMQ (CURVE) on loopback.
# Online multiplications and 64-bit comparisons per second (additive sharing over Z/2^64,
# dealer preprocessing done before timing), dealer-free triples per second (IKNP OT
# extension), and the raw ZeroMQ throughput between two of the same processes in the same
# run. SIZE (default 1048576), CMP_SIZE (default 1048576), TRIPLES (default 131072).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=Benchmarks/out
mkdir -p "$OUT"
swift build -c release --scratch-path .build-release --product tacit-mpc-peer
swift build -c release --scratch-path .build-release --product tacit
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)

DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

NAMES=(p0 p1 p2)
PORTS=($(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))'))
echo "members:" > "$DIR/consortium.yaml"
for i in 0 1 2; do
  "$BIN/tacit" keys generate --name "${NAMES[$i]}" --out "$DIR" >/dev/null
  {
    echo "  - name: ${NAMES[$i]}"
    echo "    publicKey: \"$(cat "$DIR/${NAMES[$i]}.pub")\""
    echo "    endpoint: tcp://127.0.0.1:${PORTS[$i]}"
  } >> "$DIR/consortium.yaml"
done

ARGS=(--size "${SIZE:-1048576}" --cmp-size "${CMP_SIZE:-1048576}" --triples "${TRIPLES:-131072}")
# LINK_MESSAGES (default 400 MiB of 1 MiB messages): fewer for profiling runs only.
[ -n "${LINK_MESSAGES:-}" ] && ARGS+=(--link-messages "$LINK_MESSAGES")
for i in 1 2; do
  "$BIN/tacit-mpc-peer" bench --name "${NAMES[$i]}" --key "$DIR/${NAMES[$i]}.key" \
    --consortium "$DIR/consortium.yaml" "${ARGS[@]}" > "$DIR/${NAMES[$i]}.out" 2>&1 &
  PIDS+=($!)
done
echo "tacit: 3 parties, CURVE on, loopback; machine: $(nproc) cores"
# PROFILE_P0: a command prefix for p0 only, for profiling, e.g.
# "perf record -e cpu-clock -o /tmp/p0.data --" (valgrind 3.19 cannot read Swift 6.3 binaries).
${PROFILE_P0:-} "$BIN/tacit-mpc-peer" bench --name p0 --key "$DIR/p0.key" --consortium "$DIR/consortium.yaml" "${ARGS[@]}" \
  | tee "$OUT/mpc.txt"
for p in "${PIDS[@]}"; do wait "$p" || { echo "a party failed:"; cat "$DIR"/p*.out; exit 1; }; done
