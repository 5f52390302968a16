import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { readTopic } from '../helpers/read-topic.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-dlq-test');

function valid(n: number, from: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(from + 5);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    return { id: `ok-${from + i}`, input: { features: x }, label: x[0]! > 0 ? 'p' : 'q' };
  });
}

/** A trainer process over fresh topics and registry; the DLQ topic is created first with `dlqConfig`. */
async function trainer(tag: string, dlqConfig: { name: string; value: string }[] = []): Promise<{ t: TrainerProcess; store: VersionStore; labels: string; dlq: string }> {
  const backend = await useTestBackend();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `st-${tag}-`));
  const id = uniq();
  const [labels, dlq] = [`test.${tag}.labels.${id}`, `test.${tag}.dlq.${id}`];
  const store = new VersionStore(dir);
  const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
  await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
  base.dispose();
  await ensureTopics(kafka, [{ topic: labels }, { topic: dlq, configEntries: dlqConfig }]);
  const config = loadConfig({
    overrides: {
      model: 'm',
      registryDir: dir,
      backend,
      kafka: { brokers, labelsTopic: labels, dlqTopic: dlq, groupId: `${tag}-${id}`, sessionTimeoutMs: 6000 },
      // A long batch window, so adjacent large rejects land in one step (one dead-letter send).
      training: { maxBatchSize: 50, maxBatchWaitMs: 500, versionEverySteps: 2, versionEveryMs: 300 },
    },
  });
  const t = new TrainerProcess(config);
  await t.start();
  return { t, store, labels, dlq };
}

/** Sends each raw value alone (each fits the labels topic; two together would not). */
async function sendRaw(topic: string, values: { key: string; value: Buffer }[]): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  for (const m of values) await p.send({ topic, messages: [m] });
  await p.disconnect();
}

const learned = async (store: VersionStore): Promise<number> => (await store.meta('m', (await store.newest('m'))!)).examplesSeen;

describe('dead letters never block the stream (issue 11, D1)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('two adjacent ~1,000,500-byte events and two ~600 KB schema rejects are dead-lettered whole, and the valid events after them are learned', async () => {
    const { t, store, labels, dlq } = await trainer('dlq-big');
    cleanup.push(() => t.stop(), () => fs.rm(store.root, { recursive: true, force: true }));
    const exits: (number | null)[] = [];
    t.on('exit', (code) => exits.push(code));
    const tooLarge = Buffer.alloc(1_000_500, 'x');
    const schema = Buffer.from(JSON.stringify({ id: 'long', input: { text: 'a'.repeat(600_000) }, label: 'p' }));
    await sendRaw(labels, [
      { key: 'big-1', value: tooLarge },
      { key: 'big-2', value: tooLarge },
    ]);
    const producer = new EventProducer(kafka, labels);
    await producer.send(valid(100, 0));
    await sendRaw(labels, [
      { key: 'long-1', value: schema },
      { key: 'long-2', value: schema },
    ]);
    await producer.send(valid(100, 100));
    await producer.close();
    await waitFor('the 200 valid events learned', async () => (await learned(store)) === 200, 120_000);
    expect(exits).toEqual([]);
    const letters = await readTopic(kafka, dlq, 4);
    expect(letters.map((m) => [m.key?.toString(), m.headers?.['streamtune-reason']?.toString(), m.value?.length])).toEqual([
      ['big-1', 'too_large', tooLarge.length],
      ['big-2', 'too_large', tooLarge.length],
      ['long-1', 'schema', schema.length],
      ['long-2', 'schema', schema.length],
    ]);
  }, 180_000);

  it('an event too large for the dead-letter topic is dead-lettered truncated, with its original size and SHA-256 in headers', async () => {
    const { t, store, labels, dlq } = await trainer('dlq-trunc', [{ name: 'max.message.bytes', value: '100000' }]);
    cleanup.push(() => t.stop(), () => fs.rm(store.root, { recursive: true, force: true }));
    const huge = Buffer.from(`{"id":"huge","input":{"features":[${'1,'.repeat(150_000)}`);
    await sendRaw(labels, [
      { key: 'huge', value: huge },
      { key: 'huge-2', value: huge },
    ]);
    const producer = new EventProducer(kafka, labels);
    await producer.send(valid(50, 0));
    await producer.close();
    await waitFor('the 50 valid events learned', async () => (await learned(store)) === 50, 120_000);
    const letters = await readTopic(kafka, dlq, 2);
    for (const [i, m] of letters.entries()) {
      expect(m.key?.toString()).toBe(i === 0 ? 'huge' : 'huge-2');
      expect(m.headers?.['streamtune-reason']?.toString()).toBe('bad_json');
      expect(m.headers?.['streamtune-truncated']?.toString()).toBe('true');
      expect(m.headers?.['streamtune-original-size']?.toString()).toBe(String(huge.length));
      expect(m.headers?.['streamtune-original-sha256']?.toString()).toBe(createHash('sha256').update(huge).digest('hex'));
      expect(m.value!.length).toBeLessThan(100_000);
      expect(huge.subarray(0, m.value!.length).equals(m.value!)).toBe(true);
    }
  }, 180_000);
});
