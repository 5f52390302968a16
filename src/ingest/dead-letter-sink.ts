import type { Kafka } from 'kafkajs';
import { LazyProducer } from './lazy-producer.js';
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
  private readonly producer: LazyProducer;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = new LazyProducer(kafka);
  }

  send(letters: DeadLetter[]): Promise<void> {
    return this.producer.send(
      this.topic,
      letters.map(({ record, reason, message }) => ({
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
    );
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
