import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { createKafka } from '../../src/ingest/index.js';
import { loadConfig, type ConfigInput } from '../../src/core/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { KafkaRegistryPublisher, VersionStore } from '../../src/registry/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { bearer, clientOf, unary } from '../helpers/grpc-call.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const TOKEN = 'replica-admin-token';

/** Saves v1, v2, v3 of model "m" in `dir`. */
async function saveVersions(dir: string, backend: string): Promise<VersionStore> {
  const store = new VersionStore(dir);
  const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [4] });
  let parent: string | null = null;
  for (let i = 0; i < 3; i++) parent = (await store.save('m', learner, { parent, regime: 'test', backend, examplesSeen: i, metrics: {}, offsets: {} })).version;
  learner.dispose();
  return store;
}

describe('pins, unpins and rollbacks reach every serving replica', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  /**
   * Two replicas A and B: pin on A → B serves the pin; B restarted → still pinned;
   * unpin on B → A follows the newest again; rollback on A → B rolls back too.
   */
  async function scenario(mode: 'dir' | 'kafka'): Promise<void> {
    const backend = await useTestBackend();
    const id = uniq();
    const mkdir = async (name: string): Promise<string> => {
      const d = await fs.mkdtemp(path.join(os.tmpdir(), `st-replica-admin-${name}-`));
      cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
      return d;
    };
    const base: ConfigInput = {
      model: 'm',
      backend,
      registry: { mode, topic: `test.replica-admin.registry.${id}` },
      kafka: { brokers, labelsTopic: `test.replica-admin.labels.${id}`, dlqTopic: `test.replica-admin.dlq.${id}`, modelsTopic: `test.replica-admin.models.${id}`, groupId: `replica-admin-${id}` },
      metrics: { port: 0 },
      serving: { port: 0, http: { port: 0 }, follow: true, adminToken: TOKEN },
      training: { enabled: false },
    };
    let dirA: string, dirB: string, dirP: string;
    if (mode === 'dir') {
      // One registry directory every server reads (a shared disk).
      dirA = dirB = dirP = await mkdir('shared');
      await saveVersions(dirA, backend);
    } else {
      // Each replica its own empty directory; the versions come from the registry topic.
      dirP = await mkdir('source');
      const source = await saveVersions(dirP, backend);
      const publisher = new KafkaRegistryPublisher({ kafka: createKafka(brokers), topic: `test.replica-admin.registry.${id}`, store: source });
      for (const v of await source.list('m')) await publisher.publish('m', v);
      await publisher.close();
      [dirA, dirB] = [await mkdir('a'), await mkdir('b')];
    }
    const start = async (dir: string, follow = true): Promise<StreamtuneServer> => {
      const overrides = { ...base, registryDir: dir, serving: { ...base.serving, follow } };
      const app = new StreamtuneServer(loadConfig({ overrides }), () => undefined);
      await app.start();
      cleanup.push(() => app.close());
      return app;
    };
    const admin = (app: StreamtuneServer) => {
      const client = clientOf('streamtune.v1.ModelAdmin', app.grpc!.address);
      cleanup.push(async () => client.close());
      return (method: string, req: object) => unary<Record<string, string>>(client, method, req, { metadata: bearer(TOKEN) });
    };
    const served = async (app: StreamtuneServer): Promise<string> => {
      const client = new PredictorClient(app.grpc!.address);
      try {
        return (await client.predict([{ features: [0.3, 0.6] }])).version;
      } finally {
        client.close();
      }
    };

    const a = await start(dirA);
    let b = await start(dirB);
    // P: a server that is no replica (it trains where training is on); it applies changes made on the replicas too.
    const p = await start(dirP, false);
    expect([a.holder.version, b.holder.version, p.holder.version]).toEqual(['v3', 'v3', 'v3']);

    // Pin on A: A serves v1 at once, B once it has read the announcement.
    expect(await admin(a)('Pin', { model: 'm', version: 'v1' })).toMatchObject({ version: 'v1', previous: 'v3', pinned: 'v1' });
    await waitFor('replica B to serve the version pinned on A', () => b.holder.version === 'v1', 60_000);
    expect(b.control.pinned).toBe('v1');
    expect(await served(b)).toBe('v1');
    await waitFor('server P to serve the version pinned on A', () => p.holder.version === 'v1' && p.control.pinned === 'v1', 60_000);
    if (mode === 'kafka') {
      // The state went on the registry topic: a new replica on an empty directory serves the pin too.
      const c = await start(await mkdir('c'));
      await waitFor('replica C to serve the pin', () => c.holder.version === 'v1' && c.control.pinned === 'v1', 60_000).catch(() => undefined);
      expect([c.holder.version, c.control.pinned]).toEqual(['v1', 'v1']);
      await c.close();
    }

    // B restarted (same directory): it reads the state and serves the pin from its start.
    await b.close();
    b = await start(dirB);
    expect(b.holder.version).toBe('v1');
    expect(b.control.pinned).toBe('v1');
    expect(await served(b)).toBe('v1');

    // Unpin on B: both follow the newest good version again.
    expect(await admin(b)('Unpin', { model: 'm' })).toMatchObject({ version: 'v3', previous: 'v1', pinned: '' });
    await waitFor('replica A to serve the newest version again after the unpin on B', () => a.holder.version === 'v3' && a.control.pinned === null, 60_000);
    expect(await served(a)).toBe('v3');
    await waitFor('server P to serve the newest version again', () => p.holder.version === 'v3' && p.control.pinned === null, 60_000);

    // Rollback on A: v3 rejected, the version A served before it (v1) served and pinned, on B too.
    expect(await admin(a)('Rollback', { model: 'm', reason: 'bad v3' })).toMatchObject({ version: 'v1', previous: 'v3', pinned: 'v1' });
    await waitFor('replica B to roll back as A did', () => b.holder.version === 'v1' && b.control.pinned === 'v1', 60_000);
    expect(await served(b)).toBe('v1');
    expect((await b.control.list()).map((v) => `${v.meta.version}:${v.state}`)).toEqual(['v1:pinned', 'v2:candidate', 'v3:rejected']);
    await waitFor('server P to roll back as A did', () => p.holder.version === 'v1' && p.control.pinned === 'v1', 60_000);
    // A's own announcements changed nothing more on A.
    expect([a.holder.version, a.control.pinned]).toEqual(['v1', 'v1']);
  }

  it('registry.mode kafka: each replica its own directory', () => scenario('kafka'), 600_000);

  it('registry.mode dir: both replicas read one registry directory', () => scenario('dir'), 600_000);
});
