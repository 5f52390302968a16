import { fork } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig } from '../../src/core/index.js';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { withSave } from '../helpers/learner-with-save.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const tmpDirs = async (store: VersionStore): Promise<string[]> => (await fs.readdir(path.join(store.root, 'm', 'versions'))).filter((n) => n.startsWith('.tmp-'));

async function registry(tag: string): Promise<{ store: VersionStore; backend: Awaited<ReturnType<typeof useTestBackend>> }> {
  const backend = await useTestBackend();
  const store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), `st-${tag}-`)));
  const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
  await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
  base.dispose();
  return { store, backend };
}

describe('partial versions (issue 11, D6 and D7)', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await fs.rm(r, { recursive: true, force: true });
  });

  it('a save killed with SIGKILL leaves a .tmp folder that the next trainer start removes (a live writer keeps its own)', async () => {
    const { store } = await registry('killed-save');
    roots.push(store.root);
    for (let k = 0; k < 2; k++) {
      const child = fork(path.join(import.meta.dirname, '..', 'helpers', 'hung-save-child.ts'), [store.root], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`the saving child exited early (code ${code})`)));
      });
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    expect(await tmpDirs(store)).toHaveLength(2);
    // A save in progress in a live process (this one) is not abandoned.
    const live = `.tmp-${os.hostname().replace(/[^A-Za-z0-9_.]/g, '_')}-${process.pid}-${Date.now()}-live`;
    await fs.mkdir(path.join(store.root, 'm', 'versions', live));

    const id = uniq();
    const config = loadConfig({
      overrides: { model: 'm', registryDir: store.root, backend: await useTestBackend(), kafka: { brokers, labelsTopic: `test.leftovers.labels.${id}`, dlqTopic: `test.leftovers.dlq.${id}`, groupId: `leftovers-${id}` } },
    });
    await ensureTopics(createKafka(brokers), [{ topic: config.kafka.labelsTopic }]);
    const trainer = new TrainerProcess(config);
    await trainer.start();
    await trainer.stop();
    expect(await tmpDirs(store)).toEqual([live]);
    expect(await store.list('m')).toEqual(['v1']);
  });

  it('a save that fails on a full disk removes its partial folder and names the path in its error', async () => {
    const { store } = await registry('enospc');
    roots.push(store.root);
    const real = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
    // The weights are written, then the next write hits a full device (/dev/full answers ENOSPC).
    const full = withSave(real, async (handler) => {
      await real.save(handler);
      await fs.writeFile('/dev/full', Buffer.alloc(4096));
    });
    const err = (await store.save('m', full, { parent: 'v1', regime: 'test', backend: 'cpu', examplesSeen: 1, metrics: {}, offsets: {} }).catch((e: unknown) => e)) as Error;
    real.dispose();
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/ENOSPC/);
    expect(err.message).toContain(path.join(store.root, 'm', 'versions'));
    expect(await tmpDirs(store)).toEqual([]);
    expect(await store.list('m')).toEqual(['v1']);
  });
});
