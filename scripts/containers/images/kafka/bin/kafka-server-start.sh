#!/bin/sh
# kafka-server-start.sh server.properties: the broker in the foreground, logging to stdout.
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} \
KAFKA_LOG4J_OPTS=${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/log4j.properties} \
  exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$@"
