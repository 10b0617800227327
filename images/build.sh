#!/usr/bin/env bash
# Builds berth's offline images with `berth image build`, as OCI archives in $OUT
# (default images/out), from what is installed on this machine — nothing is downloaded:
#   busybox.tar, alpine.tar  busybox-static's /bin/busybox with its applets (sh, ping, wget,
#                            nc, httpd, sleep, …), /etc/passwd, /etc/group, /tmp: for the
#                            workshop's `alpine` and `busybox`
#   redis.tar                Debian's redis-server with its shared-library closure
#   pause.tar                berth-pause (crates/berth-pause), the pod sandbox image, named
#                            berth.local/pause:3.10 (the node agent's default sandbox_image)
# With REGISTRY=host:port set, each archive is also pushed there (plain HTTP) under the
# name containerd asks a mirror for (library/redis:latest for docker.io's redis, pause:3.10
# for berth.local/pause:3.10).
# Needs: apt-get install busybox-static redis-server
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-images/out}
mkdir -p "$OUT"

for f in /bin/busybox /usr/bin/redis-server; do
  [ -x "$f" ] || { echo "missing $f: apt-get install -y busybox-static redis-server" >&2; exit 1; }
done

if [ -z "${BERTH:-}" ]; then
  cargo build -q -p berth
  BERTH=target/debug/berth
fi
cargo build -q --release -p berth-pause

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# --- busybox / alpine -------------------------------------------------------------------
bb=$stage/busybox
mkdir -p "$bb/etc" "$bb/tmp" "$bb/root" "$bb/var/www" "$bb/home"
chmod 1777 "$bb/tmp"
chmod 0700 "$bb/root"
cat > "$bb/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$bb/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
nogroup:x:65534:
GROUP
# Every applet busybox knows, at the path it expects (bin/sh, usr/bin/wget, sbin/ifconfig …).
/bin/busybox --list-full | while read -r applet; do
  mkdir -p "$bb/$(dirname "$applet")"
  [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$bb/$applet"
done
for name in busybox alpine; do
  "$BERTH" image build -t "$name:latest" \
    --from-binary /bin/busybox:/bin/busybox \
    --add "$bb:/" \
    --cmd '["sh"]' \
    -o "$OUT/$name.tar"
done

# --- redis --------------------------------------------------------------------------------
rd=$stage/redis
mkdir -p "$rd/data" "$rd/tmp"
chmod 1777 "$rd/tmp"
# Like the official image: protected mode off (clients come from other pods), data in /data.
"$BERTH" image build -t redis:latest \
  --from-binary /usr/bin/redis-server \
  --add "$rd:/" \
  --cmd '["redis-server","--protected-mode","no"]' \
  --workdir /data --port 6379 \
  -o "$OUT/redis.tar"

# --- pause --------------------------------------------------------------------------------
strip -o "$stage/pause" target/release/berth-pause
"$BERTH" image build -t berth.local/pause:3.10 \
  --from-binary "$stage/pause:/pause" \
  --entrypoint '["/pause"]' \
  -o "$OUT/pause.tar"

if [ -n "${REGISTRY:-}" ]; then
  for pair in busybox:library/busybox alpine:library/alpine redis:library/redis pause:pause:3.10; do
    file=${pair%%:*}; repo=${pair#*:}
    case $repo in *:*) ;; *) repo=$repo:latest ;; esac
    "$BERTH" image push "$OUT/$file.tar" "$REGISTRY/$repo" --plain-http
  done
fi
ls -l "$OUT"
