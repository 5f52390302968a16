#!/usr/bin/env bash
# scripts/containers/testcontainers-test.sh (npm run -s test:testcontainers) — run
# tests/integration/testcontainers-kafka.test.ts. With a Docker engine (DOCKER_HOST
# or /var/run/docker.sock answering) it just runs; otherwise it starts podman's
# Docker-compatible API on a socket of its own for the run and stops it after.
# The Kafka image must be there (machines without a registry: build-bases.sh).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export STREAMTUNE_TESTCONTAINERS=1
# Ryuk (the reaper container) is not needed: the test stops its container itself.
export TESTCONTAINERS_RYUK_DISABLED=${TESTCONTAINERS_RYUK_DISABLED:-true}

service_pid=""
sock_dir=""
export STREAMTUNE_TEST_RUN="testcontainers-$$"
stop_service() {
  # Containers a killed test run left behind (the test stops its own otherwise).
  if command -v podman >/dev/null; then
    podman ps -aq --filter "label=org.streamtune.test-run=$STREAMTUNE_TEST_RUN" | xargs -r podman rm -f >/dev/null 2>&1 || true
  fi
  if [[ -n $service_pid ]]; then kill "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi
  [[ -n $sock_dir ]] && rm -rf "$sock_dir"
  return 0
}
trap stop_service EXIT

if [[ -z ${DOCKER_HOST:-} && ! -S /var/run/docker.sock ]]; then
  command -v podman >/dev/null || { echo "testcontainers-test: no Docker engine and no podman" >&2; exit 1; }
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}
  sock_dir=$(mktemp -d -t streamtune-podman.XXXXXX)
  podman system service --time=0 "unix://$sock_dir/podman.sock" &
  service_pid=$!
  for _ in $(seq 1 100); do [[ -S $sock_dir/podman.sock ]] && break; sleep 0.1; done
  [[ -S $sock_dir/podman.sock ]] || { echo "testcontainers-test: podman system service made no socket" >&2; exit 1; }
  export DOCKER_HOST="unix://$sock_dir/podman.sock"
  echo "testcontainers-test: podman's Docker API at $DOCKER_HOST (pid $service_pid)" >&2
fi
cd "$ROOT"
# The JSON report proves the test ran and passed: a process that ends early can exit 0 too.
report=$(mktemp -t streamtune-testcontainers.XXXXXX.json)
trap 'rm -f "$report"; stop_service' EXIT
npx vitest run tests/integration/testcontainers-kafka.test.ts --reporter=default --reporter=json --outputFile.json="$report" "$@"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!(r.success && r.numPassedTests > 0 && r.numFailedTests === 0)) {
    console.error(`testcontainers-test: ${r.numPassedTests} passed, ${r.numFailedTests} failed: not a pass`);
    process.exit(1);
  }' "$report"
