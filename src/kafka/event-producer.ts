import type { Kafka, Producer } from 'kafkajs';
import type { LabelEvent } from '../events/index.js';

/**
 * The TypeScript client for producers of labels: sends events to the labels
 * topic keyed by id (so retries of one event land in one partition, in order).
 *
 * @example
 * const p = new EventProducer(kafka, 'streamtune.labels');
 * await p.send([{ id: 'e1', input: { features: [1, 2] }, label: 'a' }]);
 */
export class EventProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  }

  /** Sends events (objects are JSON-encoded; strings/Buffers are sent as they are). */
  async send(events: (LabelEvent | { id: string; raw: string | Buffer })[]): Promise<void> {
    if (events.length === 0) return;
    await (this.connected ??= this.producer.connect());
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: events.map((e) => ('raw' in e ? { key: e.id, value: e.raw } : { key: e.id, value: JSON.stringify({ ts: Date.now(), ...e }) })),
    });
  }

  close(): Promise<void> {
    this.closing ??= this.connected ? this.connected.then(() => this.producer.disconnect()) : Promise.resolve();
    return this.closing;
  }
}
