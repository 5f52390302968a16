#!/usr/bin/env bash
# Installs helm (v4, for the chart's lint and template checks) from the Go module
# proxy: a scratch module records helm as a tool and builds it into the cache.
# Idempotent: a helm of the pinned version already there is kept. The last line
# printed is the binary's path (.ci/run exports it as HELM_BIN).
#
#   bash scripts/setup-helm.sh            # → ~/.cache/streamtune/helm/helm
#   HELM_VERSION=v4.3.2 bash scripts/setup-helm.sh
set -euo pipefail

version="${HELM_VERSION:-v4.3.2}"
dir="${STREAMTUNE_CACHE:-$HOME/.cache/streamtune}/helm"
bin="$dir/helm"

if [[ -x "$bin" ]] && [[ "$("$bin" version --template '{{.Version}}' 2>/dev/null)" == "$version" ]]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "setup-helm: go is needed (apt-get install golang-go)" >&2; exit 1; }

mod="$dir/mod-$version"
mkdir -p "$mod"
cd "$mod"
[[ -f go.mod ]] || go mod init streamtune-helm-tool >/dev/null 2>&1
# GOTOOLCHAIN=auto lets an older Go fetch the toolchain helm's go.mod asks for.
GOTOOLCHAIN=auto go get -tool "helm.sh/helm/v4/cmd/helm@$version" >&2
# helm's own Makefile stamps the version the same way; without it `helm version` says only v4.N.
GOTOOLCHAIN=auto go build -o "$bin.tmp" -ldflags "-X helm.sh/helm/v4/internal/version.version=$version" helm.sh/helm/v4/cmd/helm >&2
mv "$bin.tmp" "$bin"
echo "helm $("$bin" version --short)" >&2
echo "$bin"
