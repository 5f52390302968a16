import { Kafka, logLevel, type LogEntry } from 'kafkajs';

/**
 * Creates a kafkajs client. kafkajs logs are routed to our logger at warn level
 * and above: its info chatter (joins, rebalances) is noise in a CLI.
 */
export function createKafka(brokers: string[], clientId = 'streamtune', log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        if (level <= logLevel.WARN) log(`[kafkajs ${namespace}] ${entry.message}`);
      },
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
