/**
 * The chaos benchmark's producer: the stream's events to the labels topic, valid
 * ones in batches of up to 100, each bad one alone (two oversize events would not
 * fit one request), acks=all, retrying every second while the brokers refuse. It
 * spreads 85% of the events over the faults still to come, so learning runs
 * through every one of them.
 */
import type { Kafka } from 'kafkajs';
import { sleep } from '../bench-run.js';
import type { ChaosData } from './common.js';

export interface Producing {
  /** Events acknowledged so far (each is at the offset of its index: one partition, an idempotent producer). */
  readonly produced: number;
  /** Resolves once every event is acknowledged. */
  done: Promise<void>;
}

export function produceChaos(o: {
  kafka: Kafka;
  topic: string;
  stream: ChaosData['stream'];
  total: number;
  /** Faults not yet done (read before each pause). */
  faultsLeft: () => number;
  /** About how long one fault takes, to pace the events by. */
  secondsPerFault: number;
  log: (line: string) => void;
}): Producing {
  const state = { produced: 0, done: Promise.resolve() };
  state.done = (async () => {
    const producer = o.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    while (state.produced < o.total) {
      const at = state.produced;
      const batch = [o.stream.at(at)];
      while (!batch[0]!.reason && batch.length < 100 && at + batch.length < o.total && !o.stream.at(at + batch.length).reason) batch.push(o.stream.at(at + batch.length));
      for (let attempt = 0; ; attempt++) {
        try {
          await producer.send({ topic: o.topic, acks: -1, messages: batch.map((e) => ({ key: e.key, value: e.value })) });
          break;
        } catch (err) {
          if (attempt === 0) o.log(`producer: ${(err as Error).message}; retrying every second`);
          await sleep(1000);
        }
      }
      state.produced += batch.length;
      const faults = o.faultsLeft();
      if (faults > 0) await sleep((batch.length / Math.max(5, (o.total * 0.85 - state.produced) / (faults * o.secondsPerFault))) * 1000);
    }
    await producer.disconnect();
    o.log(`produced ${o.total} events (${o.stream.bad} bad)`);
  })();
  return state;
}
