#!/usr/bin/env bash
# make bench-psi-10m: one PSI of N (10,000,000) rows against N rows, OT path, two processes
# over the ZeroMQ mesh with CURVE; the time and each party's peak memory (goal: under 2 GiB a
# party); psi_10m_s is the protocol, wall_s adds reading and normalising the CSV files. Not in CI: the inputs alone are 2 x 160 MB and take a minute to generate.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=Benchmarks/out
mkdir -p "$OUT"
swift build -c release --scratch-path .build-release --product tacit
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)
PY=${TACIT_PYTHON:-.build-venv/bin/python}
N=${N:-10000000}
PATH_KIND=${PSI_PATH:-ot}
DIR=$(mktemp -d)
LPID=""
cleanup() { [ -n "$LPID" ] && kill "$LPID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2" | head -1; }

expected=$("$PY" Benchmarks/psi/gen_sets.py "$N" "$N" $((N / 4)) 11 "$DIR")
"$BIN/tacit" psi --listen 127.0.0.1:0 --file "$DIR/sender.csv" --column id --path "$PATH_KIND" --stats > "$DIR/l.out" 2>&1 &
LPID=$!
for _ in $(seq 1 12000); do grep -q '^listening on ' "$DIR/l.out" && break; kill -0 "$LPID" || { cat "$DIR/l.out"; exit 1; }; sleep 0.05; done
line=$(grep -m1 '^listening on ' "$DIR/l.out")
t0=$(date +%s.%N)
c=$("$BIN/tacit" psi --connect "$(awk '{print $3}' <<< "$line" | tr -d ';')" --peer-key="$(awk '{print $NF}' <<< "$line")" \
  --file "$DIR/receiver.csv" --column id --stats --timeout 3600)
wait "$LPID"
LPID=""
wall=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")
cs=$(grep '^stats:' <<< "$c")
ls=$(grep '^stats:' "$DIR/l.out")
[ "$(field matched "$cs")" = "$expected" ] || { echo "matched $(field matched "$cs"), expected $expected"; exit 1; }
echo "connector: $cs" | tee "$OUT/psi-10m.txt"
echo "listener: $ls" | tee -a "$OUT/psi-10m.txt"
echo "RESULT psi_10m_s=$(field seconds "$cs") wall_s=$wall peak_mib_connector=$(field peak_rss_mib "$cs") peak_mib_listener=$(field peak_rss_mib "$ls") path=$PATH_KIND" | tee -a "$OUT/psi-10m.txt"
