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
import { runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

describe('registry.mode kafka: replicas and a standby trainer with empty directories', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('a following replica on an empty directory serves the versions the trainer saves on another; a standby trainer on an empty directory starts', async () => {
    const backend = await useTestBackend();
    const dirs = await Promise.all(['trainer', 'replica', 'standby'].map((n) => fs.mkdtemp(path.join(os.tmpdir(), `st-kreg-${n}-`))));
    for (const d of dirs) cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
    const [trainerDir, replicaDir, standbyDir] = dirs as [string, string, string];
    const id = uniq();
    const base = {
      model: 'm',
      backend,
      registry: { mode: 'kafka' as const, topic: `test.kreg-follow.registry.${id}`, chunkBytes: 1024 },
      kafka: { brokers, labelsTopic: `test.kreg-follow.labels.${id}`, dlqTopic: `test.kreg-follow.dlq.${id}`, modelsTopic: `test.kreg-follow.models.${id}`, groupId: `kreg-follow-${id}` },
      metrics: { port: 0 },
      training: { maxBatchSize: 10, maxBatchWaitMs: 20, versionEverySteps: 4, versionEveryMs: 300 },
    };
    const seed = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    const trainerStore = new StreamtuneServer(loadConfig({ overrides: { ...base, registryDir: trainerDir } })).store;
    await trainerStore.save('m', seed, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    // A second model: a replica mirrors every model of the registry topic, not only its default one.
    await trainerStore.save('n', seed, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    seed.dispose();

    // The trainer publishes v1 (the version it restores) on start, then each version it saves.
    const trainer = new TrainerProcess(loadConfig({ overrides: { ...base, registryDir: trainerDir } }));
    await trainer.start();
    cleanup.push(() => trainer.stop());
    const replica = new StreamtuneServer(loadConfig({ overrides: { ...base, registryDir: replicaDir, serving: { port: 0, http: { port: 0 }, follow: true, modelScanMs: 300 } } }), () => undefined);
    await replica.start();
    cleanup.push(() => replica.close());
    // The trainer republishes its versions to the registry topic in the background after it is ready:
    // the replica serves them once its mirror has them (at start, or later with no announcement).
    await waitFor('the replica to serve v1 from its mirror', () => replica.holder.version === 'v1', 60_000);
    await waitFor('the replica serving the second model too', () => replica.fleet.has('n'), 60_000);
    expect(await replica.store.list('n')).toEqual(['v1']);

    const rand = seededRandom(4);
    const producer = new EventProducer(createKafka(brokers), base.kafka.labelsTopic);
    await producer.send(
      Array.from({ length: 200 }, (_, i) => {
        const x = [rand(), rand()];
        return { id: `f${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
      }),
    );
    await producer.close();
    await waitFor('a checkpoint with all 200 events', async () => (await trainerStore.meta('m', (await trainerStore.newest('m'))!)).examplesSeen === 200, 90_000);
    const newest = await trainerStore.newest('m');
    await waitFor(`the replica to serve ${newest}`, () => replica.holder.version === newest, 60_000);
    const client = new PredictorClient(replica.grpc!.address);
    expect((await client.predict([{ features: [0.2, 0.9] }])).version).toBe(newest);
    client.close();
    expect(await replica.store.list('m')).toEqual(await trainerStore.list('m'));

    // A standby trainer with an empty directory restores the newest version from the cluster.
    const standby = new TrainerProcess(loadConfig({ overrides: { ...base, registryDir: standbyDir } }));
    await standby.start();
    cleanup.push(() => standby.stop());
    expect(await new StreamtuneServer(loadConfig({ overrides: { ...base, registryDir: standbyDir } })).store.newest('m')).toBe(newest);

    // `streamtune models create` on a machine of its own publishes the new model: the replica serves it.
    const cliDir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-kreg-cli-'));
    cleanup.push(() => fs.rm(cliDir, { recursive: true, force: true }));
    const created = runCli(['models', 'create', 'fresh', '--input', 'features:2', '--labels', 'a,b', '--regime', 'supervised'], {
      STREAMTUNE_REGISTRY_DIR: cliDir,
      STREAMTUNE_REGISTRY_MODE: 'kafka',
      STREAMTUNE_REGISTRY_TOPIC: base.registry.topic,
      KAFKA_BROKERS: brokers.join(','),
      STREAMTUNE_BACKEND: backend,
    });
    expect({ code: await new Promise((r) => created.child.once('exit', r)), out: created.lines.join('\n') }).toMatchObject({ code: 0 });
    expect(JSON.parse(created.lines.find((l) => l.startsWith('{"model"'))!)).toMatchObject({ model: 'fresh', version: 'v1', published: base.registry.topic });
    await waitFor('the replica serving the model created elsewhere', () => replica.fleet.has('fresh'), 60_000);
    const freshClient = new PredictorClient(replica.grpc!.address);
    cleanup.push(async () => freshClient.close());
    expect((await freshClient.predict([{ features: [0.1, 0.2] }], { model: 'fresh' })).model).toBe('fresh');
  }, 600_000);
});
