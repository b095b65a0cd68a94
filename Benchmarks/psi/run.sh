#!/usr/bin/env bash
# make bench-psi: private set intersection between two processes over the ZeroMQ mesh (CURVE)
# on loopback, `tacit psi --listen/--connect` (release build) beside OpenMined PSI (PyPI
# openmined-psi 2.0.6, ECDH over P-256, two processes over pyzmq with CURVE) in the same run:
#   balanced 2^16 x 2^16 and 2^20 x 2^20, Tacit's ot path (KKRT16) and ecdh path (ristretto255);
#   unbalanced 2^10 queries against a 2^20 blacklist (setup and online apart).
# Every answer is checked against the overlap the generator built (a quarter of the smaller
# set). Per run: seconds, bytes on the wire (both directions) and each party's peak RSS.
# Balanced figures are medians of RUNS (3) runs, except the two that take minutes at 2^20:
# OpenMined's and Tacit's ecdh path (OM_RUNS_2E20=1, ECDH_RUNS_2E20=1). Ends with one RESULT line.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=Benchmarks/out
mkdir -p "$OUT"
swift build -c release --scratch-path .build-release --product tacit
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)
PY=${TACIT_PYTHON:-.build-venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac
RUNS=${RUNS:-3}
OM_RUNS_2E20=${OM_RUNS_2E20:-1}
ECDH_RUNS_2E20=${ECDH_RUNS_2E20:-1}
LOG="$OUT/psi.txt"
: > "$LOG"

DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

# Progress to stderr (functions below return their figures on stdout), all of it to the log.
say() { echo "$*" | tee -a "$LOG" >&2; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2" | head -1; }
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.3f}")' "$@"; }

# gen NAME N_R N_S: two CSV files with a known overlap under $DIR/NAME; prints the overlap.
gen() { "$PY" Benchmarks/psi/gen_sets.py "$2" "$3" $(( ($2 < $3 ? $2 : $3) / 4 )) 7 "$DIR/$1"; }

# tacit_once SET PATH [listener args...]: one run; prints "connector-stats|listener-stats".
tacit_once() {
  local set=$1 path=$2; shift 2
  local lout="$DIR/listener.out"
  "$BIN/tacit" psi --listen 127.0.0.1:0 --file "$DIR/$set/sender.csv" --column id --path "$path" --stats "$@" > "$lout" 2>&1 &
  local lpid=$!
  PIDS+=("$lpid")
  local line=""
  for _ in $(seq 1 6000); do
    line=$(grep -m1 '^listening on ' "$lout" || true)
    [ -n "$line" ] && break
    kill -0 "$lpid" 2>/dev/null || { cat "$lout" >&2; return 1; }
    sleep 0.05
  done
  [ -n "$line" ] || { echo "the listener did not start" >&2; return 1; }
  local addr key
  addr=$(awk '{print $3}' <<< "$line" | tr -d ';')
  key=$(awk '{print $NF}' <<< "$line")
  local c
  c=$("$BIN/tacit" psi --connect "$addr" --peer-key="$key" --file "$DIR/$set/receiver.csv" --column id --stats 2>&1) \
    || { echo "$c" >&2; cat "$lout" >&2; return 1; }
  wait "$lpid" || { cat "$lout" >&2; return 1; }
  echo "$(grep '^stats:' <<< "$c")|$(grep '^stats:' "$lout")"
}

# tacit_case LABEL SET PATH EXPECTED: RUNS runs; prints "seconds bytes peak_mib" (medians;
# peak is the larger party's).
tacit_case() {
  local label=$1 set=$2 path=$3 expected=$4 runs=${5:-$RUNS}
  local secs=() bytes=() peaks=()
  for r in $(seq 1 "$runs"); do
    local both c l
    both=$(tacit_once "$set" "$path")
    c=${both%%|*}
    l=${both##*|}
    [ "$(field matched "$c")" = "$expected" ] || { echo "tacit $label: matched $(field matched "$c"), expected $expected" >&2; exit 1; }
    secs+=("$(field seconds "$c")")
    bytes+=("$(( $(field bytes_sent "$c") + $(field bytes_received "$c") ))")
    peaks+=("$(python3 -c "print(max($(field peak_rss_mib "$c"), $(field peak_rss_mib "$l")))")")
    say "  tacit $label run $r: ${secs[-1]} s, $(python3 -c "print(f'{${bytes[-1]}/1048576:.1f}')") MiB on the wire, peak ${peaks[-1]} MiB (connector: $c; listener: $l)"
  done
  echo "$(median "${secs[@]}") $(median "${bytes[@]}") $(median "${peaks[@]}")"
}

om_case() {
  local label=$1 set=$2 expected=$3 runs=$4; shift 4
  local secs=() line=""
  for r in $(seq 1 "$runs"); do
    line=$("$PY" Benchmarks/psi/openmined_bench.py --receiver "$DIR/$set/receiver.csv" --sender "$DIR/$set/sender.csv" "$@")
    [ "$(field size "$line")" = "$expected" ] || { echo "openmined $label: size $(field size "$line"), expected $expected" >&2; exit 1; }
    secs+=("$(field seconds "$line")")
    say "  openmined $label run $r: $line"
  done
  echo "$(median "${secs[@]}") $line"
}

say "psi benchmark: $(nproc) cores, loopback, CURVE on both tools; openmined-psi $("$PY" -c 'import importlib.metadata as m; print(m.version("openmined-psi"))')"
declare -A T
# SIZES and UNB_LOG (log2 of the unbalanced blacklist) shrink a trial run; the RESULT line
# needs the defaults.
for e in ${SIZES:-16 20}; do
  n=$((1 << e))
  expected=$(gen "b$e" "$n" "$n")
  for path in ot ecdh; do
    runs=$([ "$e" = 20 ] && [ "$path" = ecdh ] && echo "$ECDH_RUNS_2E20" || echo "$RUNS")
    read -r s b p <<< "$(tacit_case "2^$e $path" "b$e" "$path" "$expected" "$runs")"
    T[$path.$e.s]=$s; T[$path.$e.mib]=$(python3 -c "print(f'{$b/1048576:.1f}')"); T[$path.$e.peak]=$p
    say "tacit $path 2^$e x 2^$e: median ${s} s, ${T[$path.$e.mib]} MiB on the wire, peak ${p} MiB per party"
  done
  om_runs=$([ "$e" = 20 ] && echo "$OM_RUNS_2E20" || echo "$RUNS")
  read -r s om <<< "$(om_case "2^$e" "b$e" "$expected" "$om_runs")"
  T[om.$e.s]=$s
  say "openmined 2^$e x 2^$e: median ${s} s, $(python3 -c "print(f'{$(field bytes "$om")/1048576:.1f}')") MiB, peaks client $(field client_peak_mib "$om") / server $(field server_peak_mib "$om") MiB"
done

# Unbalanced: 2^10 applicants against a 2^20 blacklist. Tacit's listener prepares the list
# once (kept in a 0600 file) and serves UNB_QUERIES queries in a row; setup is the preparation
# plus the first query (which downloads the tags into the connector's cache), online the
# median of the later queries. OpenMined sends its server's setup message (the encrypted
# list), then one request and response.
UNB_LOG=${UNB_LOG:-20}
expected=$(gen u $((1 << 10)) $((1 << UNB_LOG)))
UNB_QUERIES=${UNB_QUERIES:-11}
both=$(tacit_once u ecdh --prepared "$DIR/u/prepared.bin" --queries "$UNB_QUERIES")
c=${both%%|*}
l=${both##*|}
[ "$(field matched "$c")" = "$expected" ] || { echo "tacit unbalanced: matched $(field matched "$c"), expected $expected" >&2; exit 1; }
UNB_SETUP=$(python3 -c "print(f'{$(field prepare_seconds "$l") + $(field first_query_seconds "$c"):.3f}')")
UNBALANCED_MS=$(python3 -c "print(f'{$(field later_query_median_seconds "$c") * 1000:.1f}')")
say "tacit unbalanced 2^10 vs 2^$UNB_LOG (ecdh, prepared): setup ${UNB_SETUP} s (prepare $(field prepare_seconds "$l") s + first query $(field first_query_seconds "$c") s), online median ${UNBALANCED_MS} ms over $((UNB_QUERIES - 1)) queries; peak connector $(field peak_rss_mib "$c") / listener $(field peak_rss_mib "$l") MiB"
say "  (connector: $c; listener: $l)"
read -r s om <<< "$(om_case "unbalanced 2^10 vs 2^$UNB_LOG" u "$expected" 1 --unbalanced)"
say "openmined unbalanced 2^10 vs 2^$UNB_LOG: setup $(field setup_seconds "$om") s, online $(python3 -c "print(f'{$(field online_seconds "$om") * 1000:.1f}')") ms, peaks client $(field client_peak_mib "$om") / server $(field server_peak_mib "$om") MiB"

ratio() { python3 -c "print(f'{$1/$2:.4f}')"; }
L=$(echo ${SIZES:-16 20} | awk '{print $NF}')
echo "RESULT psi_2e20_s=${T[ot.$L.s]} psi_2e20_vs_openmined=$(ratio "${T[ot.$L.s]}" "${T[om.$L.s]}") ecdh_2e20_vs_openmined=$(ratio "${T[ecdh.$L.s]}" "${T[om.$L.s]}") unbalanced_online_ms=${UNBALANCED_MS} mib_2e20=${T[ot.$L.mib]} peak_mib_2e20=${T[ot.$L.peak]}" | tee -a "$LOG"
