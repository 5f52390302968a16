import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { asConnection, kafkaSecurity, type KafkaConnection } from './kafka-security.js';

// Known-benign kafkajs notices: the v2 partitioner note, and the idempotent
// producer's note about bounded retries (we prefer failing to retrying forever).
const BENIGN = [/switched default partitioner/, /Limiting retries for the idempotent producer/];

/**
 * Creates a kafkajs client: every Kafka client streamtune opens comes from here.
 * `connection` is the `kafka` config section (brokers, with `ssl` and `sasl` when
 * set: their files are read now, see {@link kafkaSecurity}), or a bare broker list
 * for plaintext. kafkajs logs are routed to our logger at warn level
 * and above: its info chatter (joins, rebalances) is noise in a CLI. `retries`:
 * how often a failed request is retried (with backoff from 200 ms) before it throws;
 * a poller that asks again anyway wants few.
 *
 * @example
 * const kafka = createKafka(config.kafka, `${config.kafka.clientId}-producer`);
 */
export function createKafka(connection: KafkaConnection | string[], clientId = 'streamtune', log: (line: string) => void = (l) => process.stderr.write(`${l}\n`), retries = 8): Kafka {
  const c = asConnection(connection);
  return new Kafka({
    clientId,
    brokers: c.brokers,
    ...kafkaSecurity(c),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        // Connection-level errors are retried by kafkajs and surface as thrown errors if they persist.
        if (level > logLevel.WARN || namespace === 'Connection' || BENIGN.some((re) => re.test(entry.message))) return;
        log(`[kafkajs ${namespace}] ${entry.message}`);
      },
    // Every field explicit: kafkajs fills the rest from defaults it switches on
    // NODE_ENV=test (1 s ceiling, ~6 s in all), so a test run would give up on a
    // failed-over broker long before production (~50 s in all) does.
    retry: { retries, initialRetryTime: 200, maxRetryTime: 30_000, factor: 0.2, multiplier: 2 },
  });
}
