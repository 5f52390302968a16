import type { Kafka, Message, Producer } from 'kafkajs';

/**
 * An idempotent kafkajs producer that connects on first send (again on the next
 * one when that connect failed) and closes once
 * (concurrent `close()` calls share one promise). Writes wait for all in-sync
 * replicas (acks=all), one request in flight, so order per partition holds.
 */
export class LazyProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  }

  async send(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    // A failed connect is not kept: the next send connects again (the broker may be back).
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    await this.connected;
    await this.producer.send({ topic, acks: -1, messages });
  }

  close(): Promise<void> {
    this.closing ??= this.connected ? this.connected.then(() => this.producer.disconnect()) : Promise.resolve();
    return this.closing;
  }
}
