import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

describe('multi-replica serving: replicas follow the compacted models topic', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('two following servers and one trainer converge on the same newest version', async () => {
    const backend = await useTestBackend();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-follow-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const id = uniq();
    const base = {
      model: 'm',
      registryDir: dir,
      backend,
      kafka: { brokers, labelsTopic: `test.follow.labels.${id}`, dlqTopic: `test.follow.dlq.${id}`, modelsTopic: `test.follow.models.${id}`, groupId: `follow-${id}` },
      metrics: { port: 0 },
      training: { maxBatchSize: 10, maxBatchWaitMs: 20, versionEverySteps: 4, versionEveryMs: 300 },
    };
    const seed = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    await new StreamtuneServer(loadConfig({ overrides: base })).store.save('m', seed, {
      parent: null,
      regime: 'test',
      backend,
      examplesSeen: 0,
      metrics: {},
      offsets: {},
    });
    seed.dispose();

    const replicas = [0, 1].map(() => new StreamtuneServer(loadConfig({ overrides: { ...base, serving: { port: 0, http: { port: 0 }, follow: true } } }), () => undefined));
    for (const r of replicas) {
      await r.start();
      cleanup.push(() => r.close());
    }
    const trainer = new TrainerProcess(loadConfig({ overrides: base }));
    await trainer.start();
    cleanup.push(() => trainer.stop());

    const rand = seededRandom(4);
    const producer = new EventProducer(createKafka(brokers), base.kafka.labelsTopic);
    await producer.send(
      Array.from({ length: 200 }, (_, i) => {
        const x = [rand(), rand()];
        return { id: `f${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
      }),
    );
    await producer.close();

    const store = replicas[0]!.store;
    await waitFor('a checkpoint with all 200 events', async () => (await store.meta('m', (await store.newest('m'))!)).examplesSeen === 200, 90_000);
    const newest = await store.newest('m');
    await waitFor(`both replicas to serve ${newest}`, () => replicas.every((r) => r.holder.version === newest), 60_000);
    for (const r of replicas) {
      const client = new PredictorClient(r.grpc!.address);
      expect((await client.predict([{ features: [0.2, 0.9] }])).version).toBe(newest);
      client.close();
      // Each replica hot-swapped through announced versions, not only the last.
      expect(r.holder.served.length).toBeGreaterThan(2);
    }
  }, 360_000);
});
