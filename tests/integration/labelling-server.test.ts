import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LabelRequest } from '../../src/labelling/index.js';
import { decodeEvent, createKafka, ensureTopics } from '../../src/ingest/index.js';
import { LabellingServer } from '../../src/labelling/index.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const kafka = createKafka(inject('kafkaBrokers').split(','));

const request = (i: number): LabelRequest => ({
  id: `lr-${i}`,
  model: 'm',
  version: 'v1',
  input: { text: `item ${i}` },
  predicted: 'a',
  scores: { a: 0.55, b: 0.45 },
  uncertainty: 0.99,
  ts: 1,
});

async function api(base: string, p: string, body?: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(new URL(p, base), body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('labelling servers sharing one consumer group', () => {
  const id = uniq();
  const topic = `test.lr.requests.${id}`;
  const labelsTopic = `test.lr.labels.${id}`;
  const servers: LabellingServer[] = [];

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }, { topic: labelsTopic }]);
    for (let i = 0; i < 2; i++) servers.push(new LabellingServer(kafka, { topic, groupId: `labellers-${id}`, labelsTopic }));
    await Promise.all(servers.map((s) => s.start()));
    // Both members own a partition before any request exists, so no rebalance moves buffered items.
    await waitFor('both servers to hold one partition', () => servers.every((s) => s.assignedPartitions === 1), 30_000);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('never hands the same item to two labellers, and labels become label events with the request ids', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ key: `lr-${i}`, value: JSON.stringify(request(i)) })) });
    await producer.disconnect();
    await waitFor('8 requests buffered across the servers', () => servers.reduce((n, s) => n + s.current().pending, 0) === 8);

    const [a, b] = servers.map((s) => s.url) as [string, string];
    const first = (await api(a, '/api/next?labeller=ann')).json.item as LabelRequest;
    expect(((await api(a, '/api/next?labeller=ann')).json.item as LabelRequest).id).toBe(first.id); // leased to ann
    const other = (await api(a, '/api/next?labeller=bob')).json.item as LabelRequest | null;
    if (other) expect(other.id).not.toBe(first.id);
    expect((await api(a, '/api/label', { id: first.id, label: 'c' })).status).toBe(400);
    expect((await api(a, '/api/label', { id: 'lr-none', label: 'a' })).status).toBe(404);

    const labelled: string[] = [];
    for (const [base, labeller] of [[a, 'ann'], [a, 'bob'], [b, 'cid'], [b, 'dee']] as const) {
      for (;;) {
        const item = (await api(base, `/api/next?labeller=${labeller}`)).json.item as LabelRequest | null;
        if (!item) break;
        expect((await api(base, '/api/label', { id: item.id, label: 'b' })).status).toBe(200);
        labelled.push(item.id);
      }
    }
    expect(labelled.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `lr-${i}`).sort());
    // Keys hash the 8 requests 5/3 over the two partitions: each server labelled its own share.
    expect(servers.map((s) => s.current().labelled).sort()).toEqual([3, 5]);
    expect(servers[0]!.current().accuracy).toBe(0); // the model guessed "a" every time

    const consumer = kafka.consumer({ groupId: `reader-${uniq()}` });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: labelsTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(decodeEvent(message.value).id) });
    await waitFor('8 label events', () => got.length >= 8, 20_000);
    await consumer.disconnect();
    expect(got.sort()).toEqual(labelled);
  });

  it('refuses a body over its size limit with 413, naming why', async () => {
    const r = await fetch(new URL('/api/label', servers[0]!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x'.repeat(20_000) }) });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: string }).error).toBe('body too large');
  });
});
