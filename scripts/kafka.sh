#!/usr/bin/env bash
# scripts/kafka.sh — run a real Apache Kafka broker (KRaft mode), or a small
# replicated cluster of them on loopback, for streamtune's development and CI.
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
#   - `up` prints `KAFKA_BROKERS=127.0.0.1:<port>[,127.0.0.1:<port>...]` as the
#     LAST line of stdout; everything else (progress, Maven output) goes to stderr.
#   - Several independent brokers or clusters can run at once: give each its own
#     KAFKA_RUN_DIR, KAFKA_PORT and KAFKA_CONTROLLER_PORT.
#   - `up --brokers N` (N > 1) runs N combined broker+controller nodes with an
#     N-voter KRaft quorum; node i (1-based) listens on KAFKA_PORT + 2(i-1) and
#     KAFKA_CONTROLLER_PORT + 2(i-1) and lives in KAFKA_RUN_DIR/node-i, with its
#     pid in KAFKA_RUN_DIR/node-i/kafka.pid.
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
SASL_SSL=0
[[ ${KAFKA_SASL_SSL:-0} == 1 ]] && SASL_SSL=1
SSL_CLIENT_AUTH=${KAFKA_SSL_CLIENT_AUTH:-none}
# The client listener's name is its security protocol.
LISTENER=PLAINTEXT
((SASL_SSL)) && LISTENER=SASL_SSL

# Everything a broker or cluster owns lives in its run dir, so they never share
# state. A single broker's files sit in the run dir itself (as they always have);
# a cluster's nodes each get a node-<i> directory and share the cluster id.
CLUSTER_ID_FILE="$RUN_DIR/cluster.id"
LOCK_FILE="$RUN_DIR/.lock"
# Written by `up --brokers N` for N > 1, so down/status find every node.
BROKERS_FILE="$RUN_DIR/brokers"
MAX_BROKERS=9
# Number of nodes (1 = the single broker); set by resolve_brokers.
BROKERS=1

# The node that the per-node functions below act on; set by select_node.
NODE=1
NODE_DIR=$RUN_DIR
NODE_PORT=$PORT
NODE_CTRL_PORT=$CTRL_PORT
PROPS="$NODE_DIR/server.properties"
PID_FILE="$NODE_DIR/kafka.pid"
LOG_FILE="$NODE_DIR/kafka.log"
DATA_DIR="$NODE_DIR/data"

# Printed by KafkaRaftServer once the broker has caught up with the metadata
# log and been unfenced, i.e. when it can really serve clients.
READY_LINE='Kafka Server started'

usage() {
  cat <<EOF
Usage: bash scripts/kafka.sh <command> [options]

Runs a real Apache Kafka $KAFKA_VERSION broker (KRaft), or a replicated cluster
of them on $HOST, from jars fetched from Maven Central. No Docker needed.

Commands:
  up [--brokers N]
                  Fetch jars if needed, start the broker in the background and
                  wait until it serves clients. Idempotent: nodes already running
                  are reused, stopped or killed ones are started again. The last
                  stdout line is KAFKA_BROKERS=$HOST:<port>[,...].
                  --brokers N (1-$MAX_BROKERS; default: what the run dir holds, else 1)
                  starts N combined broker+controller nodes with an N-voter
                  quorum: node i on ports KAFKA_PORT+2(i-1) (clients) and
                  KAFKA_CONTROLLER_PORT+2(i-1), data in \$KAFKA_RUN_DIR/node-i.
                  Topics default to replication factor min(3, N) and, from
                  3 nodes, min.insync.replicas 2.
  stop-node I [--kill]
                  Stop node I of a cluster only (as \`down --node I\`); the
                  others keep serving. For failover tests.
  start-node I    Start node I of a cluster again (on its data and ports) and
                  wait until it serves clients; other stopped nodes stay down.
  down [--clean] [--node I] [--kill]
                  Stop the broker or every node (SIGTERM, then SIGKILL after
                  \$KAFKA_STOP_TIMEOUT_S s). --clean (or KAFKA_CLEAN=1) also
                  deletes data, config and logs. --node I stops node I only
                  (\`up\` starts it again). --kill sends SIGKILL at once, as a
                  crashed machine would (with --clean: the quickest wipe).
                  Idempotent.
  status          Print running/stopped and the address (one line per node of a
                  cluster). Exit 0 if every node runs, 3 if not.
  fetch           Only download the jars into the cache (for CI install steps).
  cli <tool|class> [args...]
                  Run a Kafka CLI tool on the cached classpath. Tools: topics,
                  console-producer, console-consumer, consumer-groups, or any
                  fully qualified main class.
                  e.g. bash scripts/kafka.sh cli topics --bootstrap-server $HOST:$PORT --list
  help            Show this message.

Environment (defaults in brackets):
  KAFKA_PORT [19092]            client (PLAINTEXT, or SASL_SSL) port on $HOST (node 1's)
  KAFKA_CONTROLLER_PORT [19093] KRaft controller port on $HOST (node 1's)
                                (pick ports below 32768, outside Linux's
                                ephemeral range, so no client socket holds them)
  KAFKA_RUN_DIR [\$STREAMTUNE_CACHE/kafka-run]  data, config, pid file, broker log
  STREAMTUNE_CACHE [\$HOME/.cache/streamtune]   where jars are cached
  KAFKA_VERSION [3.9.2]         Kafka version to fetch (3.9.x; see pom.xml)
  KAFKA_START_TIMEOUT_S [90]    how long 'up' waits for the broker
  KAFKA_STOP_TIMEOUT_S [20]     how long 'down' waits before SIGKILL
  KAFKA_HEAP_OPTS [-Xmx512m -Xms256m], KAFKA_JVM_OPTS [], KAFKA_MVN_ARGS []
                                (per node)
  KAFKA_EXTRA_PROPERTIES        extra server.properties lines, appended verbatim
                                (to every node's), e.g. broker.session.timeout.ms=4000
                                for a faster failover when a node dies

TLS and SASL (a listener like a managed Kafka's; brokers talk to each other on it too):
  KAFKA_SASL_SSL [0]            1: the client port speaks SASL_SSL instead of PLAINTEXT
  KAFKA_SSL_KEYSTORE            the brokers' key and certificate (its names must include
                                $HOST: brokers connect to each other by that address)
  KAFKA_SSL_KEYSTORE_PASSWORD   its password; KAFKA_SSL_KEYSTORE_TYPE [PKCS12]
  KAFKA_SSL_TRUSTSTORE          the CA(s) brokers trust (each other, and client
                                certificates); KAFKA_SSL_TRUSTSTORE_PASSWORD,
                                KAFKA_SSL_TRUSTSTORE_TYPE [PKCS12]
  KAFKA_SSL_CLIENT_AUTH [none]  none, requested or required (mTLS)
  KAFKA_SASL_USERS_FILE         lines NAME:PASSWORD; each user may log in with PLAIN,
                                SCRAM-SHA-256 and SCRAM-SHA-512. SCRAM users are
                                written when the run dir's storage is formatted (its
                                first 'up'); add later ones with
                                'cli kafka.admin.ConfigCommand --alter --add-config'
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

# Points the per-node variables at node $1 (1-based). A single broker keeps its
# files in the run dir itself; node i of a cluster in node-i, on ports shifted
# by 2(i-1) so the default pair 19092/19093 gives 19094/19095, 19096/19097, ...
select_node() {
  NODE=$1
  if ((BROKERS == 1)); then NODE_DIR=$RUN_DIR; else NODE_DIR=$RUN_DIR/node-$NODE; fi
  NODE_PORT=$((PORT + 2 * (NODE - 1)))
  NODE_CTRL_PORT=$((CTRL_PORT + 2 * (NODE - 1)))
  PROPS="$NODE_DIR/server.properties"
  PID_FILE="$NODE_DIR/kafka.pid"
  LOG_FILE="$NODE_DIR/kafka.log"
  DATA_DIR="$NODE_DIR/data"
}

# How many nodes the run dir holds: the size a cluster recorded, 1 for a single
# broker's config, nothing for a fresh run dir.
recorded_brokers() {
  if [[ -s $BROKERS_FILE ]]; then
    cat "$BROKERS_FILE"
  elif [[ -f $RUN_DIR/server.properties ]]; then
    echo 1
  fi
}

# Sets BROKERS from --brokers ($1, may be empty) and what the run dir holds; a
# run dir never switches between a single broker and a cluster, or changes size,
# because the nodes' metadata logs record the quorum they were formatted with.
resolve_brokers() {
  local wanted=$1 recorded
  recorded=$(recorded_brokers)
  if [[ -n $wanted ]]; then
    [[ $wanted =~ ^[0-9]+$ ]] && ((wanted >= 1 && wanted <= MAX_BROKERS)) || die "--brokers must be 1-$MAX_BROKERS, got '$wanted'"
    if [[ -n $recorded && $recorded != "$wanted" ]]; then
      die "$RUN_DIR holds a $recorded-broker setup, not $wanted: run 'down --clean' first or use another KAFKA_RUN_DIR"
    fi
    BROKERS=$wanted
  else
    BROKERS=${recorded:-1}
  fi
  select_node 1
}

# Prints the broker pid if the pid file names a live process that really is
# this node's broker (guards against pid reuse after a reboot or crash).
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

# The client port of this node as configured in its directory (ports may differ
# from the current environment if it was started with other settings).
configured_port() {
  if [[ -f $PROPS ]]; then
    sed -n 's#^advertised\.listeners=[A-Z_]*://[^:]*:\([0-9]*\).*#\1#p' "$PROPS"
  else
    printf '%s\n' "$NODE_PORT"
  fi
}

# KAFKA_BROKERS for every node, from their configs.
broker_list() {
  local i list=""
  for ((i = 1; i <= BROKERS; i++)); do
    select_node "$i"
    list+="${list:+,}$HOST:$(configured_port)"
  done
  printf '%s\n' "$list"
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
  # Every node acts as both broker and KRaft controller. A single node uses
  # replication factor 1; a cluster replicates 3 ways (fewer if it has fewer
  # nodes) and, from 3 nodes, acknowledges acks=all writes once 2 replicas have
  # them, so it keeps accepting writes with one node down. The partition
  # counts of internal topics and the rebalance delay are cut so that consumer
  # groups and transactions are usable within a second of startup in tests.
  local rf=$((BROKERS < 3 ? BROKERS : 3)) isr=1 voters="" i
  ((rf >= 3)) && isr=2
  for ((i = 1; i <= BROKERS; i++)); do
    voters+="${voters:+,}$i@$HOST:$((CTRL_PORT + 2 * (i - 1)))"
  done
  cat >"$PROPS" <<CONF
# Generated by scripts/kafka.sh on each start; edits are overwritten.
# Use KAFKA_EXTRA_PROPERTIES to add settings.
process.roles=broker,controller
node.id=$NODE
controller.quorum.voters=$voters
listeners=$LISTENER://$HOST:$NODE_PORT,CONTROLLER://$HOST:$NODE_CTRL_PORT
advertised.listeners=$LISTENER://$HOST:$NODE_PORT
inter.broker.listener.name=$LISTENER
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,$LISTENER:$LISTENER
log.dirs=$DATA_DIR

num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=true
delete.topic.enable=true

offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0

# Test data is disposable: keep at most a day / 1 GiB per partition.
log.retention.hours=24
log.retention.bytes=1073741824
CONF
  if ((SASL_SSL)); then
    # Passwords are in the file: only its owner may read it.
    chmod 600 "$PROPS"
    write_security_config >>"$PROPS"
  fi
  if [[ -n ${KAFKA_EXTRA_PROPERTIES:-} ]]; then
    printf '\n# From KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS"
  fi
}

# ----------------------------------------------------- TLS and SASL ----

# Checks the KAFKA_SASL_SSL settings before anything is written or started.
check_security_settings() {
  ((SASL_SSL)) || return 0
  local var
  for var in KAFKA_SSL_KEYSTORE KAFKA_SSL_KEYSTORE_PASSWORD KAFKA_SSL_TRUSTSTORE KAFKA_SSL_TRUSTSTORE_PASSWORD KAFKA_SASL_USERS_FILE; do
    [[ -n ${!var:-} ]] || die "KAFKA_SASL_SSL=1 needs $var (see help)"
  done
  for var in KAFKA_SSL_KEYSTORE KAFKA_SSL_TRUSTSTORE KAFKA_SASL_USERS_FILE; do
    [[ -r ${!var} ]] || die "$var: cannot read ${!var}"
  done
  [[ $SSL_CLIENT_AUTH =~ ^(none|requested|required)$ ]] || die "KAFKA_SSL_CLIENT_AUTH must be none, requested or required, got '$SSL_CLIENT_AUTH'"
  # Characters that would end a JAAS string or a StorageTool --add-scram entry.
  local name password n=0 bad='[",=[:space:]]|\[|\]'
  while IFS=: read -r name password || [[ -n $name ]]; do
    [[ -z $name || $name == \#* ]] && continue
    [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "KAFKA_SASL_USERS_FILE: user name '$name' may hold only letters, digits, '.', '_' and '-'"
    [[ -n $password && ! $password =~ $bad ]] || die "KAFKA_SASL_USERS_FILE: the password of '$name' is empty or holds a quote, comma, '=', bracket or space"
    n=$((n + 1))
  done <"$KAFKA_SASL_USERS_FILE"
  ((n > 0)) || die "KAFKA_SASL_USERS_FILE holds no NAME:PASSWORD line"
}

# The users of KAFKA_SASL_USERS_FILE, one "name password" per line.
sasl_users() {
  local name password
  while IFS=: read -r name password || [[ -n $name ]]; do
    [[ -z $name || $name == \#* ]] || printf '%s %s\n' "$name" "$password"
  done <"$KAFKA_SASL_USERS_FILE"
}

# The password brokers log in to each other with (PLAIN user "broker"), made
# once per run dir so every node of a cluster shares it.
broker_password() {
  local file=$RUN_DIR/broker-sasl.password
  if [[ ! -s $file ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$file")
  fi
  cat "$file"
}

# server.properties lines for the SASL_SSL listener.
write_security_config() {
  local own users="" name password
  own=$(broker_password)
  while read -r name password; do
    users+=" user_$name=\"$password\""
  done < <(sasl_users)
  cat <<CONF

# SASL_SSL listener (KAFKA_SASL_SSL=1)
ssl.keystore.location=$KAFKA_SSL_KEYSTORE
ssl.keystore.password=$KAFKA_SSL_KEYSTORE_PASSWORD
ssl.keystore.type=${KAFKA_SSL_KEYSTORE_TYPE:-PKCS12}
ssl.truststore.location=$KAFKA_SSL_TRUSTSTORE
ssl.truststore.password=$KAFKA_SSL_TRUSTSTORE_PASSWORD
ssl.truststore.type=${KAFKA_SSL_TRUSTSTORE_TYPE:-PKCS12}
# SASL_SSL listeners take client authentication only with their prefix (KIP-684).
listener.name.sasl_ssl.ssl.client.auth=$SSL_CLIENT_AUTH
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="$own" user_broker="$own"$users;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
CONF
}

# StorageTool arguments that write the SCRAM users into a new metadata log.
scram_format_args() {
  ((SASL_SSL)) || return 0
  local name password mech
  while read -r name password; do
    for mech in SCRAM-SHA-256 SCRAM-SHA-512; do
      printf '%s\n' --add-scram "$mech=[name=$name,password=$password]"
    done
  done < <(sasl_users)
}

ensure_cluster_id() {
  # The cluster id is kept in the run dir so restarts reuse the same data; all
  # nodes of a cluster are formatted with it.
  if [[ ! -s $CLUSTER_ID_FILE ]]; then
    run_tool kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE.tmp" ||
      die "kafka.tools.StorageTool random-uuid failed"
    mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
  fi
}

needs_format() { [[ ! -f $DATA_DIR/meta.properties ]]; }

format_storage() {
  # Formatting costs a JVM start (~1-2 s); callers skip it when the data dir
  # already is formatted. --ignore-formatted makes it harmless either way.
  log "formatting storage in $DATA_DIR (cluster id $(<"$CLUSTER_ID_FILE"))"
  local scram=()
  mapfile -t scram < <(scram_format_args)
  run_tool kafka.tools.StorageTool format -t "$(<"$CLUSTER_ID_FILE")" -c "$PROPS" --ignore-formatted "${scram[@]}" >&2 ||
    die "formatting storage failed (StorageTool output above; config $PROPS)"
}

start_broker() {
  [[ -f $LOG_FILE ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
  cp "$BROKER_LOG4J" "$NODE_DIR/log4j.properties"
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
    -Dlog4j.configuration="file:$NODE_DIR/log4j.properties" \
    -Dkafka.logs.dir="$NODE_DIR" \
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
  if ((BROKERS == 1)); then log "error: $1"; else log "error: node $NODE: $1"; fi
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
  ((BROKERS == 1)) || log "other nodes may still run: 'bash scripts/kafka.sh down' stops them"
  exit 1
}

# Waits until this node serves clients; $1 is the deadline (in $SECONDS).
wait_ready() {
  local port deadline=$1 pid
  port=$(configured_port)
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
  local wanted="" only="" arg
  while (($# > 0)); do
    arg=$1
    shift
    case $arg in
      --brokers) (($# > 0)) || die "--brokers needs a number"; wanted=$1; shift ;;
      --brokers=*) wanted=${arg#--brokers=} ;;
      --node) (($# > 0)) || die "--node needs a number"; only=$1; shift ;;
      *) die "unknown option for up: $arg" ;;
    esac
  done
  check_port_number KAFKA_PORT "$PORT"
  check_port_number KAFKA_CONTROLLER_PORT "$CTRL_PORT"
  check_security_settings
  # Only a node of an existing cluster can be started on its own.
  [[ -z $only || -n $(recorded_brokers) ]] || die "no cluster in $RUN_DIR: run 'up --brokers N' first"
  fetch
  lock_run_dir
  local fresh_run_dir=0
  [[ -n $(recorded_brokers) ]] || fresh_run_dir=1
  if [[ -n $only ]]; then
    resolve_brokers ""
    [[ $only =~ ^[0-9]+$ ]] && ((only >= 1 && only <= BROKERS && BROKERS > 1)) || die "--node must be 1-$BROKERS of a cluster, got '$only'"
  else
    resolve_brokers "$wanted"
  fi

  # Every node's two ports must differ from every other's.
  local i j p ports=()
  for ((i = 1; i <= BROKERS; i++)); do
    select_node "$i"
    ports+=("$NODE_PORT" "$NODE_CTRL_PORT")
  done
  for ((i = 0; i < ${#ports[@]}; i++)); do
    check_port_number "port of node $((i / 2 + 1))" "${ports[i]}"
    for ((j = i + 1; j < ${#ports[@]}; j++)); do
      [[ ${ports[i]} != "${ports[j]}" ]] ||
        die "port ${ports[i]} would serve two listeners: KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (by more than 2×(brokers-1) for a cluster)"
    done
  done

  local started=$SECONDS down=() running=() nodes=()
  if [[ -n $only ]]; then nodes=("$only"); else for ((i = 1; i <= BROKERS; i++)); do nodes+=("$i"); done; fi
  for i in "${nodes[@]}"; do
    select_node "$i"
    if broker_pid >/dev/null; then running+=("$i"); else down+=("$i"); fi
  done
  ((${#running[@]} == 0)) || log "already running: node(s) ${running[*]} of $BROKERS (run dir $RUN_DIR)"
  if ((BROKERS == 1 && ${#running[@]} == 1)); then
    p=$(configured_port)
    [[ $p == "$PORT" ]] || log "note: broker in $RUN_DIR already runs on port $p (KAFKA_PORT=$PORT ignored)"
  fi

  # Check every port before anything starts, so a taken port leaves nothing behind.
  for i in "${down[@]}"; do
    select_node "$i"
    rm -f "$PID_FILE"
    for p in "$NODE_PORT" "$NODE_CTRL_PORT"; do
      warn_if_ephemeral "$p"
      if port_in_use "$p"; then
        # Leave no empty run dir behind for a broker that never started.
        ((fresh_run_dir)) && { rm -f "$LOCK_FILE"; rmdir "$RUN_DIR" 2>/dev/null || true; }
        die "port $HOST:$p is already in use by another process; pick other KAFKA_PORT / KAFKA_CONTROLLER_PORT"
      fi
    done
  done

  if ((${#down[@]} > 0)); then
    ((BROKERS == 1)) || echo "$BROKERS" >"$BROKERS_FILE"
    ensure_cluster_id
    # Nodes are formatted side by side: each format is a JVM start.
    local formats=()
    for i in "${down[@]}"; do
      select_node "$i"
      mkdir -p "$DATA_DIR"
      write_config
      if needs_format; then
        format_storage &
        formats+=($!)
      fi
    done
    for p in "${formats[@]}"; do wait "$p" || exit 1; done
    # All nodes start before any is awaited: a quorum member is not ready
    # until a majority of the voters runs.
    for i in "${down[@]}"; do
      select_node "$i"
      if ((BROKERS == 1)); then
        log "starting Kafka $KAFKA_VERSION on $HOST:$NODE_PORT (controller :$NODE_CTRL_PORT, run dir $RUN_DIR)"
      else
        log "starting Kafka $KAFKA_VERSION node $NODE of $BROKERS on $HOST:$NODE_PORT (controller :$NODE_CTRL_PORT, dir $NODE_DIR)"
      fi
      start_broker
    done
  fi
  local deadline=$((SECONDS + START_TIMEOUT_S))
  for i in "${nodes[@]}"; do
    select_node "$i"
    wait_ready "$deadline"
  done
  if ((${#down[@]} > 0)); then
    log "ready in $((SECONDS - started)) s (started node(s) ${down[*]} of $BROKERS; logs in $( ((BROKERS == 1)) && echo "$LOG_FILE" || echo "$RUN_DIR/node-*/kafka.log"))"
  fi
  echo "KAFKA_BROKERS=$(broker_list)"
}

# ----------------------------------------------------------------- down ----

# Removes what `up` created for this node (never `rm -rf` a node dir blindly:
# KAFKA_RUN_DIR could point at a directory that holds other files).
clean_node() {
  rm -rf "$DATA_DIR"
  rm -f "$PROPS" "$LOG_FILE" "$LOG_FILE.prev" "$NODE_DIR/log4j.properties" "$PID_FILE"
  [[ $NODE_DIR == "$RUN_DIR" ]] || rmdir "$NODE_DIR" 2>/dev/null || true
}

cmd_down() {
  local clean=${KAFKA_CLEAN:-0} only="" signal=TERM arg
  while (($# > 0)); do
    arg=$1
    shift
    case $arg in
      --clean) clean=1 ;;
      --node) (($# > 0)) || die "--node needs a number"; only=$1; shift ;;
      --node=*) only=${arg#--node=} ;;
      --kill) signal=KILL ;;
      *) die "unknown option for down: $arg" ;;
    esac
  done
  [[ -z $only || $clean != 1 ]] || die "--clean removes the whole cluster; it cannot be combined with --node"
  if [[ ! -d $RUN_DIR ]]; then
    log "not running (no run dir $RUN_DIR)"
    return 0
  fi
  lock_run_dir
  resolve_brokers ""

  local nodes=() i
  if [[ -n $only ]]; then
    [[ $only =~ ^[0-9]+$ ]] && ((only >= 1 && only <= BROKERS)) || die "--node must be 1-$BROKERS, got '$only'"
    nodes=("$only")
  else
    for ((i = 1; i <= BROKERS; i++)); do nodes+=("$i"); done
  fi

  # Signal every node first, then wait: a cluster stopped one node at a time
  # would leave its last nodes waiting for a controller quorum already gone.
  local pids=() pid
  for i in "${nodes[@]}"; do
    select_node "$i"
    if pid=$(broker_pid); then
      log "stopping $( ((BROKERS == 1)) && echo broker || echo "node $i") (pid $pid$([[ $signal == KILL ]] && echo ', SIGKILL'))"
      # SIGTERM lets Kafka flush and close its logs cleanly, which keeps the next
      # start fast (no log recovery); SIGKILL is a crash, on purpose.
      kill -"$signal" "$pid" 2>/dev/null || true
      pids+=("$i")
    fi
  done
  local deadline=$((SECONDS + STOP_TIMEOUT_S)) alive
  while :; do
    alive=()
    for i in "${pids[@]}"; do
      select_node "$i"
      broker_pid >/dev/null && alive+=("$i")
    done
    ((${#alive[@]} > 0)) || break
    if ((SECONDS >= deadline)); then
      log "node(s) ${alive[*]} did not stop within ${STOP_TIMEOUT_S}s; sending SIGKILL"
      for i in "${alive[@]}"; do
        select_node "$i"
        pid=$(broker_pid) && kill -KILL "$pid" 2>/dev/null || true
      done
      deadline=$((SECONDS + 10))
    fi
    sleep 0.2
  done
  if ((${#pids[@]} > 0)); then log "stopped"; else log "not running"; fi
  for i in "${nodes[@]}"; do
    select_node "$i"
    rm -f "$PID_FILE"
  done

  if [[ $clean == 1 ]]; then
    for i in "${nodes[@]}"; do
      select_node "$i"
      clean_node
    done
    rm -f "$CLUSTER_ID_FILE" "$CLUSTER_ID_FILE.tmp" "$BROKERS_FILE" "$LOCK_FILE" "$RUN_DIR/broker-sasl.password"
    rmdir "$RUN_DIR" 2>/dev/null || true
    log "removed broker data in $RUN_DIR"
  fi
}

# --------------------------------------------------------------- status ----

cmd_status() {
  resolve_brokers ""
  local i pid port up=0 label
  for ((i = 1; i <= BROKERS; i++)); do
    select_node "$i"
    port=$(configured_port)
    label=kafka
    ((BROKERS == 1)) || label="kafka node $i ($HOST:$port)"
    if pid=$(broker_pid) && port_open "$port"; then
      echo "$label: running (pid $pid, $( ((BROKERS == 1)) && echo "run dir $RUN_DIR" || echo "dir $NODE_DIR"))"
      up=$((up + 1))
    elif [[ -n ${pid:-} ]]; then
      echo "$label: starting or unresponsive (pid $pid, port $port not accepting, dir $NODE_DIR)"
    else
      echo "$label: stopped ($( ((BROKERS == 1)) && echo "run dir $RUN_DIR" || echo "dir $NODE_DIR"))"
    fi
  done
  ((up == BROKERS)) || return 3
  echo "KAFKA_BROKERS=$(broker_list)"
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
    stop-node) (($# > 0)) || die "stop-node needs a node number"; local n=$1; shift; cmd_down --node "$n" "$@" ;;
    start-node) (($# == 1)) || die "start-node needs one node number"; cmd_up --node "$1" ;;
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
