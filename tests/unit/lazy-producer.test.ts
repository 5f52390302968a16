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

  it('connects again on the next send after a failed connect (a broker away at the first send)', async () => {
    let connects = 0;
    const sent: ProducerRecord[] = [];
    const kafka = {
      producer: () => ({
        connect: async () => {
          if (++connects === 1) throw new Error('broker away');
        },
        disconnect: async () => undefined,
        send: async (r: ProducerRecord) => void sent.push(r),
      }),
    } as unknown as Kafka;
    const p = new LazyProducer(kafka);
    await expect(p.send('t', [{ key: 'a', value: '1' }])).rejects.toThrow('broker away');
    await p.send('t', [{ key: 'b', value: '2' }]);
    expect([connects, sent.length]).toEqual([2, 1]);
    await p.close();
  });
});
