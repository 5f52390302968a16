import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig, type Config, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { expectExactlyOnce, lineage } from '../helpers/lineage.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { waitForGroup } from '../helpers/wait-for-group.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-crash-test');

function events(n: number, from: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(from + 17);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    return { id: `c-${from + i}`, input: { features: x }, label: x[0]! - x[2]! > 0 ? 'p' : 'q' };
  });
}

async function setup(tag: string): Promise<{ config: Config; store: VersionStore; key: string }> {
  const backend = await useTestBackend();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `st-${tag}-`));
  const id = uniq();
  const config = loadConfig({
    overrides: {
      model: 'm',
      registryDir: dir,
      backend,
      kafka: { brokers, labelsTopic: `test.${tag}.labels.${id}`, dlqTopic: `test.${tag}.dlq.${id}`, groupId: `${tag}-${id}`, sessionTimeoutMs: 6000 },
      training: { maxBatchSize: 8, maxBatchWaitMs: 20, versionEverySteps: 3, versionEveryMs: 300 },
      // Every version stays: the test walks the whole lineage back to the base.
      registry: { retention: { keepVersions: 0 } },
    },
  });
  const store = new VersionStore(dir);
  const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
  await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
  base.dispose();
  await ensureTopics(kafka, [{ topic: config.kafka.labelsTopic }, { topic: config.kafka.dlqTopic }]);
  return { config, store, key: `${config.kafka.labelsTopic}/0` };
}

describe('trainer crashes and takeovers (real broker, trainer processes killed with SIGKILL)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  let crash: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    crash = await setup('crash');
    dirs.push(crash.store.root);
  });

  it('killed at random moments and restarted, the trainer learns every event exactly once across the version history', async () => {
    const { config, store, key } = crash;
    const N = 1200;
    const producer = new EventProducer(kafka, config.kafka.labelsTopic);
    for (let i = 0; i < N; i += 100) await producer.send(events(100, i));
    await producer.close();
    const rand = seededRandom(42);
    const kills: number[] = [];
    for (let k = 0; k < 4; k++) {
      const trainer = new TrainerProcess(config);
      await trainer.start();
      // Let it join (the dead member's session must expire first) and learn for a random while.
      const before = (await lineage(store, 'm'))[0]!.examplesSeen;
      await waitFor('the trainer to make progress', async () => (await lineage(store, 'm'))[0]!.examplesSeen > before || (await store.newest('m')) === null, 90_000);
      const ms = Math.floor(rand() * 400);
      await new Promise((r) => setTimeout(r, ms));
      kills.push(ms);
      process.kill(trainer.pid!, 'SIGKILL');
      await new Promise<void>((r) => trainer.once('exit', () => r()));
    }
    const last = new TrainerProcess(config);
    await last.start();
    await waitFor(`a checkpoint covering all ${N} events`, async () => (await store.meta('m', (await store.newest('m'))!)).offsets[key] === String(N), 90_000);
    await last.stop();
    expect(kills).toHaveLength(4);
    const chain = await lineage(store, 'm');
    expect(chain.length).toBeGreaterThan(5);
    expectExactlyOnce(chain, key, N);
  }, 900_000);

  it('a standby trainer in the same group takes over from the last checkpoint when the active one is killed', async () => {
    const s = await setup('standby');
    dirs.push(s.store.root);
    const a = new TrainerProcess(s.config);
    const b = new TrainerProcess(s.config);
    const learnedBy = new Map<TrainerProcess, number>([
      [a, 0],
      [b, 0],
    ]);
    for (const t of [a, b]) t.on('stats', (m) => learnedBy.set(t, learnedBy.get(t)! + m.stats.learned));
    await Promise.all([a.start(), b.start()]);
    // Both run with the old generation capped by training.maxHeapMb (default 512).
    for (const t of [a, b]) expect((await fs.readFile(`/proc/${t.pid}/cmdline`, 'utf8')).split('\0')).toContain(`--max-old-space-size=${s.config.training.maxHeapMb}`);
    // Both in the group before any event: one joining later would take the partition (and its learning) over.
    await waitForGroup(kafka, s.config.kafka.groupId, 2);
    const producer = new EventProducer(kafka, s.config.kafka.labelsTopic);
    await producer.send(events(300, 0));
    await waitFor('one trainer to learn', () => learnedBy.get(a)! + learnedBy.get(b)! >= 300, 90_000);
    const [active, standby] = learnedBy.get(a)! > 0 ? [a, b] : [b, a];
    expect(learnedBy.get(standby)).toBe(0);
    process.kill(active.pid!, 'SIGKILL');
    await producer.send(events(300, 300));
    await producer.close();
    await waitFor('the standby to cover all 600 events', async () => (await s.store.meta('m', (await s.store.newest('m'))!)).offsets[s.key] === '600', 90_000);
    await standby.stop();
    expect(learnedBy.get(standby)).toBeGreaterThanOrEqual(300);
    expectExactlyOnce(await lineage(s.store, 'm'), s.key, 600);
  }, 480_000);
});
