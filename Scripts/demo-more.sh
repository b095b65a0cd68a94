#!/usr/bin/env bash
# Three party nodes on loopback run a real job end to end: an insurer learns the total of two
# hospitals' claims under threshold Paillier, with every step on the consortium's ledger
# (Tendermint among the three nodes, a SQLite replica in each data directory); then how many
# claims exceed 1000.00, computed on Shamir shares; the job's audit trail; the nodes are
# stopped and the whole ledger is verified offline.
#   Scripts/demo-more.sh [PATH/TO/tacit]      (make demo-more builds it and passes it)
# Environment: TACIT_DEMO_KEY_BITS (default 2048), TACIT_DEMO_DIR (default: a fresh temp dir).
set -euo pipefail

TACIT=${1:-tacit}
BITS=${TACIT_DEMO_KEY_BITS:-2048}
DIR=${TACIT_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tacit-demo.XXXXXX")}
PARTIES=(insurer st-marys riverside)
. "$(dirname "$0")/nodes.sh"

say() { printf '\n== %s\n' "$*"; }

say "tacit init: a consortium of ${PARTIES[*]} in $DIR"
extra=()
if [ "$BITS" -lt 2048 ]; then extra+=(--insecure-small-key); fi
"$TACIT" init --parties "$(IFS=,; echo "${PARTIES[*]}")" --key-bits "$BITS" "${extra[@]}" "$DIR"

say "starting three node processes (logs in $DIR/NAME/node.log)"
start_nodes "$TACIT" "$DIR" "${PARTIES[@]}"
for p in "${PARTIES[@]}"; do "$TACIT" node status --config "$DIR/$p/node.yaml" | head -1; done

say "the threshold Paillier key goes on the ledger (registered by its holders; every node checks its share against it)"
for _ in $(seq 1 600); do
  if "$TACIT" node status --config "$DIR/insurer/node.yaml" | grep -q "registered at block"; then break; fi
  sleep 0.1
done
"$TACIT" node status --config "$DIR/insurer/node.yaml" | grep -A1 "^paillier:"

say "the insurer proposes the claim-total job"
cat "$DIR/jobs/claim-total.yaml"
out=$("$TACIT" job submit --config "$DIR/insurer/node.yaml" "$DIR/jobs/claim-total.yaml")
echo "$out"
JOB=$(echo "$out" | sed -n 's/^proposed job \([^;]*\);.*/\1/p')

say "each data owner reviews exactly what the job would use, then approves"
for p in st-marys riverside; do
  for _ in $(seq 1 100); do
    "$TACIT" job status --config "$DIR/$p/node.yaml" "$JOB" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$TACIT" job status --config "$DIR/$p/node.yaml" "$JOB" | grep -E "this node|awaiting approval"
  "$TACIT" job approve --config "$DIR/$p/node.yaml" "$JOB" --columns amount
done
"$TACIT" job approve --config "$DIR/insurer/node.yaml" "$JOB"

say "waiting for the result at the insurer (the only recipient)"
"$TACIT" job result --config "$DIR/insurer/node.yaml" "$JOB" --wait --timeout 300

say "a hospital is not a recipient: it sees only the digest"
"$TACIT" job result --config "$DIR/st-marys/node.yaml" "$JOB" 2>&1 | sed 's/^/  /' || true

say "the same parties on secret shares (Shamir): how many claims exceed 1000.00"
cat "$DIR/jobs/large-claims.yaml"
out2=$("$TACIT" job submit --config "$DIR/insurer/node.yaml" "$DIR/jobs/large-claims.yaml")
echo "$out2"
JOB2=$(echo "$out2" | sed -n 's/^proposed job \([^;]*\);.*/\1/p')
for p in st-marys riverside; do
  for _ in $(seq 1 100); do
    "$TACIT" job status --config "$DIR/$p/node.yaml" "$JOB2" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$TACIT" job approve --config "$DIR/$p/node.yaml" "$JOB2" --columns amount
done
"$TACIT" job approve --config "$DIR/insurer/node.yaml" "$JOB2"
"$TACIT" job result --config "$DIR/insurer/node.yaml" "$JOB2" --wait --timeout 300

say "the job's audit trail at riverside's node (its lifecycle re-checked on its replica)"
"$TACIT" audit trail --config "$DIR/riverside/node.yaml" "$JOB"

say "an auditor given St Mary's data, salt and column types opens its commitment"
"$TACIT" audit export --config "$DIR/st-marys/node.yaml" "$JOB" --out "$DIR/st-marys-opening.json"
SALT=$(sed -n 's/.*"salt" : "\([0-9a-f]*\)".*/\1/p' "$DIR/st-marys-opening.json")
"$TACIT" audit job "$JOB" --party st-marys --data "$DIR/st-marys/data/claims.csv" --salt "$SALT" \
  --column amount:decimal:2 --ledger "$DIR/insurer/data/ledger.sqlite"

say "stopping the nodes"
stop_nodes

say "the ledger, verified offline from the insurer's replica: hash chain, signatures, certificates, quorums, job invariants"
"$TACIT" ledger verify --db "$DIR/insurer/data/ledger.sqlite"
say "its blocks"
"$TACIT" ledger show --db "$DIR/insurer/data/ledger.sqlite"
echo "done; the consortium is in $DIR (delete it when finished)"
