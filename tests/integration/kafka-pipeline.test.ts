import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { trainingConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore, type VersionMeta } from '../../src/registry/index.js';
import { startFleetLearning } from '../../src/training/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { readTopic } from '../helpers/read-topic.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-test');

function events(n: number, seed: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    return { id: `s${seed}-${i}`, input: { features: x }, label: x[0]! + x[1]! > x[2]! ? 'up' : 'down' };
  });
}

const readAll = (topic: string, count: number): Promise<KafkaMessage[]> => readTopic(kafka, topic, count);

describe('online learning from a real Kafka broker', () => {
  let store: VersionStore;
  const id = uniq();
  const labels = `test.labels.${id}`;
  const dlq = `test.dlq.${id}`;

  beforeAll(async () => {
    const backend = await useTestBackend();
    store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-kafka-')));
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['down', 'up'], hiddenUnits: [8], learningRate: 0.02 });
    await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    await ensureTopics(kafka, [{ topic: labels }, { topic: dlq }]);
  });

  afterAll(async () => {
    await fs.rm(store.root, { recursive: true, force: true });
  });

  it('learns every valid event exactly once, dead-letters malformed ones with their reason, commits and records offsets', async () => {
    const good = events(300, 1);
    const producer = new EventProducer(kafka, labels);
    const badJson = '{"id":"bad-1","input":{"features":[1,2';
    const badDim = JSON.stringify({ id: 'bad-2', input: { features: [1, 2] }, label: 'up' });
    await producer.send(good.slice(0, 100));
    await producer.send([{ id: 'bad-1', raw: badJson }]);
    await producer.send(good.slice(100, 200));
    await producer.send([{ id: 'bad-2', raw: badDim }]);
    await producer.send(good.slice(200));
    await producer.close();

    const versions: VersionMeta[] = [];
    let learnedFromStats = 0;
    const groupId = `g-${id}`;
    // The trainer's pipeline with one model: it loads the model's newest version (v1) on the first event.
    const ol = await startFleetLearning({
      kafka,
      defaultModel: 'm',
      store,
      backend: 'test',
      topics: { labelsTopic: labels, dlqTopic: dlq, groupId },
      // maxInFlight small, so the consumer really pauses and resumes
      training: trainingConfig({ maxBatchSize: 16, maxBatchWaitMs: 50, maxInFlight: 64, versionEverySteps: 5 }),
      onStats: (s) => (learnedFromStats += s.learned),
      onVersion: (m) => versions.push(m),
    });
    // Records that do not parse are rejected by the fleet, those that do not fit the model by its trainer.
    const processed = (): number => ol.fleet.totals.rejected + (ol.fleet.trainer('m')?.totals.consumed ?? 0);
    await waitFor('all 302 events processed', () => processed() >= 302);
    const trainer = ol.fleet.trainer('m')!;
    await ol.close();

    expect(ol.fleet.totals.rejected + trainer.totals.consumed).toBe(302);
    expect(trainer.totals.learned).toBe(300);
    expect(ol.fleet.totals.rejected + trainer.totals.rejected).toBe(2);
    expect(ol.fleet.totals.unknownModel).toBe(0);
    expect(learnedFromStats).toBe(300);
    expect(ol.source.emitted).toBe(302); // paused/resumed without re-emitting a record
    expect(ol.source.paused).toBeGreaterThan(0); // maxInFlight 64 < 302: backpressure really engaged

    const dead = await readAll(dlq, 2);
    expect(dead).toHaveLength(2);
    expect(dead.map((m) => m.headers!['streamtune-reason']!.toString())).toEqual(['bad_json', 'wrong_dimension']);
    expect(dead[0]!.value!.toString()).toBe(badJson); // original bytes, untouched
    expect(dead[1]!.headers!['streamtune-error']!.toString()).toMatch(/has 2 values, model expects 3/);
    expect(dead.map((m) => m.headers!['streamtune-source-offset']!.toString())).toEqual(['100', '201']);

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [labels] });
    await admin.disconnect();
    expect(committed!.partitions[0]!.offset).toBe('302');

    const latest = await store.meta('m', (await store.latest('m'))!);
    expect(latest.offsets).toEqual({ [`${labels}/0`]: '302' });
    expect(latest.examplesSeen).toBe(300);
    expect(latest.parent).toBe(versions.at(-2)?.version ?? 'v1');
    expect(versions.length).toBeGreaterThanOrEqual(3);
  });

  it('a restarted trainer resumes from the offsets of its latest version, learning only new events', async () => {
    const latest = await store.latest('m');
    const producer = new EventProducer(kafka, labels);
    await producer.send(events(40, 2));
    await producer.close();
    // A new group has no committed offsets: only the version's offsets say where to start.
    const ol = await startFleetLearning({
      kafka,
      defaultModel: 'm',
      store,
      backend: 'test',
      topics: { labelsTopic: labels, dlqTopic: dlq, groupId: `g2-${id}` },
      training: trainingConfig({ maxBatchWaitMs: 50 }),
    });
    // The new group reads the topic from its start: all 342 records arrive (one does not parse and never
    // reaches the model), and the 301 others the version covers are skipped.
    await waitFor('all 342 records', () => ol.fleet.totals.rejected + (ol.fleet.trainer('m')?.totals.consumed ?? 0) >= 342);
    const trainer = ol.fleet.trainer('m')!;
    await ol.close();
    expect(trainer.totals.learned).toBe(40);
    expect(trainer.totals.consumed - trainer.totals.skipped).toBe(40);
    const after = await store.meta('m', (await store.latest('m'))!);
    expect(after.offsets).toEqual({ [`${labels}/0`]: '342' });
    expect(after.examplesSeen).toBe(340);
    expect(after.parent).toBe(latest);
  });

  it('sends one malformed event of each kind to the DLQ with its reason, and learns the valid ones around them', async () => {
    const topic = `test.kinds.${id}`;
    const dlqTopic = `test.kinds.dlq.${id}`;
    await ensureTopics(kafka, [{ topic }, { topic: dlqTopic }]);
    const good = events(70, 3);
    const bad: [string, string | null][] = [
      ['bad_json', '{"id":"x1","input":{"features":[1,2,3]},"label":"up"'],
      ['schema', JSON.stringify({ input: { features: [1, 2, 3] }, label: 'up' })],
      ['non_finite', '{"id":"x3","input":{"features":[1,1e999,3]},"label":"up"}'],
      ['too_large', JSON.stringify({ id: 'x4', input: { text: 'a'.repeat(1_000_100) }, label: 'up' })],
      ['wrong_dimension', JSON.stringify({ id: 'x5', input: { features: [1, 2] }, label: 'up' })],
      ['unknown_label', JSON.stringify({ id: 'x6', input: { features: [1, 2, 3] }, label: 'sideways' })],
      ['wrong_kind', JSON.stringify({ id: 'x7', input: { text: 'three numbers' }, label: 'up' })],
      ['empty', null],
    ];
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < bad.length; i++) {
      await producer.send({
        topic,
        messages: [
          ...good.slice(i * 8, i * 8 + 8).map((e) => ({ key: e.id, value: JSON.stringify(e) })),
          { key: `bad-${i}`, value: bad[i]![1] },
        ],
      });
    }
    await producer.send({ topic, messages: good.slice(64).map((e) => ({ key: e.id, value: JSON.stringify(e) })) });
    await producer.disconnect();

    // The model's newest version covers offsets of another topic: every record of this one is new to it.
    const ol = await startFleetLearning({
      kafka,
      defaultModel: 'm',
      store,
      backend: 'test',
      topics: { labelsTopic: topic, dlqTopic, groupId: `kinds-${id}` },
      training: trainingConfig({ maxBatchWaitMs: 50 }),
    });
    const processed = (): number => ol.fleet.totals.rejected + (ol.fleet.trainer('m')?.totals.consumed ?? 0);
    await waitFor('all 78 records', () => processed() >= 78);
    const trainer = ol.fleet.trainer('m')!;
    await ol.close();
    expect(ol.fleet.totals.rejected + trainer.totals.consumed).toBe(78);
    expect(trainer.totals.learned).toBe(70);
    expect(ol.fleet.totals.rejected + trainer.totals.rejected).toBe(8);
    const dead = await readAll(dlqTopic, 8);
    expect(dead.map((m) => m.headers!['streamtune-reason']!.toString())).toEqual(bad.map(([reason]) => reason));
    dead.forEach((m, i) => {
      expect(m.value === null ? null : m.value.toString()).toBe(bad[i]![1]);
      expect(m.key!.toString()).toBe(`bad-${i}`);
      expect(m.headers!['streamtune-source-topic']!.toString()).toBe(topic);
      expect(m.headers!['streamtune-error']!.toString().length).toBeGreaterThan(5);
    });
  });
});
