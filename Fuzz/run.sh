#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of this package with the fuzzer and address
# sanitizers and runs each for FUZZ_SECONDS, then prints one line per target and
#   RESULT targets=N execs=TOTAL crashes=K
# Exits non-zero if any target crashed (a trap, an ASan report, a timeout or running out of
# memory). See Docs/SecurityTesting.md.
#
#   Fuzz/run.sh [fuzz|replay|seeds|fixtures] [TARGET...]
#   fuzz      (default) run each target for FUZZ_SECONDS (default 60)
#   replay    run every committed corpus and regression input once (-runs=0): seconds
#   seeds     rewrite Fuzz/Corpus/TARGET from the real encoders (then review and commit)
#   fixtures  rewrite Fuzz/Fixtures/consortium (the ledger targets' test consortium)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
scratch="$root/.build-fuzz"
mode="${1:-fuzz}"; [ $# -gt 0 ] && shift
seconds="${FUZZ_SECONDS:-60}"
swift="${SWIFT:-swift}"

# corpus name → executable target
declare -A exe=(
  [frame-header]=FuzzFrameHeader
  [paillier-wire]=FuzzPaillierWire
  [paillier-json]=FuzzPaillierJSON
  [dgk-wire]=FuzzDGKWire
  [ledger-transaction]=FuzzLedgerTransaction
  [ledger-block]=FuzzLedgerBlock
  [ledger-consensus]=FuzzLedgerConsensus
  [ledger-genesis]=FuzzLedgerGenesis
  [job-spec-yaml]=FuzzJobSpecYAML
  [job-spec-ledger]=FuzzJobSpecLedger
  [node-config]=FuzzNodeConfig
  [dataset-csv]=FuzzDatasetCSV
  [mpc-messages]=FuzzMPCMessages
  [control-request]=FuzzControlRequest
  [ledger-export]=FuzzLedgerExport
)
order=(frame-header paillier-wire paillier-json dgk-wire ledger-transaction ledger-block ledger-consensus ledger-genesis
       job-spec-yaml job-spec-ledger node-config dataset-csv mpc-messages control-request ledger-export)
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=("${order[@]}")
for t in "${targets[@]}"; do [ -n "${exe[$t]:-}" ] || { echo "fuzz: unknown target '$t' (targets: ${order[*]})"; exit 2; }; done

# SwiftPM passes `-sanitize=fuzzer -sanitize=address` to swiftc as two flags, and swiftc keeps
# only the last: Swift code would get ASan but no coverage. The combined -Xswiftc flag comes
# after them and wins; C targets get both from --sanitize.
echo "fuzz: building ${#targets[@]} target(s) in $scratch (first build: several minutes)"
(cd "$here" && "$swift" build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
  --scratch-path "$scratch" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" | tail -3)
bin="$(cd "$here" && "$swift" build -c debug --scratch-path "$scratch" --show-bin-path)"

# The checked-in consortium's signing keys are fixtures, not secrets, but Tacit refuses to read
# a key file others may read, and git checks files out 0644.
chmod 600 "$here"/Fixtures/consortium/*.key
# The checked-in consortium has certificates valid from its creation; ASan's leak checker is
# off because libFuzzer's process exits with state still reachable from globals.
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
# The Swift runtime's own backtracer would run inside ASan and report itself; libFuzzer prints the stack.
export SWIFT_BACKTRACE="enable=no"

case "$mode" in
  seeds)
    for t in "${targets[@]}"; do
      rm -rf "$here/Corpus/$t"
      TACIT_FUZZ_SEEDS="$here/Corpus/$t" "$bin/${exe[$t]}"
    done
    exit 0 ;;
  fixtures)
    rm -rf "$here/Fixtures/consortium"
    TACIT_FUZZ_FIXTURES=create "$bin/FuzzLedgerGenesis"
    exit 0 ;;
  fuzz|replay) ;;
  *) echo "fuzz: unknown mode '$mode' (fuzz, replay, seeds, fixtures)"; exit 2 ;;
esac

echo "fuzz: $(nproc) cores, load: $(uptime | sed 's/.*load average: //')"
total_execs=0; crashes=0; n=0
for t in "${targets[@]}"; do
  n=$((n + 1))
  work="$scratch/corpus/$t"; artifacts="$scratch/artifacts/$t/"; log="$scratch/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  dirs=("$here/Corpus/$t"); [ -d "$here/Regressions/$t" ] && dirs+=("$here/Regressions/$t")
  dict=(); [ -f "$here/Dictionaries/$t.dict" ] && dict=("-dict=$here/Dictionaries/$t.dict")
  if [ "$mode" = replay ]; then
    args=(-runs=0 "${dirs[@]}")
  else
    # New inputs go to the first directory: the working copy, never the committed corpus.
    args=(-max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" "$work" "${dirs[@]}")
  fi
  status=0
  "$bin/${exe[$t]}" -rss_limit_mb=2048 -timeout=60 -artifact_prefix="$artifacts" "${args[@]}" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final"); ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$final")
  if [ "$mode" = replay ]; then execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*INITED.*/\1/p' "$log" | tail -1); fi
  execs=${execs:-0}; total_execs=$((total_execs + execs))
  if [ "$status" -ne 0 ]; then
    crashes=$((crashes + 1))
    echo "fuzz $t: CRASH (exit $status); input in $artifacts; log $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*Fatal error|.*precondition|.*ALARM|.*out-of-memory)' "$log" | head -5 | sed 's/^/    /' || true
  else
    echo "fuzz $t: execs=$execs exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
  fi
done
echo "RESULT targets=$n execs=$total_execs crashes=$crashes"
[ "$crashes" -eq 0 ]
