import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

function events(n: number, seed: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `k${seed}-${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

describe('streamtune serve: learning in a child process, hot-swapped into serving', () => {
  let dir: string;
  let app: StreamtuneServer;
  const id = uniq();
  const labelsTopic = `test.serve.labels.${id}`;
  const logs: string[] = [];

  beforeAll(async () => {
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-serve-'));
    const config = loadConfig({
      overrides: {
        model: 'm',
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic: `test.serve.dlq.${id}`, groupId: `serve-${id}` },
        serving: { port: 0, http: { port: 0 } },
        metrics: { port: 0 },
        training: { maxBatchSize: 10, maxBatchWaitMs: 50, versionEverySteps: 3, versionEveryMs: 500 },
      },
    });
    app = new StreamtuneServer(config, (l) => logs.push(l));
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    await app.store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    await ensureTopics(createKafka(brokers), [{ topic: labelsTopic }]);
    await app.start();
  });

  afterAll(async () => {
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('serves versions learned from Kafka, and a trainer killed with SIGKILL is restarted without losing or repeating events', async () => {
    const producer = new EventProducer(createKafka(brokers), labelsTopic);
    const client = new PredictorClient(app.grpc!.address);
    await producer.send(events(100, 1));
    await waitFor('a served version that learned 100 events', () => (app.holder.meta?.examplesSeen ?? 0) >= 100, 90_000);
    expect(app.holder.meta!.examplesSeen).toBe(100);
    expect((await client.predict([{ features: [0.5, -0.5] }])).version).toBe(app.holder.version);

    const firstPid = app.trainer!.pid!;
    process.kill(firstPid, 'SIGKILL');
    await waitFor('the trainer to be restarted', () => app.trainer!.pid !== firstPid && app.trainer!.backend !== '', 120_000);
    await producer.send(events(60, 2));
    await producer.close();
    await waitFor('a served version that learned all 160 events', () => (app.holder.meta?.examplesSeen ?? 0) >= 160, 90_000);
    // The restarted trainer resumed at the offsets of the newest version: exactly 160, not more.
    await new Promise((r) => setTimeout(r, 1000));
    expect(app.holder.meta!.examplesSeen).toBe(160);
    expect(app.holder.meta!.offsets).toEqual({ [`${labelsTopic}/0`]: '160' });
    expect(logs.some((l) => /trainer exited .*SIGKILL.*restarting/.test(l))).toBe(true);
    const metrics = await (await fetch(app.metricsUrl)).text();
    expect(metrics).toMatch(/^streamtune_trainer_restarts_total 1$/m);
    client.close();
  }, 360_000);
});
