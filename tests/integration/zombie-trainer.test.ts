/**
 * The fence between trainers when versions travel through the registry topic: a
 * trainer paused (SIGSTOP) past the group's session timeout loses its partition
 * to a standby on another "machine" (its own empty directory); resumed, it can
 * neither publish a version nor commit an offset. Every version name on the
 * registry topic has one manifest, and the newest version learned every event
 * exactly once.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer, type LabelEvent } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { KafkaRegistryPublisher, parseRegistryKey, startRegistryMirror, VersionStore } from '../../src/registry/index.js';
import { expectExactlyOnce, lineage } from '../helpers/lineage.js';
import { alive } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-zombie-test');
const TOTAL = 1200;

function events(from: number, n: number): LabelEvent[] {
  const rand = seededRandom(from + 7);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `z${from + i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

/** Every committed record of the registry topic (read_committed: aborted transactions are skipped). */
async function registryRecords(topic: string): Promise<{ key: string; value: Buffer | null }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `zombie-reader-${uniq()}` });
  const got: { key: string; value: Buffer | null }[] = [];
  const position = new Map<number, number>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => position.set(payload.partition, Number(payload.lastOffset) + 1));
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key?.toString() ?? '', value: message.value }) });
  try {
    await waitFor('the registry topic read to its end', () => ends.every((e) => Number(e.high) === 0 || (position.get(e.partition) ?? 0) >= Number(e.high)), 30_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe.each(['kafka', 'dir'] as const)('registry.mode %s: a trainer paused past the session timeout is fenced', (mode) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('the resumed trainer publishes and commits nothing from before the pause; no version name has two manifests, no version two children; every event is learned once', async () => {
    const backend = await useTestBackend();
    const dirs = await Promise.all(['seed', 'a', 'b', 'reader'].map((n) => fs.mkdtemp(path.join(os.tmpdir(), `st-zombie-${n}-`))));
    for (const d of dirs) cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
    const [seedDir, dirA, dirB, readerDir] = dirs as [string, string, string, string];
    const id = uniq();
    const registryTopic = `test.zombie.registry.${id}`;
    const labelsTopic = `test.zombie.labels.${id}`;
    const base = {
      model: 'z',
      backend,
      // Every version stays (keepVersions 0): the test walks the cluster's whole lineage back to the base.
      registry: { mode, topic: registryTopic, chunkBytes: 512 * 1024, retention: { keepVersions: 0, keepRollbackTargets: 2, keepForMs: 0 } },
      kafka: { brokers, labelsTopic, dlqTopic: `test.zombie.dlq.${id}`, modelsTopic: `test.zombie.models.${id}`, groupId: `zombie-${id}`, sessionTimeoutMs: 6000 },
      // No dedupe: exactly-once must come from the offsets and the fence alone.
      training: { maxBatchSize: 16, maxBatchWaitMs: 20, versionEverySteps: 3, versionEveryMs: 200, dedupeWindow: 0, guardrail: { enabled: false } },
    };
    // kafka: the base version reaches the cluster from a machine of its own; dir: both trainers share one registry.
    const seedStore = new VersionStore(mode === 'kafka' ? seedDir : dirA);
    const seed = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [] });
    await seedStore.save('z', seed, { parent: null, regime: 'test-batch', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    seed.dispose();
    if (mode === 'kafka') {
      const publisher = new KafkaRegistryPublisher({ kafka, topic: registryTopic, store: seedStore });
      await publisher.publish('z', 'v1');
      await publisher.close();
    }
    await ensureTopics(kafka, [{ topic: labelsTopic, numPartitions: 1 }]);

    const writes: { trainer: string; version: string; at: number }[] = [];
    const logs: string[] = [];
    const t0 = Date.now();
    const note = (line: string): void => void logs.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
    // No supervisor restarts these trainers: one that exits (a fence stops a trainer) fails the test at once, with its log.
    const exits = new Map<string, string>();
    const waitOrTell = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> => {
      try {
        await waitFor(
          what,
          async () => {
            if (exits.size > 0) throw new Error(`a trainer exited: ${[...exits].map(([n, why]) => `${n} ${why}`).join('; ')}`);
            return check();
          },
          timeoutMs,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\ntrainers' log:\n${logs.slice(-60).join('\n')}`, { cause: err });
      }
    };
    const start = async (name: string, dir: string): Promise<TrainerProcess> => {
      const t = new TrainerProcess(loadConfig({ overrides: { ...base, registryDir: dir } }));
      t.on('version', (m) => {
        writes.push({ trainer: name, version: m.meta.version, at: Date.now() });
        note(`${name}: saved ${m.meta.version}`);
      });
      t.on('log', (m) => note(`${name}: ${m.line}`));
      t.on('error-message', (m) => note(`${name}: error: ${m}`));
      let exited = false;
      t.on('exit', (code, signal) => {
        exited = true;
        if (!stopping) exits.set(name, `(code ${code}, signal ${signal})`);
        note(`${name}: exited (code ${code}, signal ${signal})`);
      });
      await t.start();
      cleanup.push(async () => {
        if (!exited && t.pid && alive(t.pid)) process.kill(t.pid, 'SIGCONT');
        await t.stop();
      });
      return t;
    };
    let stopping = false;
    const a = await start('a', dirA);
    const b = await start('b', mode === 'kafka' ? dirB : dirA);
    // Both trainers in the group before any event: a member joining after the first checkpoint would move the
    // partition then, and the owner whose checkpoint the move fenced would stop before the pause.
    const admin = kafka.admin();
    await admin.connect();
    cleanup.push(() => admin.disconnect());
    await waitOrTell(
      'both trainers in a stable group',
      async () => {
        const g = (await admin.describeGroups([base.kafka.groupId])).groups[0];
        return g?.state === 'Stable' && g.members.length === 2;
      },
      120_000,
    );

    const producer = new EventProducer(kafka, labelsTopic);
    cleanup.push(() => producer.close());
    let sent = 0;
    const send = async (n: number): Promise<void> => {
      await producer.send(events(sent, n));
      sent += n;
    };
    // Events flow until one trainer (the partition's owner) has checkpointed.
    while (writes.length === 0 && sent < TOTAL / 2) {
      await send(20);
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitOrTell('a first checkpoint', () => writes.length > 0, 60_000);
    const owner = writes[0]!.trainer;
    const [zombie, standby] = owner === 'a' ? [a, b] : [b, a];
    const standbyName = owner === 'a' ? 'b' : 'a';

    // The owner stops mid-stream with events in hand; the standby takes the partition once the session times out.
    await send(40);
    await new Promise((r) => setTimeout(r, 150));
    process.kill(zombie.pid!, 'SIGSTOP');
    const pausedAt = Date.now();
    note(`test: paused ${owner}`);
    while (sent < TOTAL * 0.75) {
      await send(20);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The session times out (6 s), the standby is given the partition, fences the paused owner and checkpoints.
    await waitOrTell('the standby to checkpoint after the pause', () => writes.some((w) => w.trainer === standbyName && w.at > pausedAt), 120_000);

    // Resumed: whatever it still holds, it may write nothing that counts.
    process.kill(zombie.pid!, 'SIGCONT');
    while (sent < TOTAL) await send(Math.min(20, TOTAL - sent));

    // A reader on a fresh directory sees what the cluster holds (dir: the shared directory).
    const readerStore = new VersionStore(mode === 'kafka' ? readerDir : dirA);
    const mirror = await startRegistryMirror(kafka, { registry: base.registry }, readerStore);
    cleanup.push(async () => mirror?.close());
    await waitFor(
      `a version with all ${TOTAL} events in the registry`,
      async () => {
        await mirror?.sync();
        const v = await readerStore.newest('z');
        return v !== null && (await readerStore.meta('z', v)).examplesSeen >= TOTAL;
      },
      120_000,
    ).catch((err: Error) => Promise.reject(new Error(`${err.message}\ntrainers' log:\n${logs.slice(-60).join('\n')}`, { cause: err })));
    stopping = true;
    await standby.stop();
    await zombie.stop().catch(() => undefined);
    await mirror?.sync();

    // No fork: each version name has exactly one manifest on the topic, and no version has two children.
    const manifests = new Map<string, Set<string>>();
    for (const r of mode === 'kafka' ? await registryRecords(registryTopic) : []) {
      const key = parseRegistryKey(r.key);
      if (key?.kind !== 'manifest' || !r.value) continue;
      const files = JSON.stringify((JSON.parse(r.value.toString()) as { files: unknown }).files);
      manifests.set(key.version, (manifests.get(key.version) ?? new Set()).add(files));
    }
    if (process.env.ZOMBIE_DEBUG) console.log(logs.join('\n'), JSON.stringify(writes));
    const forks = [...manifests].filter(([, f]) => f.size > 1).map(([v]) => v);
    expect(forks).toEqual([]);
    const children = new Map<string, string[]>();
    for (const v of await readerStore.list('z')) {
      const parent = (await readerStore.meta('z', v)).parent;
      if (parent) children.set(parent, [...(children.get(parent) ?? []), v]);
    }
    expect([...children].filter(([, c]) => c.length > 1)).toEqual([]);
    // The resumed trainer's writes after the resume never reached the topic under their names with other bytes,
    // and the cluster's lineage learned each event exactly once.
    const chain = await lineage(readerStore, 'z');
    expectExactlyOnce(chain, `${labelsTopic}/0`, TOTAL);
    // What the paused trainer learned before the pause never counts past it: a version of its made after the pause is in
    // the lineage only if it rejoined the group, was given the partition again and restored the newest checkpoint first,
    // so its parent is never one of its own versions from before the pause.
    // (Its messages can arrive late: one sent just before the pause is read after the resume.)
    const zombieVersions = new Set(writes.filter((w) => w.trainer === owner).map((w) => w.version));
    const standbyVersions = new Set(writes.filter((w) => w.trainer === standbyName).map((w) => w.version));
    const stale = new Set(chain.filter((v) => zombieVersions.has(v.version) && !standbyVersions.has(v.version) && Date.parse(v.createdAt) < pausedAt).map((v) => v.version));
    for (const v of chain) {
      if (zombieVersions.has(v.version) && !standbyVersions.has(v.version) && Date.parse(v.createdAt) >= pausedAt) {
        expect({ version: v.version, parentFromBeforeThePause: stale.has(v.parent ?? '') }).toEqual({ version: v.version, parentFromBeforeThePause: false });
      }
    }
  }, 600_000);
});
