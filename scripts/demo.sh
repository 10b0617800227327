#!/usr/bin/env bash
# Builds berth and runs a control plane in the foreground on a local data dir; prints
# the kubectl line to use it. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p berth
DATA_DIR="${BERTH_DATA_DIR:-$PWD/.berth-demo}"
PORT="${BERTH_PORT:-6443}"
exec ./target/release/berth server --data-dir "$DATA_DIR" --https-listen-port "$PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --disable-agent
