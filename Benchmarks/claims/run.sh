#!/usr/bin/env bash
# make bench-claims: the claims job end to end across three node processes (insurer, hospital,
# regulator) on loopback with the bundled ledger, on the default engine (replicated), for
# CLAIMS="1000 10000 100000 1000000" synthetic claims (seed 1).
#
# Per size: seconds from `tacit job submit` to the job completed at every node (proposal,
# three approvals, two input commitments, the run, three ResultRecorded, all through the
# ledger's consensus), claims per second, bytes every node sent (mesh and ledger) per claim,
# the protocol run's own time (the slowest node's "protocol run took" log line), the slowest
# input party's reading of its dataset and committing to it (its "input read in" line), and
# the rest: the ledger's share (five kinds of transaction through consensus, and the
# operators' CLI round trips that trigger them). The data is generated before the clock starts.
# Ends with `RESULT claims_per_s=… bytes_per_claim=…` for the largest size, and each size's
# seconds. Goals (issue 16): 100k claims under 10 s, 1M under 100 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
CLAIMS=${CLAIMS:-"1000 10000 100000 1000000"}
OUT=Benchmarks/out/claims
mkdir -p "$OUT"

echo "building tacit (release)..."
$SWIFT build -c release --product tacit >/dev/null
TACIT="$($SWIFT build -c release --show-bin-path)/tacit"
INSURER=acme-insurance HOSPITAL=st-marys REGULATOR=regulator
PARTIES=("$INSURER" "$HOSPITAL" "$REGULATOR")
. Scripts/nodes.sh

now() { date +%s.%N; }
sent_bytes() {  # the sum over the nodes of the bytes their mesh sent
  local total=0
  for p in "${PARTIES[@]}"; do
    b=$("$TACIT" node status --config "$DIR/$p/node.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node"]["bytesSent"])')
    total=$((total + b))
  done
  echo "$total"
}
phase() {
  "$TACIT" job status --config "$DIR/$1/node.yaml" --json "$JOB" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["phase"])' 2>/dev/null || echo unknown
}

LAST=""
SUMMARY=()
for N in $CLAIMS; do
  DIR="$OUT/c$N"
  rm -rf "$DIR"
  echo
  echo "== $N claims: generating the data and the consortium"
  "$TACIT" init --example claims --parties "$INSURER,$HOSPITAL,$REGULATOR" --claims "$N" --seed 1 --protocol-timeout 900 "$DIR" >/dev/null
  start_nodes "$TACIT" "$DIR" "${PARTIES[@]}"
  B0=$(sent_bytes)
  JOB="bench-$N"
  sed "1i id: $JOB" "$DIR/jobs/claims.yaml" >"$DIR/jobs/bench.yaml"
  T0=$(now)
  "$TACIT" job submit --config "$DIR/$INSURER/node.yaml" "$DIR/jobs/bench.yaml" >/dev/null
  for p in "$HOSPITAL" "$INSURER" "$REGULATOR"; do
    until "$TACIT" job status --config "$DIR/$p/node.yaml" "$JOB" >/dev/null 2>&1; do sleep 0.02; done
    "$TACIT" job approve --config "$DIR/$p/node.yaml" "$JOB" --yes >/dev/null
  done
  for p in "${PARTIES[@]}"; do
    while true; do
      ph=$(phase "$p")
      [ "$ph" = completed ] && break
      if [ "$ph" = failed ]; then "$TACIT" job status --config "$DIR/$p/node.yaml" "$JOB"; exit 1; fi
      sleep 0.05
    done
  done
  T1=$(now)
  B1=$(sent_bytes)
  RUN=$(grep -h "protocol run took" "$DIR"/*/node.log | sed 's/.*took \([0-9.]*\) s.*/\1/' | sort -g | tail -1)
  # The slowest input party's reading of its dataset and committing to it, before the run.
  INPUT=$(grep -h "input read in" "$DIR"/*/node.log | sed 's/.*read in \([0-9.]*\) s, committed and stored in \([0-9.]*\) s.*/\1 \2/' \
    | awk '{print $1 + $2}' | sort -g | tail -1)
  RSS=$(for pid in "${PIDS[@]}"; do awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null; done | sort -n | tail -1)
  stop_nodes
  LINE=$(python3 - "$N" "$T0" "$T1" "$B0" "$B1" "$RUN" "${RSS:-0}" "${INPUT:-0}" <<'PY'
import sys
n, t0, t1, b0, b1, run, rss, inp = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8])
s = t1 - t0
ledger = max(0.0, s - run - inp)
print(f"claims={n} seconds={s:.2f} claims_per_s={n / s:.0f} bytes_per_claim={(b1 - b0) / n:.0f} run_seconds={run:.2f} input_seconds={inp:.2f} ledger_seconds={ledger:.2f} ledger_share={ledger / s:.2f} peak_rss_mib={rss / 1024:.0f}")
PY
)
  echo "$LINE"
  SUMMARY+=("$LINE")
  LAST="$LINE"
done

echo
echo "== summary (end to end: proposal to every node's recorded result; replicated engine, 3 node processes, loopback)"
for l in "${SUMMARY[@]}"; do echo "  $l"; done
SECONDS_BY=$(for l in "${SUMMARY[@]}"; do n=$(echo "$l" | sed 's/claims=\([0-9]*\).*/\1/'); s=$(echo "$l" | sed 's/.* seconds=\([0-9.]*\).*/\1/'); printf 's_%s=%s ' "$n" "$s"; done)
CPS=$(echo "$LAST" | sed 's/.*claims_per_s=\([0-9]*\).*/\1/')
BPC=$(echo "$LAST" | sed 's/.*bytes_per_claim=\([0-9]*\).*/\1/')
LS=$(echo "$LAST" | sed 's/.*ledger_share=\([0-9.]*\).*/\1/')
echo "RESULT claims_per_s=$CPS bytes_per_claim=$BPC ledger_share=$LS ${SECONDS_BY% }"
