#!/usr/bin/env bash
# scripts/containers/compose-smoke.sh (npm run -s compose:smoke) — bring
# docker-compose.yml up with the engine at hand, check it end to end as a user
# would, tear it down, and print one JSON line:
#   {"engine", "services_up", "predict_ok", "swaps", "prometheus_target_up", "backend", "seconds"}
# Checks: every service up (Kafka and streamtune healthy, the training job exited 0,
# the feedback joiner running, the demo producer streaming or exited 0, Prometheus running); Predict from the host with grpcurl
# through the published port; at least one hot-swap learned from the demo stream
# (streamtune_model_swaps_total{result="ok"} counts more than the load at start);
# Prometheus in the stack reports the streamtune and streamtune-join targets up. Exit 0 when all hold.
#
# Engines: `docker compose` when a Docker engine answers, else podman-compose
# (PODMAN_COMPOSE, PATH, or the venv .ci/run makes under the cache) with podman.
# podman before 4.6 cannot wait for `service_healthy` and, without systemd, runs no
# health checks by itself: here the script runs them (podman healthcheck run) and
# starts the services in the order the depends_on conditions give.
#
# Env: STREAMTUNE_GRPC_HOST_PORT (35051), STREAMTUNE_HTTP_HOST_PORT (38000),
# STREAMTUNE_METRICS_HOST_PORT (39464), PROMETHEUS_HOST_PORT (39090) — the published
# ports; COMPOSE_SMOKE_PROJECT (streamtune-smoke); COMPOSE_SMOKE_TIMEOUT_S (900);
# GRPCURL_BIN ($(go env GOPATH)/bin/grpcurl); COMPOSE_SMOKE_KEEP=1 leaves the stack up.
# `compose-smoke.sh down` only tears the project down (CI's exit trap calls it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${STREAMTUNE_CACHE:-$HOME/.cache/streamtune}
PROJECT=${COMPOSE_SMOKE_PROJECT:-streamtune-smoke}
export STREAMTUNE_GRPC_HOST_PORT=${STREAMTUNE_GRPC_HOST_PORT:-35051}
export STREAMTUNE_HTTP_HOST_PORT=${STREAMTUNE_HTTP_HOST_PORT:-38000}
export STREAMTUNE_METRICS_HOST_PORT=${STREAMTUNE_METRICS_HOST_PORT:-39464}
export PROMETHEUS_HOST_PORT=${PROMETHEUS_HOST_PORT:-39090}
TIMEOUT_S=${COMPOSE_SMOKE_TIMEOUT_S:-900}
started=$SECONDS
deadline=$((SECONDS + TIMEOUT_S))
LOG=$(mktemp -t streamtune-compose-smoke.XXXXXX.log)

log() { printf '[compose-smoke %3ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() { log "error: $*"; exit 1; }
late() { ((SECONDS < deadline)) || die "$1: not within COMPOSE_SMOKE_TIMEOUT_S=$TIMEOUT_S s"; }

# ---- engine
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  ENGINE="docker compose"
  CLI=docker
  COMPOSE=(docker compose -p "$PROJECT" -f "$ROOT/docker-compose.yml")
  SERVICE_LABEL=com.docker.compose.service
elif command -v podman >/dev/null; then
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}
  PC=${PODMAN_COMPOSE:-$(command -v podman-compose || echo "$CACHE/containers/podman-compose-venv/bin/podman-compose")}
  [[ -x $PC ]] || die "podman-compose not found: pip install podman-compose (or set PODMAN_COMPOSE)"
  ENGINE="podman-compose $("$PC" --version 2>/dev/null | sed -n 's/^podman-compose version //p')"
  CLI=podman
  COMPOSE=("$PC" -p "$PROJECT" -f "$ROOT/docker-compose.yml")
  SERVICE_LABEL=com.docker.compose.service
else
  die "no container engine: install Docker (with compose) or podman and podman-compose"
fi

compose() { "${COMPOSE[@]}" "$@" >>"$LOG" 2>&1; }
container() { $CLI ps -a --filter "label=com.docker.compose.project=$PROJECT" --filter "label=$SERVICE_LABEL=$1" --format '{{.ID}}' | head -n 1; }
state() {
  local id
  id=$(container "$1")
  [[ -n $id ]] || { echo missing; return; }
  $CLI inspect --format '{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null || echo missing
}

ticker_pid=""
cleanup() {
  local rc=$?
  [[ -n $ticker_pid ]] && kill "$ticker_pid" 2>/dev/null && wait "$ticker_pid" 2>/dev/null
  if ((rc != 0)); then
    log "failed; the last lines of each service's log:"
    for s in kafka train streamtune join producer prometheus; do
      id=$(container "$s" 2>/dev/null || true)
      [[ -n $id ]] && { printf -- '--- %s\n' "$s" >&2; $CLI logs --tail 15 "$id" 2>&1 | cut -c1-400 >&2 || true; }
    done
  fi
  if [[ ${COMPOSE_SMOKE_KEEP:-0} != 1 ]]; then
    log "tearing down"
    "${COMPOSE[@]}" down -v >>"$LOG" 2>&1 || log "down failed (see $LOG)"
  fi
  exit "$rc"
}
if [[ ${1:-} == down ]]; then # tear the project down (for a caller's exit trap), nothing else
  "${COMPOSE[@]}" down -v >>"$LOG" 2>&1 || true
  exit 0
fi
GRPCURL=${GRPCURL_BIN:-$(go env GOPATH 2>/dev/null)/bin/grpcurl}
[[ -x $GRPCURL ]] || die "grpcurl not found at $GRPCURL: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest, or set GRPCURL_BIN"
log "engine: $ENGINE; project $PROJECT; ports gRPC $STREAMTUNE_GRPC_HOST_PORT, metrics $STREAMTUNE_METRICS_HOST_PORT, Prometheus $PROMETHEUS_HOST_PORT; log $LOG"
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs every health check of the project's containers that is not yet healthy,
# every 3 s: what podman's systemd timers do where there is systemd.
health_ticker() {
  while sleep 3; do
    for id in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.ID}}'); do
      [[ $(podman inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null) =~ ^(starting|unhealthy)$ ]] &&
        podman healthcheck run "$id" >/dev/null 2>&1 || true
    done
  done
}

wait_state() { # SERVICE REGEX WHAT
  local s
  log "waiting for $1 to be $3"
  while :; do
    s=$(state "$1")
    [[ $s =~ $2 ]] && return 0
    [[ $s =~ ^exited\ [1-9] ]] && die "$1 exited with code ${s#exited }"
    late "$1 $3 (now: $s)"
    sleep 2
  done
}

metric() { # the value of streamtune_model_swaps_total{result="ok"}, summed over models
  curl -fsS "http://127.0.0.1:$STREAMTUNE_METRICS_HOST_PORT/metrics" 2>/dev/null |
    awk '/^streamtune_model_swaps_total\{/ && /result="ok"/ { s += $NF } END { print s + 0 }'
}

# ---- up
compose down -v || true
log "building the streamtune image (the first build runs npm ci: minutes)"
compose build streamtune || die "build failed (see $LOG)"
# Earlier builds of the image, untagged by this one (the layers it reuses stay).
$CLI image prune -f --filter label=org.opencontainers.image.title=streamtune >>"$LOG" 2>&1 || true
if [[ $CLI == docker ]]; then
  log "docker compose up -d (depends_on orders the start)"
  compose up -d || die "up failed (see $LOG)"
else
  health_ticker &
  ticker_pid=$!
  compose up -d --no-deps kafka || die "up kafka failed (see $LOG)"
  wait_state kafka '^running 0 healthy$' healthy
  compose up -d --no-deps train || die "up train failed (see $LOG)"
  wait_state train '^exited 0' 'done (exit 0)'
  compose up -d --no-deps streamtune join prometheus || die "up streamtune failed (see $LOG)"
  wait_state streamtune '^running 0 healthy$' healthy
  compose up -d --no-deps producer || die "up producer failed (see $LOG)"
fi
wait_state streamtune '^running 0 healthy$' healthy
# The server counts the version it loads at start as one swap; the rest come from learning.
swaps_at_start=1
log "streamtune serving (swaps so far: $(metric))"

# ---- Predict through the published port
features=$(head -n 1 "$ROOT/data/digits/holdout.jsonl" | sed -E 's/.*"features":(\[[^]]*\]).*/\1/')
predict_ok=false
if out=$("$GRPCURL" -plaintext -max-time 20 -d "{\"instances\":[{\"features\":{\"values\":$features}}]}" \
  "127.0.0.1:$STREAMTUNE_GRPC_HOST_PORT" streamtune.v1.Predictor/Predict 2>&1) && [[ $out == *'"predictions"'* && $out == *'"label"'* ]]; then
  predict_ok=true
  log "Predict answered: $(tr -d ' \n' <<<"$out" | cut -c1-160)"
else
  log "Predict failed: $out"
fi

# ---- a hot-swap learned from the demo stream
log "waiting for a hot-swap from the demo stream"
while (($(metric) <= swaps_at_start)); do
  [[ $(state producer) =~ ^exited\ [1-9] ]] && die "the producer failed: $(state producer)"
  late "a hot-swap"
  sleep 3
done
swaps=$(($(metric) - swaps_at_start))
log "swaps since start: $swaps"

# ---- Prometheus scrapes the server
prometheus_target_up=false
log "waiting for Prometheus to report the streamtune and streamtune-join targets up"
while :; do
  if curl -fsS "http://127.0.0.1:$PROMETHEUS_HOST_PORT/api/v1/targets?state=active" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const t=JSON.parse(s).data.activeTargets;process.exit(["streamtune","streamtune-join"].every((j)=>t.some((x)=>x.labels.job===j&&x.health==="up"))?0:1)})'; then
    prometheus_target_up=true
    break
  fi
  late "the Prometheus target"
  sleep 3
done

# ---- every service up (the training job done with exit 0; the producer still
# streaming or done with exit 0: waiting out its minute proves nothing more)
up=()
for s in kafka train streamtune join producer prometheus; do
  st=$(state "$s")
  case $s:$st in
    kafka:"running 0 healthy" | streamtune:"running 0 healthy" | join:running* | prometheus:running* | train:"exited 0"* | producer:running* | producer:"exited 0"*) up+=("\"$s\"") ;;
    *) log "$s is not up: $st" ;;
  esac
done
backend=$($CLI logs "$(container streamtune)" 2>&1 | sed -nE 's/.*serving backend: ([a-z]+).*/\1/p' | head -n 1)
log "streamtune's backend: ${backend:-unknown}"

ok=false
[[ ${#up[@]} == 6 && $predict_ok == true && $swaps -ge 1 && $prometheus_target_up == true ]] && ok=true
# Tear down before the figures, so `seconds` is the whole run.
trap - EXIT
[[ -n $ticker_pid ]] && { kill "$ticker_pid" 2>/dev/null; wait "$ticker_pid" 2>/dev/null || true; ticker_pid=""; }
if [[ ${COMPOSE_SMOKE_KEEP:-0} != 1 ]]; then
  log "tearing down"
  "${COMPOSE[@]}" down -v >>"$LOG" 2>&1 || log "down failed (see $LOG)"
fi
services_up=$(IFS=,; echo "${up[*]}")
printf '{"engine":"%s","services_up":[%s],"predict_ok":%s,"swaps":%d,"prometheus_target_up":%s,"backend":"%s","seconds":%d}\n' \
  "$ENGINE" "$services_up" "$predict_ok" "$swaps" "$prometheus_target_up" "${backend:-unknown}" "$((SECONDS - started))"
$ok && rm -f "$LOG"
