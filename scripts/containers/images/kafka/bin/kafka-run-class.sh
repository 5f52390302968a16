#!/bin/sh
# Runs a Kafka main class on the image's classpath (as the distribution's script does).
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} -Djava.awt.headless=true \
  ${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties} \
  ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$@"
