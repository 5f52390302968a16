import type { Kafka } from 'kafkajs';
import type { LabelEvent } from './label-event.js';
import { LazyProducer } from './lazy-producer.js';

export interface EventProducerOptions {
  /**
   * The model of events that name none (the trainers' `model` config): their
   * key. Without it such events are keyed by id. @defaultValue undefined
   */
  defaultModel?: string;
}

/**
 * The TypeScript client for producers of labels: sends events to the labels
 * topic partitioned by model — the key is the event's `model` (else
 * `defaultModel`, else its id) — so every event of a model lands in one
 * partition, in order, and one trainer of a group learns that model; retries of
 * an event land in that partition too (and are deduplicated by id).
 *
 * @example
 * const p = new EventProducer(kafka, 'streamtune.labels', { defaultModel: 'digits' });
 * await p.send([{ id: 'e1', model: 'churn', input: { features: [1, 2] }, label: 'a' }]);
 */
export class EventProducer {
  private readonly producer: LazyProducer;

  constructor(
    kafka: Kafka,
    readonly topic: string,
    private readonly opts: EventProducerOptions = {},
  ) {
    this.producer = new LazyProducer(kafka);
  }

  /** The record key of an event: its model (or the default model), else its id. */
  keyOf(e: { id: string; model?: string }): string {
    return e.model ?? this.opts.defaultModel ?? e.id;
  }

  /** Sends events (objects are JSON-encoded with `ts` added; `raw` values are sent as they are, keyed by `model` or the default model). */
  send(events: (LabelEvent | { id: string; model?: string; raw: string | Buffer })[]): Promise<void> {
    return this.producer.send(
      this.topic,
      events.map((e) => ('raw' in e ? { key: this.keyOf(e), value: e.raw } : { key: this.keyOf(e), value: JSON.stringify({ ts: Date.now(), ...e }) })),
    );
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
