#!/usr/bin/env bash
# The whole test suite of berth: installs what it needs (idempotent), then lint + tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in protobuf-compiler etcd-server etcd-client jq curl containerd runc containernetworking-plugins iptables iproute2 util-linux docker-registry busybox-static redis-server; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# etcd-server's package may start a system etcd; berth's tests run their own on free ports.

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace 2>&1
