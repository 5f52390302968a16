/**
 * Version retention with the registry on Kafka: a trainer keeps its newest
 * versions (registry.retention), the versions it drops disappear from its
 * directory, from the directory of a serving replica on another "machine" (its
 * registry mirror), and from the registry topic (a tombstone for every key);
 * `streamtune models delete` in registry.mode kafka removes the model from the
 * replica's directory and from what it serves, and leaves no live key.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer, type LabelEvent } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { KafkaRegistryPublisher, manifestKeys, parseRegistryKey, registryManifestSchema, stateKey, VersionStore } from '../../src/registry/index.js';
import { runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-retention-test');
const KEEP = 3;

function events(from: number, n: number): LabelEvent[] {
  const rand = seededRandom(from + 11);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `r${from + i}`, model: 'r', input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

/** The newest record of every key of the registry topic (read committed, to its end). */
async function newestRecords(topic: string): Promise<Map<string, Buffer | null>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `retention-reader-${uniq()}` });
  const newest = new Map<string, Buffer | null>();
  const position = new Map<number, number>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => position.set(payload.partition, Number(payload.lastOffset) + 1));
  await consumer.run({ eachMessage: async ({ message }) => void newest.set(message.key?.toString() ?? '', message.value) });
  try {
    await waitFor('the registry topic read to its end', () => ends.every((e) => Number(e.high) === 0 || (position.get(e.partition) ?? 0) >= Number(e.high)), 30_000);
  } finally {
    await consumer.disconnect();
  }
  return newest;
}

const num = (v: string): number => Number(v.slice(1));

describe('registry retention with the registry on Kafka', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('versions beyond retention leave the trainer, a replica and the topic; models delete removes the model from the replica', async () => {
    const backend = await useTestBackend();
    const dirs = await Promise.all(['seed', 'trainer', 'mirror', 'cli'].map((n) => fs.mkdtemp(path.join(os.tmpdir(), `st-retention-${n}-`))));
    for (const d of dirs) cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
    const [seedDir, trainerDir, replicaDir, cliDir] = dirs as [string, string, string, string];
    const id = uniq();
    const base = {
      model: 'r',
      backend,
      // Small chunks, so a version is many keys (its dedupe filter, ~8 KB for 2,000 ids, alone is two).
      registry: { mode: 'kafka' as const, topic: `test.retention.registry.${id}`, chunkBytes: 4096, retention: { keepVersions: KEEP, keepRollbackTargets: 1 } },
      kafka: { brokers, labelsTopic: `test.retention.labels.${id}`, dlqTopic: `test.retention.dlq.${id}`, modelsTopic: `test.retention.models.${id}`, groupId: `retention-${id}` },
      // No guardrail: every version is promoted, so LATEST is the newest and its rollback target the one before.
      training: { maxBatchSize: 16, maxBatchWaitMs: 20, versionEverySteps: 2, versionEveryMs: 200, dedupeWindow: 2000, guardrail: { enabled: false } },
    };
    // The base version reaches the cluster from a machine of its own.
    const seedStore = new VersionStore(seedDir);
    const seed = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [] });
    await seedStore.save('r', seed, { parent: null, regime: 'test-batch', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    seed.dispose();
    const publisher = new KafkaRegistryPublisher({ kafka, topic: base.registry.topic, store: seedStore, chunkBytes: base.registry.chunkBytes });
    await publisher.publish('r', 'v1');
    await publisher.close();
    await ensureTopics(kafka, [{ topic: base.kafka.labelsTopic, numPartitions: 1 }]);

    // A serving replica on another machine: it mirrors the registry topic into its own directory.
    const mirrorLog: string[] = [];
    const replica = new StreamtuneServer(loadConfig({ overrides: { ...base, registryDir: replicaDir, serving: { port: 0, http: { port: 0 }, follow: true, modelScanMs: 300 }, metrics: { port: 0 } } }), (l) => mirrorLog.push(l));
    await replica.start();
    cleanup.push(() => replica.close());
    const mirrorStore = replica.store;
    expect(await mirrorStore.list('r')).toEqual(['v1']);

    const trainerStore = new VersionStore(trainerDir);
    const trainer = new TrainerProcess(loadConfig({ overrides: { ...base, registryDir: trainerDir } }));
    const written: string[] = [];
    const logs: string[] = [];
    trainer.on('version', (m) => written.push(m.meta.version));
    trainer.on('log', (m) => logs.push(m.line));
    await trainer.start();
    cleanup.push(() => trainer.stop());

    const producer = new EventProducer(kafka, base.kafka.labelsTopic);
    cleanup.push(() => producer.close());
    let sent = 0;
    while (written.length < 12 && sent < 3000) {
      await producer.send(events(sent, 40));
      sent += 40;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (process.env.RETENTION_DEBUG) cleanup.push(async () => console.log(logs.join('\n'), mirrorLog.join('\n'), written.join(' '), sent));
    await waitFor('a checkpoint with every event sent', async () => {
      const newest = await trainerStore.newest('r');
      return newest !== null && (await trainerStore.meta('r', newest)).examplesSeen === sent;
    }, 120_000);
    expect(written.length).toBeGreaterThanOrEqual(12);
    const newest = (await trainerStore.newest('r'))!;
    const kept = Array.from({ length: KEEP }, (_, i) => `v${num(newest) - KEEP + 1 + i}`);

    // The trainer's directory: the newest three (LATEST is the newest, its rollback target the one before).
    await waitFor(`the trainer's directory down to ${kept.join(', ')}`, async () => JSON.stringify(await trainerStore.list('r')) === JSON.stringify(kept), 60_000);
    // The trainer logs the removal after it (over IPC): let the line arrive.
    const removedLine = (): boolean => logs.some((l) => /^retention: removed \d+ version\(s\) of r here and on test\.retention\.registry/.test(l));
    await waitFor('the retention log line', removedLine, 30_000).catch(() => undefined);
    expect(removedLine()).toBe(true);
    // The replica on another machine follows the tombstones, and serves the newest version.
    await waitFor(`the replica's directory down to ${kept.join(', ')}`, async () => JSON.stringify(await mirrorStore.list('r')) === JSON.stringify(kept), 60_000);
    expect(await mirrorStore.latest('r')).toBe(newest);
    expect(mirrorLog.some((l) => l.includes('registry: removed r/v1 (deleted on the topic)'))).toBe(true);
    await waitFor(`the replica to serve ${newest}`, () => replica.fleet.has('r') && replica.fleet.get('r').holder.version === newest, 60_000);

    // The topic: every key of every removed version ends in a tombstone; the kept ones are whole.
    const records = await newestRecords(base.registry.topic);
    const manifests = new Map<string, string[]>();
    for (const [key] of records) {
      const k = parseRegistryKey(key);
      if (k && k.kind !== 'state') manifests.set(k.version, [...(manifests.get(k.version) ?? []), key]);
    }
    const removed = [...manifests.keys()].filter((v) => !kept.includes(v)).sort((a, b) => num(a) - num(b));
    expect(removed[0]).toBe('v1');
    expect(removed.length).toBeGreaterThanOrEqual(written.length + 1 - KEEP);
    for (const v of removed) {
      const live = manifests.get(v)!.filter((key) => records.get(key) !== null);
      expect({ version: v, live }).toEqual({ version: v, live: [] });
    }
    for (const v of kept) {
      const manifest = registryManifestSchema.parse(JSON.parse(records.get(`r/${v}/manifest`)!.toString()));
      for (const key of manifestKeys(manifest)) expect(records.get(key)).not.toBeNull();
    }

    // `models delete` in registry.mode kafka, from a machine of its own: the replica removes the model and stops serving it.
    await trainer.stop();
    const configFile = path.join(cliDir, 'streamtune.json');
    await fs.writeFile(configFile, JSON.stringify({ registryDir: path.join(cliDir, 'registry'), registry: base.registry, kafka: base.kafka }));
    const deleted = runCli(['models', 'delete', 'r', '--config', configFile]);
    const code = await new Promise((r) => deleted.child.once('exit', r));
    expect(code, deleted.lines.join('\n')).toBe(0);
    expect(JSON.parse(deleted.lines.find((l) => l.startsWith('{"model"'))!)).toMatchObject({ model: 'r', deleted: true, versions: KEEP });
    await waitFor('the replica to remove the model', async () => !(await mirrorStore.exists('r')), 60_000);
    expect(await mirrorStore.models()).toEqual([]);
    await waitFor('the replica to stop serving the model', () => !replica.fleet.has('r'), 60_000);
    const after = await newestRecords(base.registry.topic);
    expect([...after].filter(([key, value]) => key.startsWith('r/') && value !== null).map(([key]) => key)).toEqual([]);
    expect(after.has(stateKey('r'))).toBe(true);
    // The announcement is withdrawn: a replica that starts later never learns of the model.
    const announcements = await newestRecords(base.kafka.modelsTopic);
    expect([announcements.get('r'), announcements.get('r/operator')]).toEqual([null, null]);
  }, 720_000);
});
