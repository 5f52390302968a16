import type { Kafka, ProducerConfig, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { LazyProducer } from '../../src/ingest/lazy-producer.js';

describe('LazyProducer (every producer of the project: events, dead letters, model announcements, label requests)', () => {
  it('is idempotent with one request in flight and waits for all in-sync replicas (acks=all)', async () => {
    let config: ProducerConfig | undefined;
    const sent: ProducerRecord[] = [];
    let connects = 0;
    const kafka = {
      producer: (c: ProducerConfig) => {
        config = c;
        return { connect: async () => void connects++, disconnect: async () => undefined, send: async (r: ProducerRecord) => void sent.push(r) };
      },
    } as unknown as Kafka;
    const p = new LazyProducer(kafka);
    expect(config).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.send('t', []);
    expect(connects).toBe(0); // nothing to send, no connection
    await p.send('t', [{ key: 'a', value: '1' }]);
    await p.send('t', [{ key: 'b', value: '2' }]);
    expect(connects).toBe(1);
    expect(sent.map((r) => r.acks)).toEqual([-1, -1]);
    await Promise.all([p.close(), p.close()]);
  });
});
