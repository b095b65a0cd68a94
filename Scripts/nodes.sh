# Sourced by the demos and the claims benchmark: start a consortium's node processes, wait
# until each answers on its control socket, and stop them (also on exit).
#   start_nodes TACIT DIR NAME...   logs in DIR/NAME/node.log
#   stop_nodes
PIDS=()

stop_nodes() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap stop_nodes EXIT

start_nodes() {
  local tacit=$1 dir=$2 p
  shift 2
  for p in "$@"; do
    "$tacit" node --config "$dir/$p/node.yaml" >"$dir/$p/node.out" 2>"$dir/$p/node.log" &
    PIDS+=($!)
  done
  for p in "$@"; do
    for _ in $(seq 1 600); do
      "$tacit" node status --config "$dir/$p/node.yaml" >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
}
