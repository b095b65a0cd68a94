#!/usr/bin/env bash
# Our first users' job end to end: an insurer and a hospital settle claims without the
# hospital showing its itemised bills or the insurer its policy terms; a regulator keeps a
# ledger replica, is the third party of the honest-majority computation, and audits.
# Three node processes on loopback, each with its replica of the consortium's ledger:
# tacit init (CA, keys, genesis, 10,000 synthetic claims), the claims job proposed, each
# approver shown what it would use, approved, inputs committed, run on three-party
# replicated shares with a progress bar, a summary of the payouts, the job's audit trail, the
# nodes stopped, the whole ledger verified offline.
#   Scripts/demo.sh [PATH/TO/tacit]      (make demo builds it and passes it)
# Environment: TACIT_DEMO_CLAIMS (default 10000), TACIT_DEMO_SEED (1), TACIT_DEMO_DIR
# (default: a fresh temp dir).
set -euo pipefail

TACIT=${1:-tacit}
CLAIMS=${TACIT_DEMO_CLAIMS:-10000}
SEED=${TACIT_DEMO_SEED:-1}
DIR=${TACIT_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tacit-demo.XXXXXX")}
INSURER=acme-insurance
HOSPITAL=st-marys
REGULATOR=regulator
PARTIES=("$INSURER" "$HOSPITAL" "$REGULATOR")
. "$(dirname "$0")/nodes.sh"

say() { printf '\n== %s\n' "$*"; }
conf() { echo "$DIR/$1/node.yaml"; }

say "tacit init: a consortium of ${PARTIES[*]} in $DIR, with $CLAIMS synthetic claims (seed $SEED)"
"$TACIT" init --example claims --parties "$INSURER,$HOSPITAL,$REGULATOR" --claims "$CLAIMS" --seed "$SEED" "$DIR"
echo "  $HOSPITAL's bills:     $DIR/$HOSPITAL/data/bills.csv ($(($(wc -l <"$DIR/$HOSPITAL/data/bills.csv") - 1)) lines)"
echo "  $INSURER's policies: $DIR/$INSURER/data/policies.csv ($(($(wc -l <"$DIR/$INSURER/data/policies.csv") - 1)) members)"

say "starting three node processes (logs in $DIR/NAME/node.log)"
start_nodes "$TACIT" "$DIR" "${PARTIES[@]}"
for p in "${PARTIES[@]}"; do "$TACIT" node status --config "$DIR/$p/node.yaml" | head -1; done

say "the insurer proposes the claims job"
sed -n '/^protocol:/,$p' "$DIR/jobs/claims.yaml"
START=$(date +%s.%N)
out=$("$TACIT" job submit --config "$(conf "$INSURER")" "$DIR/jobs/claims.yaml")
echo "$out"
JOB=$(echo "$out" | sed -n 's/^proposed job \([^;]*\);.*/\1/p')

wait_seen() {
  for _ in $(seq 1 300); do
    "$TACIT" job status --config "$(conf "$1")" "$JOB" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
}

say "each approver sees what the job will use of its data, what each party learns, and approves"
BILL_COLUMNS=line_id,claim_id,member_id,service_date,category,amount
POLICY_COLUMNS=member_id,deductible,annual_cap,paid_this_year,rate_ER,rate_IP,rate_OP,rate_SURG,rate_IMG,rate_LAB,rate_RX,rate_PT,rate_MAT,rate_DEN
wait_seen "$HOSPITAL"
echo "-- at $HOSPITAL:"
"$TACIT" job status --config "$(conf "$HOSPITAL")" "$JOB" | sed 's/^/   /'
"$TACIT" job approve --config "$(conf "$HOSPITAL")" "$JOB" --columns "$BILL_COLUMNS"
echo "-- at $INSURER:"
"$TACIT" job status --config "$(conf "$INSURER")" "$JOB" | grep -E "this node|awaiting" | sed 's/^/   /'
"$TACIT" job approve --config "$(conf "$INSURER")" "$JOB" --columns "$POLICY_COLUMNS"
wait_seen "$REGULATOR"
echo "-- at $REGULATOR:"
"$TACIT" job status --config "$(conf "$REGULATOR")" "$JOB" | grep -E "this node|awaiting" | sed 's/^/   /'
"$TACIT" job approve --config "$(conf "$REGULATOR")" "$JOB" --yes

say "inputs committed on the ledger; the job runs on replicated shares among the three nodes"
"$TACIT" job result --config "$(conf "$INSURER")" "$JOB" --wait --timeout 600 >/dev/null
END=$(date +%s.%N)

say "at the insurer (the recipient): the payouts"
"$TACIT" claims summary --config "$(conf "$INSURER")" "$JOB"
"$TACIT" job result --config "$(conf "$INSURER")" "$JOB" --csv "$DIR/$INSURER/payouts.csv" | tail -1
printf 'time from proposal to recorded result: %.1f s\n' "$(echo "$END - $START" | bc)"

say "the hospital is not a recipient: it sees only the digest"
"$TACIT" job result --config "$(conf "$HOSPITAL")" "$JOB" 2>&1 | sed 's/^/  /' || true

say "the regulator was granted the payout table sealed on the ledger: it reads it from its own replica"
"$TACIT" job result --config "$(conf "$REGULATOR")" "$JOB" | head -4

say "the job's audit trail at the regulator's node (its lifecycle re-checked on its replica)"
"$TACIT" audit trail --config "$(conf "$REGULATOR")" "$JOB"

say "stopping the nodes"
stop_nodes

say "the ledger, verified offline from the regulator's replica: hash chain, signatures, certificates, quorums, job invariants"
"$TACIT" ledger verify --db "$DIR/$REGULATOR/data/ledger.sqlite"

say "with its key, the regulator opens the sealed table from any replica, here the hospital's copy of the ledger"
"$TACIT" ledger open --db "$DIR/$HOSPITAL/data/ledger.sqlite" --key "$DIR/$REGULATOR/keys/$REGULATOR.enc.key" \
  --member "$REGULATOR" "$JOB" payouts --out "$DIR/$REGULATOR/payouts-from-ledger.csv"
cmp -s <(sort "$DIR/$REGULATOR/payouts-from-ledger.csv") <(sort "$DIR/$INSURER/payouts.csv") \
  && echo "  the same table as the insurer's" || { echo "  the sealed table differs from the insurer's"; exit 1; }
echo "the hospital's key does not open it:"
"$TACIT" ledger open --db "$DIR/$HOSPITAL/data/ledger.sqlite" --key "$DIR/$HOSPITAL/keys/$HOSPITAL.enc.key" \
  --member "$HOSPITAL" "$JOB" payouts 2>&1 | sed 's/^/  /' || true
echo
echo "done. The consortium's files are in $DIR:"
echo "  $DIR/NAME/node.yaml, keys/, data/ (bills.csv, policies.csv, ledger.sqlite), node.log"
echo "  $DIR/$INSURER/payouts.csv: the payout table; $DIR/jobs/claims.yaml: the job"
echo "  delete it when finished; make demo-more runs the threshold Paillier and millionaires' examples"
