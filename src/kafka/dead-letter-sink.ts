import type { Kafka, Producer } from 'kafkajs';
import type { RawRecord } from './raw-record.js';

/** A rejected record and why. */
export interface DeadLetter {
  record: RawRecord;
  reason: string;
  message: string;
}

/**
 * Writes rejected records to the dead-letter topic: the original key and bytes,
 * the reason code and message and the source topic/partition/offset in headers,
 * so nothing is lost and every rejection can be replayed once fixed.
 */
export class DeadLetterSink {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await (this.connected ??= this.producer.connect());
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map(({ record, reason, message }) => ({
        key: record.key,
        value: record.value,
        headers: {
          'streamtune-reason': reason,
          'streamtune-error': message.slice(0, 1000),
          'streamtune-source-topic': record.topic,
          'streamtune-source-partition': String(record.partition),
          'streamtune-source-offset': record.offset,
        },
      })),
    });
  }

  close(): Promise<void> {
    this.closing ??= this.connected ? this.connected.then(() => this.producer.disconnect()) : Promise.resolve();
    return this.closing;
  }
}
