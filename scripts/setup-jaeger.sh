#!/usr/bin/env bash
# Build the Jaeger all-in-one binary (v1.75.0) from the Go module proxy, for the
# tracing integration test (tests/integration/tracing.test.ts).
#
# Why a scratch module: `go install pkg@version` refuses modules whose go.mod has
# replace directives (Jaeger's does), so we `go get -tool` it into a throwaway
# module outside the repo and `go build` from there. GOTOOLCHAIN=auto lets an
# older Go fetch the toolchain Jaeger's go.mod asks for.
#
# Idempotent: the binary is cached under ${STREAMTUNE_CACHE:-$HOME/.cache/streamtune}/jaeger;
# a second run only checks its version. Progress goes to stderr; the last stdout
# line is the binary's path.
set -euo pipefail

JAEGER_VERSION=v1.75.0
CACHE_DIR="${STREAMTUNE_CACHE:-$HOME/.cache/streamtune}/jaeger"
BIN="$CACHE_DIR/jaeger-$JAEGER_VERSION"

if [[ -x "$BIN" ]] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "setup-jaeger: go is not installed" >&2; exit 1; }
mkdir -p "$CACHE_DIR"
SCRATCH="$CACHE_DIR/build-module"
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
started=$SECONDS
(
  cd "$SCRATCH"
  go mod init x >/dev/null 2>&1
  echo "setup-jaeger: go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
  GOTOOLCHAIN=auto go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
  echo "setup-jaeger: go build" >&2
  GOTOOLCHAIN=auto go build -o "$BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
)
mv "$BIN.tmp" "$BIN"
rm -rf "$SCRATCH"
echo "setup-jaeger: built in $((SECONDS - started)) s" >&2
"$BIN" version >&2 || true
echo "$BIN"
