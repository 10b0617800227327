#!/bin/sh
# Scheduler throughput: starts a berth server on a temp dir (loopback only), registers
# NODES Ready nodes (or runs NODES hollow nodes with HOLLOW=1), creates PODS pods and
# prints pods/s bound next to clusterloader2's 400 pods/s threshold.
#   NODES=1000 PODS=10000 STREAM_PODS=5000 HOLLOW=0 SERVER_FLAGS="" bench/scheduler/run.sh
# SKIP_BUILD=1 uses the release binaries already built.
# PERF=1 records a perf profile of the server during the run (perf.data in the cwd).
set -eu
cd "$(dirname "$0")/../.."
NODES=${NODES:-1000}
PODS=${PODS:-10000}
STREAM_PODS=${STREAM_PODS:-5000}
HOLLOW=${HOLLOW:-0}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release -q -p berth
    cargo build --release -q -p berth-scheduler --example scheduler_bench
fi
BERTH=target/release/berth
BENCH=target/release/examples/scheduler_bench

DIR=$(mktemp -d)
SERVER_PID=""
HOLLOW_PID=""
cleanup() {
    [ -n "$HOLLOW_PID" ] && kill "$HOLLOW_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

RUST_LOG=warn "$BERTH" server --data-dir "$DIR/data" --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 --https-listen-port 0 --disable-agent \
    --node-monitor-grace-period 1h ${SERVER_FLAGS:-} >"$DIR/server.out" 2>"$DIR/server.err" &
SERVER_PID=$!
for _ in $(seq 1 600); do
    grep -q "is ready on" "$DIR/server.out" 2>/dev/null && break
    sleep 0.1
done
grep -q "is ready on" "$DIR/server.out" || { cat "$DIR/server.err"; exit 1; }
KUBECONFIG_FILE="$DIR/data/admin.kubeconfig"

EXTRA=""
if [ "$HOLLOW" = 1 ]; then
    RUST_LOG=warn "$BERTH" hollow-nodes --kubeconfig "$KUBECONFIG_FILE" --count "$NODES" \
        --prefix bench-hollow 2>"$DIR/hollow.err" &
    HOLLOW_PID=$!
    EXTRA="--hollow"
fi

PERF_PID=""
if [ "${PERF:-0}" = 1 ]; then
    perf record -g -p "$SERVER_PID" -o perf.data 2>/dev/null &
    PERF_PID=$!
fi
"$BENCH" --kubeconfig "$KUBECONFIG_FILE" --nodes "$NODES" --pods "$PODS" \
    --stream-pods "$STREAM_PODS" $EXTRA
[ -n "$PERF_PID" ] && kill -INT "$PERF_PID" && wait "$PERF_PID" || true
echo "server RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
