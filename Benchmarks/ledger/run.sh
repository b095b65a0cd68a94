#!/usr/bin/env bash
# make bench-ledger: 3 and 4 ledger members as separate processes on loopback (CURVE, durable
# SQLite in temporary directories): saturated throughput, one-at-a-time commit latency, and
# the machine's bounds measured in the same run. Last line: RESULT tps_3=… tps_4=… p50_ms=… p99_ms=…
set -euo pipefail
cd "$(dirname "$0")/../.."
# LEDGER_SCRATCH: an alternative build folder (e.g. .build-ledger in a second work tree).
SCRATCH=(${LEDGER_SCRATCH:+--scratch-path "$LEDGER_SCRATCH"})
swift build -c release "${SCRATCH[@]}" --product tacit >&2
TACIT="$(swift build -c release "${SCRATCH[@]}" --show-bin-path)/tacit"
mkdir -p Benchmarks/out
exec python3 Benchmarks/ledger/bench.py "$TACIT" "${LEDGER_BENCH_TXS:-20000}"
