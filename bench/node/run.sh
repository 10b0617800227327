#!/bin/sh
# Node benchmark (bench/src/bin/node.rs): pod start latency of `berth agent` next to the
# raw CRI calls on the same containerd, the agent's RSS idle and with the pods running,
# its CPU while idle. Runs everything in a network namespace it creates and removes.
# Needs root, containerd, runc, the CNI plugins and busybox.
#   PODS=50 IDLE_SECS=60 SETTLE_SECS=10 bench/node/run.sh
# Quick run: PODS=10 IDLE_SECS=10 SETTLE_SECS=3 bench/node/run.sh
# SKIP_BUILD=1 uses the release binaries already built.
set -eu
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "bench/node/run.sh needs root (network namespace, containerd)" >&2
    exit 1
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release -q -p berth -p berth-bench
fi
BERTH=${BERTH:-target/release/berth} exec target/release/node
