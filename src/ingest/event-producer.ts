import type { Kafka } from 'kafkajs';
import type { LabelEvent } from './label-event.js';
import { LazyProducer } from './lazy-producer.js';

/**
 * The TypeScript client for producers of labels: sends events to the labels
 * topic keyed by id (so retries of one event land in one partition, in order).
 *
 * @example
 * const p = new EventProducer(kafka, 'streamtune.labels');
 * await p.send([{ id: 'e1', input: { features: [1, 2] }, label: 'a' }]);
 */
export class EventProducer {
  private readonly producer: LazyProducer;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = new LazyProducer(kafka);
  }

  /** Sends events (objects are JSON-encoded with `ts` added; `raw` values are sent as they are). */
  send(events: (LabelEvent | { id: string; raw: string | Buffer })[]): Promise<void> {
    return this.producer.send(
      this.topic,
      events.map((e) => ('raw' in e ? { key: e.id, value: e.raw } : { key: e.id, value: JSON.stringify({ ts: Date.now(), ...e }) })),
    );
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
