#!/usr/bin/env bash
# scripts/kafka.sh — run a real single-node Apache Kafka broker (KRaft mode)
# for streamtune's development and CI.
#
# Why this script exists: the machines this project runs on have no Docker and
# no internet apart from package registries, so we cannot pull a Kafka image or
# the Kafka tarball. Maven Central does serve Kafka's jars, so we resolve the
# broker's runtime classpath with Maven (scripts/kafka/pom.xml), cache it, and
# launch `kafka.Kafka` straight from that classpath with a generated config.
#
# Usage: see usage() below or run `bash scripts/kafka.sh help`.
#
# Contract used by package.json, .ci/run and tests:
#   - `up` prints `KAFKA_BROKERS=127.0.0.1:<port>` as the LAST line of stdout;
#     everything else (progress, Maven output) goes to stderr.
#   - Several independent brokers can run at once: give each its own
#     KAFKA_RUN_DIR, KAFKA_PORT and KAFKA_CONTROLLER_PORT.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$SCRIPT_DIR/kafka/pom.xml"
BROKER_LOG4J="$SCRIPT_DIR/kafka/log4j.properties"
TOOLS_LOG4J="$SCRIPT_DIR/kafka/tools-log4j.properties"

# 3.9.x: newest line that still logs via slf4j 1.7/reload4j (see pom.xml).
KAFKA_VERSION=${KAFKA_VERSION:-3.9.2}
CACHE_DIR=${STREAMTUNE_CACHE:-${HOME:?set HOME or STREAMTUNE_CACHE}/.cache/streamtune}
DIST_DIR="$CACHE_DIR/kafka-$KAFKA_VERSION"
LIBS_DIR="$DIST_DIR/libs"
# Written last by fetch; its content ties the jars to the version and the POM
# so editing the POM triggers a re-fetch while an unchanged one never calls mvn.
LIBS_MARKER="$LIBS_DIR/.complete"

HOST=127.0.0.1
PORT=${KAFKA_PORT:-19092}
CTRL_PORT=${KAFKA_CONTROLLER_PORT:-19093}
RUN_DIR=${KAFKA_RUN_DIR:-$CACHE_DIR/kafka-run}
START_TIMEOUT_S=${KAFKA_START_TIMEOUT_S:-90}
STOP_TIMEOUT_S=${KAFKA_STOP_TIMEOUT_S:-20}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}

# Everything one broker owns lives in its run dir, so brokers never share state.
PROPS="$RUN_DIR/server.properties"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/kafka.log"
CLUSTER_ID_FILE="$RUN_DIR/cluster.id"
DATA_DIR="$RUN_DIR/data"
LOCK_FILE="$RUN_DIR/.lock"

# Printed by KafkaRaftServer once the broker has caught up with the metadata
# log and been unfenced, i.e. when it can really serve clients.
READY_LINE='Kafka Server started'

usage() {
  cat <<EOF
Usage: bash scripts/kafka.sh <command> [options]

Runs a real single-node Apache Kafka $KAFKA_VERSION broker (KRaft) from jars
fetched from Maven Central. No Docker needed.

Commands:
  up              Fetch jars if needed, start the broker in the background and
                  wait until it serves clients. Idempotent. The last stdout line
                  is KAFKA_BROKERS=$HOST:<port>.
  down [--clean]  Stop the broker (SIGTERM, then SIGKILL after
                  \$KAFKA_STOP_TIMEOUT_S s). --clean (or KAFKA_CLEAN=1) also
                  deletes its data, config and logs. Idempotent.
  status          Print running/stopped and the address. Exit 0 if running, 3 if not.
  fetch           Only download the jars into the cache (for CI install steps).
  cli <tool|class> [args...]
                  Run a Kafka CLI tool on the cached classpath. Tools: topics,
                  console-producer, console-consumer, consumer-groups, or any
                  fully qualified main class.
                  e.g. bash scripts/kafka.sh cli topics --bootstrap-server $HOST:$PORT --list
  help            Show this message.

Environment (defaults in brackets):
  KAFKA_PORT [19092]            client (PLAINTEXT) port on $HOST
  KAFKA_CONTROLLER_PORT [19093] KRaft controller port on $HOST
                                (pick ports below 32768, outside Linux's
                                ephemeral range, so no client socket holds them)
  KAFKA_RUN_DIR [\$STREAMTUNE_CACHE/kafka-run]  data, config, pid file, broker log
  STREAMTUNE_CACHE [\$HOME/.cache/streamtune]   where jars are cached
  KAFKA_VERSION [3.9.2]         Kafka version to fetch (3.9.x; see pom.xml)
  KAFKA_START_TIMEOUT_S [90]    how long 'up' waits for the broker
  KAFKA_STOP_TIMEOUT_S [20]     how long 'down' waits before SIGKILL
  KAFKA_HEAP_OPTS [-Xmx512m -Xms256m], KAFKA_JVM_OPTS [], KAFKA_MVN_ARGS []
  KAFKA_EXTRA_PROPERTIES        extra server.properties lines, appended verbatim
EOF
}

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

java_bin() {
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found (need Java 11+; set JAVA_HOME or put java on PATH)"
  fi
}

check_port_number() {
  if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
    die "$1 must be a TCP port number, got '$2'"
  fi
}

# True if something accepts TCP connections on HOST:$1. Uses bash's /dev/tcp so
# no nc/ss is needed; `timeout` guards against a connect that never returns.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# True if the port is clearly taken. A connect probe only sees listeners, but
# an ordinary client socket that the kernel gave this port as its ephemeral
# local port blocks the bind just as well (Kafka then dies with "Socket server
# failed to bind ... Address already in use"), so ask `ss` about any socket on
# the port when it is available. TIME-WAIT sockets are not counted: the ones a
# stopped broker leaves on its own port do not block a restart, and refusing
# them would make `down && up` fail for a minute. (A client-side TIME-WAIT on
# the port does block Kafka; fail_start points at that case.)
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Htan "( sport = :$1 )" 2>/dev/null | awk '$1 != "TIME-WAIT"') ]]
  else
    port_open "$1"
  fi
}

# Ports inside the kernel's ephemeral range can be taken at any moment by an
# outgoing connection; say so, since it explains otherwise random bind errors.
warn_if_ephemeral() {
  local lo hi
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || return 0
  if (($1 >= lo && $1 <= hi)); then
    log "warning: port $1 is inside the ephemeral port range $lo-$hi; prefer ports below $lo"
  fi
}

# ---------------------------------------------------------------- fetch ----

libs_wanted_marker() {
  printf '%s %s\n' "$KAFKA_VERSION" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

libs_ready() {
  [[ -f $LIBS_MARKER && "$(cat "$LIBS_MARKER")" == "$(libs_wanted_marker)" ]]
}

fetch() {
  libs_ready && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found; Maven is needed once to fetch Kafka's jars"
  mkdir -p "$DIST_DIR"
  # Parallel test workers may all call `up` at once: only one of them downloads.
  exec 8>"$DIST_DIR/.fetch.lock"
  flock 8
  if libs_ready; then exec 8>&-; return 0; fi

  log "fetching Apache Kafka $KAFKA_VERSION jars with Maven into $LIBS_DIR ..."
  local tmp started
  tmp=$(mktemp -d "$DIST_DIR/libs.tmp.XXXXXX")
  started=$SECONDS
  # -B: batch mode (never prompts, no progress bars); stdout goes to stderr to
  # keep our own stdout clean. Copy into a temp dir first so an interrupted
  # download never looks complete.
  # shellcheck disable=SC2086 # KAFKA_MVN_ARGS is a list of words on purpose
  if ! mvn -B -q -f "$POM" ${KAFKA_MVN_ARGS:-} \
      -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies \
      -DincludeScope=runtime \
      -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (is Maven Central reachable?)"
  fi
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"; }
  libs_wanted_marker >"$tmp/.complete"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  exec 8>&-
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - started)) s"
}

# Runs a Kafka main class on the cached classpath in the foreground (quiet logs).
run_tool() {
  local main=$1
  shift
  "$(java_bin)" -Xmx256m -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TOOLS_LOG4J" \
    -cp "$LIBS_DIR/*" "$main" "$@"
}

# -------------------------------------------------------- process state ----

# Prints the broker pid if the pid file names a live process that really is
# this run dir's broker (guards against pid reuse after a reboot or crash).
broker_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # A zombie (parent did not reap it) still answers kill -0; it is gone for us.
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS" || return 1
  printf '%s\n' "$pid"
}

# The address of the broker as configured in its run dir (ports may differ from
# the current environment if it was started with other settings).
configured_port() {
  if [[ -f $PROPS ]]; then
    sed -n 's#^advertised\.listeners=PLAINTEXT://[^:]*:\([0-9]*\).*#\1#p' "$PROPS"
  else
    printf '%s\n' "$PORT"
  fi
}

lock_run_dir() {
  mkdir -p "$RUN_DIR"
  # Serialises up/down on one run dir. fd 9 is closed for the broker (see
  # start_broker) so the lock is released when this script exits.
  exec 9>"$LOCK_FILE"
  flock 9
}

# ------------------------------------------------------------------- up ----

write_config() {
  # Single node acting as both broker and KRaft controller. Replication
  # factors are 1 because there is only one broker; the partition counts of
  # internal topics and the rebalance delay are cut so that consumer groups
  # and transactions are usable within a second of startup in tests.
  cat >"$PROPS" <<EOF
# Generated by scripts/kafka.sh on each start; edits are overwritten.
# Use KAFKA_EXTRA_PROPERTIES to add settings.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CTRL_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CTRL_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true

offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0

# Test data is disposable: keep at most a day / 1 GiB per partition.
log.retention.hours=24
log.retention.bytes=1073741824
EOF
  if [[ -n ${KAFKA_EXTRA_PROPERTIES:-} ]]; then
    printf '\n# From KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS"
  fi
}

format_storage() {
  # The cluster id is kept in the run dir so restarts reuse the same data.
  if [[ ! -s $CLUSTER_ID_FILE ]]; then
    run_tool kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE.tmp" ||
      die "kafka.tools.StorageTool random-uuid failed"
    mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
  fi
  # Formatting costs a JVM start (~1-2 s); skip it when the data dir already
  # is formatted. --ignore-formatted makes it harmless either way.
  if [[ ! -f $DATA_DIR/meta.properties ]]; then
    log "formatting storage in $DATA_DIR (cluster id $(<"$CLUSTER_ID_FILE"))"
    run_tool kafka.tools.StorageTool format -t "$(<"$CLUSTER_ID_FILE")" -c "$PROPS" --ignore-formatted >&2 ||
      die "formatting storage failed (StorageTool output above; config $PROPS)"
  fi
}

start_broker() {
  [[ -f $LOG_FILE ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
  cp "$BROKER_LOG4J" "$RUN_DIR/log4j.properties"
  local java
  java=$(java_bin)
  # setsid + nohup: the broker gets its own session, so it outlives this script
  # and is not killed by the Ctrl-C / SIGHUP that ends the caller's job. The
  # inner shell writes its own pid and then execs java, so the pid file holds
  # the JVM's pid whether or not setsid had to fork. fd 9 (our lock) is closed.
  # shellcheck disable=SC2086,SC2016 # word lists; $$ is the inner shell's
  setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$java" $HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$RUN_DIR/log4j.properties" \
    -Dkafka.logs.dir="$RUN_DIR" \
    ${KAFKA_JVM_OPTS:-} \
    -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS" \
    </dev/null >"$LOG_FILE" 2>&1 9>&- &
  # Wait (briefly) until the pid file names the running JVM: the child writes
  # it right before exec, so for a moment the pid's command line is still bash.
  local _
  for _ in $(seq 100); do
    broker_pid >/dev/null && return 0
    [[ -s $PID_FILE ]] && ! kill -0 "$(<"$PID_FILE")" 2>/dev/null && break
    sleep 0.1
  done
  broker_pid >/dev/null || fail_start "broker process did not start"
}

fail_start() {
  log "error: $1"
  if [[ -f $LOG_FILE ]]; then
    # The cause is usually an early ERROR followed by many shutdown lines, so
    # show the first errors separately from the tail.
    if grep -qE '^\[[^]]*\] (ERROR|FATAL) ' "$LOG_FILE"; then
      log "first errors in $LOG_FILE:"
      grep -m 5 -A 3 -E '^\[[^]]*\] (ERROR|FATAL) ' "$LOG_FILE" >&2 || true
    fi
    log "last 40 lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2
    if grep -q 'Address already in use' "$LOG_FILE"; then
      log "hint: a port is taken, possibly by a short-lived client socket (see 'ss -tan'); use ports below the ephemeral range (32768) or retry"
    fi
  fi
  exit 1
}

wait_ready() {
  local port=$1 deadline=$((SECONDS + START_TIMEOUT_S)) pid
  while :; do
    if ! pid=$(broker_pid); then
      rm -f "$PID_FILE"
      fail_start "broker exited during startup"
    fi
    # Check the log first: every connect probe leaves a TIME-WAIT socket on a
    # random ephemeral port, which could block another broker's bind.
    if grep -qF "$READY_LINE" "$LOG_FILE" 2>/dev/null && port_open "$port"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      # Do not leave a half-started broker holding the ports.
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      fail_start "broker not ready on $HOST:$port after ${START_TIMEOUT_S}s (KAFKA_START_TIMEOUT_S); it was killed"
    fi
    sleep 0.2
  done
}

cmd_up() {
  check_port_number KAFKA_PORT "$PORT"
  check_port_number KAFKA_CONTROLLER_PORT "$CTRL_PORT"
  [[ $PORT != "$CTRL_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
  fetch
  lock_run_dir

  local started=$SECONDS port
  if broker_pid >/dev/null; then
    # Already running (or still starting after an interrupted `up`): reuse it.
    port=$(configured_port)
    [[ $port == "$PORT" ]] || log "note: broker in $RUN_DIR already runs on port $port (KAFKA_PORT=$PORT ignored)"
    wait_ready "$port"
    log "already running (pid $(<"$PID_FILE"))"
  else
    rm -f "$PID_FILE"
    local p
    for p in "$PORT" "$CTRL_PORT"; do
      warn_if_ephemeral "$p"
      if port_in_use "$p"; then
        # Leave no empty run dir behind for a broker that never started.
        [[ -e $PROPS ]] || { rm -f "$LOCK_FILE"; rmdir "$RUN_DIR" 2>/dev/null || true; }
        die "port $HOST:$p is already in use by another process; pick other KAFKA_PORT / KAFKA_CONTROLLER_PORT"
      fi
    done
    mkdir -p "$DATA_DIR"
    write_config
    format_storage
    log "starting Kafka $KAFKA_VERSION on $HOST:$PORT (controller :$CTRL_PORT, run dir $RUN_DIR)"
    start_broker
    port=$PORT
    wait_ready "$port"
    log "ready in $((SECONDS - started)) s (pid $(<"$PID_FILE"), log $LOG_FILE)"
  fi
  echo "KAFKA_BROKERS=$HOST:$port"
}

# ----------------------------------------------------------------- down ----

cmd_down() {
  local clean=${KAFKA_CLEAN:-0} arg
  for arg in "$@"; do
    case $arg in
      --clean) clean=1 ;;
      *) die "unknown option for down: $arg" ;;
    esac
  done
  if [[ ! -d $RUN_DIR ]]; then
    log "not running (no run dir $RUN_DIR)"
    return 0
  fi
  lock_run_dir

  local pid
  if pid=$(broker_pid); then
    log "stopping broker (pid $pid)"
    # SIGTERM lets Kafka flush and close its logs cleanly, which keeps the next
    # start fast (no log recovery).
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT_S))
    while broker_pid >/dev/null && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if broker_pid >/dev/null; then
      log "broker did not stop within ${STOP_TIMEOUT_S}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while broker_pid >/dev/null; do sleep 0.1; done
    fi
    log "stopped"
  else
    log "not running"
  fi
  rm -f "$PID_FILE"

  if [[ $clean == 1 ]]; then
    # Delete only what this script creates, never `rm -rf $RUN_DIR` blindly:
    # KAFKA_RUN_DIR could point at a directory that holds other files.
    rm -rf "$DATA_DIR"
    rm -f "$PROPS" "$CLUSTER_ID_FILE" "$CLUSTER_ID_FILE.tmp" "$LOG_FILE" "$LOG_FILE.prev" \
      "$RUN_DIR/log4j.properties" "$LOCK_FILE"
    rmdir "$RUN_DIR" 2>/dev/null || true
    log "removed broker data in $RUN_DIR"
  fi
}

# --------------------------------------------------------------- status ----

cmd_status() {
  local pid port
  port=$(configured_port)
  if pid=$(broker_pid) && port_open "$port"; then
    echo "kafka: running (pid $pid, run dir $RUN_DIR)"
    echo "KAFKA_BROKERS=$HOST:$port"
    return 0
  elif [[ -n ${pid:-} ]]; then
    echo "kafka: starting or unresponsive (pid $pid, port $port not accepting, run dir $RUN_DIR)"
  else
    echo "kafka: stopped (run dir $RUN_DIR)"
  fi
  return 3
}

# ------------------------------------------------------------------ cli ----

cmd_cli() {
  (($# >= 1)) || die "cli needs a tool name or main class (see help)"
  local tool=$1
  shift
  case $tool in
    topics) tool=org.apache.kafka.tools.TopicCommand ;;
    console-producer) tool=kafka.tools.ConsoleProducer ;;
    console-consumer) tool=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    consumer-groups) tool=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  esac
  fetch
  run_tool "$tool" "$@"
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    fetch) fetch ;;
    cli) cmd_cli "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
