#!/usr/bin/env bash
# Builds berth, starts a control plane and two hollow nodes on this machine, and prints
# the kubectl line to use them. Ctrl-C stops both (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p berth
BERTH=./target/release/berth
DATA_DIR="${BERTH_DATA_DIR:-$PWD/.berth-demo}"
PORT="${BERTH_PORT:-6443}"
mkdir -p "$DATA_DIR"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BERTH" server --data-dir "$DATA_DIR" --https-listen-port "$PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --disable-agent \
  > "$DATA_DIR/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ -s "$DATA_DIR/admin.kubeconfig" ] && curl -sfk "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
"$BERTH" hollow-nodes --kubeconfig "$DATA_DIR/admin.kubeconfig" --count 2 --prefix node \
  --fail-image-pull dockercoins/worker:v0.3 > "$DATA_DIR/nodes.log" 2>&1 &
pids+=($!)

cat <<TXT
berth is running: a control plane on https://127.0.0.1:$PORT and two hollow nodes.

  export KUBECONFIG=$DATA_DIR/admin.kubeconfig
  kubectl get nodes
  kubectl create deployment pingpong --image=alpine -- ping 127.0.0.1
  kubectl scale deploy/pingpong --replicas 8
  kubectl get all

Logs: $DATA_DIR/server.log, $DATA_DIR/nodes.log. Ctrl-C stops berth.
TXT
wait
