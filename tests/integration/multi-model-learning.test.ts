/**
 * `streamtune serve` with many models: one trainer child learns each model from
 * the events that name it, and the server hot-swaps each model's versions into
 * that model alone, with per-model metrics. A model created while it runs learns
 * too; an event for a model the registry lacks is dead-lettered.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createModel } from '../../src/app/create-model.js';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer, type LabelEvent } from '../../src/ingest/index.js';
import { parseMetricsText } from '../../src/ops/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { readTopic } from '../helpers/read-topic.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

/** Model i's concept: the sign of one feature, a different one per model. */
function events(model: string, feature: number, n: number, seed: number): LabelEvent[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    return { id: `${model}-${seed}-${i}`, model, input: { features: x }, label: x[feature]! > 0 ? 'pos' : 'neg' };
  });
}

describe('streamtune serve learning many models at once', () => {
  let dir: string;
  let app: StreamtuneServer;
  let backend: string;
  const id = uniq();
  const labelsTopic = `test.mm.labels.${id}`;
  const dlqTopic = `test.mm.dlq.${id}`;
  const models = ['alpha', 'beta', 'gamma'];

  beforeAll(async () => {
    backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-mm-'));
    const config = loadConfig({
      overrides: {
        model: 'alpha',
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic, groupId: `mm-${id}` },
        serving: { port: 0, http: { port: 0 }, modelScanMs: 300 },
        metrics: { port: 0 },
        training: { maxBatchSize: 10, maxBatchWaitMs: 50, versionEverySteps: 3, versionEveryMs: 500 },
      },
    });
    app = new StreamtuneServer(config, () => undefined);
    for (const model of models) await createModel({ store: app.store, model, input: 'features:3', task: 'classification', labels: ['neg', 'pos'], regime: 'supervised', backend });
    await ensureTopics(createKafka(brokers), [{ topic: labelsTopic, numPartitions: 3 }]);
    await app.start();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('each model learns exactly its own events and serves its own versions', async () => {
    const producer = new EventProducer(createKafka(brokers), labelsTopic);
    const client = new PredictorClient(app.grpc!.address);
    try {
      await producer.send(models.flatMap((m, i) => events(m, i, 40 + 10 * i, i + 1)));
      await producer.send([{ id: 'ghost-1', model: 'ghost', input: { features: [1, 2, 3] }, label: 'pos' }]);
      const seen = (m: string): number => (app.fleet.has(m) ? (app.fleet.get(m).holder.meta?.examplesSeen ?? 0) : 0);
      await waitFor('every model serving a version that learned all its events', () => models.every((m, i) => seen(m) >= 40 + 10 * i), 120_000);
      expect(models.map(seen)).toEqual([40, 50, 60]);
      for (const m of models) {
        const r = await client.predict([{ features: [0.5, -0.5, 0.5] }], { model: m });
        expect(r.model).toBe(m);
        expect(r.version).toBe(app.fleet.get(m).holder.version);
        expect(r.version).not.toBe('v1');
      }
      const samples = parseMetricsText(await (await fetch(app.metricsUrl)).text());
      const learned = Object.fromEntries(samples.filter((s) => s.name === 'streamtune_train_examples_total').map((s) => [s.labels.model, s.value]));
      expect(learned).toMatchObject({ alpha: 40, beta: 50, gamma: 60 });
      const fresh = samples.filter((s) => s.name === 'streamtune_freshness_seconds_count' && s.value > 0).map((s) => s.labels.model).sort();
      expect(fresh).toEqual(models);
      const [dead] = await readTopic(createKafka(brokers), dlqTopic, 1);
      expect(dead!.headers!['streamtune-reason']!.toString()).toBe('unknown_model');
      expect(dead!.headers!['streamtune-error']!.toString()).toMatch(/ghost/);

      // A model created while serving and learning: served, then learned, with no restart.
      await createModel({ store: app.store, model: 'delta', input: 'features:3', task: 'classification', labels: ['neg', 'pos'], regime: 'supervised', backend });
      await waitFor('the new model served', () => app.fleet.has('delta'), 60_000);
      await producer.send(events('delta', 2, 30, 9));
      await waitFor('the new model learned its events', () => seen('delta') >= 30, 90_000);
      expect(seen('delta')).toBe(30);
      expect(models.map(seen)).toEqual([40, 50, 60]);

      // Deleted while learning: no longer served, and the trainer's next checkpoint does not bring it back.
      expect(await app.store.remove('delta')).toBe(true);
      await waitFor('the deleted model dropped', () => !app.fleet.has('delta'), 60_000);
      // Trainers check a loaded model's presence at most every second.
      await new Promise((r) => setTimeout(r, 1500));
      await producer.send(events('delta', 2, 5, 11));
      const letters = await readTopic(createKafka(brokers), dlqTopic, 6);
      expect(letters.slice(1).map((l) => l.headers!['streamtune-reason']!.toString())).toEqual(Array(5).fill('unknown_model'));
      await new Promise((r) => setTimeout(r, 1500));
      expect(await app.store.models()).toEqual(models);
      expect(models.map(seen)).toEqual([40, 50, 60]);
    } finally {
      await producer.close();
      client.close();
    }
  }, 540_000);
});
