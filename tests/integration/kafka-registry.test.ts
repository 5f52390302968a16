import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/index.js';
import { createKafka } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { chunkKey, KafkaRegistryMirror, KafkaRegistryPublisher, manifestKey, registryPublisher, sha256, splitChunks, startRegistryMirror, VersionStore, type RegistryManifest } from '../../src/registry/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const CHUNK = 1024;
const X = [
  [0.1, 0.9, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.2, 0.1, 0.0, 0.3, 0.9, 0.5, 0.4, 0.2],
  [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4, 0.5, 0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8],
];

describe('a registry on a compacted Kafka topic: versions reach a machine with an empty disk', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  const kafka = createKafka(brokers, 'kafka-registry-test');
  const topic = `test.registry.${uniq()}`;
  let dirA: string;
  let dirB: string;
  let storeA: VersionStore;
  let storeB: VersionStore;
  let publisher: KafkaRegistryPublisher;
  let backend: string;

  beforeAll(async () => {
    backend = await useTestBackend();
    dirA = await fs.mkdtemp(path.join(os.tmpdir(), 'st-kreg-a-'));
    dirB = await fs.mkdtemp(path.join(os.tmpdir(), 'st-kreg-b-'));
    cleanup.push(() => fs.rm(dirA, { recursive: true, force: true }), () => fs.rm(dirB, { recursive: true, force: true }));
    storeA = new VersionStore(dirA);
    storeB = new VersionStore(dirB);
    publisher = new KafkaRegistryPublisher({ kafka, topic, store: storeA, chunkBytes: CHUNK });
    cleanup.push(() => publisher.close());
  });

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  /** Saves a trained learner in store A as the next version; returns its name. */
  async function saveInA(seed: number, extras: Record<string, string> = {}): Promise<string> {
    const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 16 }, labels: ['a', 'b', 'c'], hiddenUnits: [48], seed });
    await learner.learn(X, ['a', 'b']);
    const parent = await storeA.newest('m');
    const meta = await storeA.save('m', learner, { parent, regime: 'test', backend, examplesSeen: 2, metrics: {}, offsets: { 'labels/0': String(seed * 10) } }, extras);
    learner.dispose();
    return meta.version;
  }

  function mirrorB(log: string[], versions: string[]): KafkaRegistryMirror {
    const mirror = new KafkaRegistryMirror({ kafka, topic, store: storeB, log: (l) => log.push(l), onVersion: (m, v) => void versions.push(`${m}@${v}`) });
    cleanup.push(() => mirror.close());
    return mirror;
  }

  it('publishes a version in chunks; a mirror with an empty directory catches up, loads it and predicts as the original', async () => {
    const v1 = await saveInA(1, { 'trainer-state.json': JSON.stringify({ seen: ['e1', 'e2'] }) });
    const manifest = await publisher.publish('m', v1);
    const weights = manifest.files.find((f) => f.name === 'weights.bin')!;
    expect(weights.size).toBeGreaterThan(CHUNK);
    expect(weights.chunks.length).toBeGreaterThan(1);
    expect(manifest.files.map((f) => f.name)).toEqual(expect.arrayContaining(['meta.json', 'model.json', 'trainer-state.json']));

    const log: string[] = [];
    const versions: string[] = [];
    const mirror = mirrorB(log, versions);
    await mirror.start();
    await mirror.caughtUp();
    expect(versions).toEqual(['m@v1']);
    expect(await storeB.list('m')).toEqual(['v1']);
    expect(await storeB.latest('m')).toBe('v1');
    for (const name of await storeA.files('m', v1)) {
      expect(await fs.readFile(path.join(storeB.versionDir('m', v1), name))).toEqual(await fs.readFile(path.join(storeA.versionDir('m', v1), name)));
    }
    expect((await storeB.meta('m', v1)).offsets).toEqual({ 'labels/0': '10' });
    expect(await storeB.readExtra('m', v1, 'trainer-state.json')).toBe(JSON.stringify({ seen: ['e1', 'e2'] }));
    const a = await storeA.load('m', v1);
    const b = await storeB.load('m', v1);
    expect(b.learner.predict(X)).toEqual(a.learner.predict(X));
    a.learner.dispose();
    b.learner.dispose();

    // A second version arrives while the mirror runs.
    const v2 = await saveInA(2);
    const arrived = mirror.waitForVersion('m', v2, 30_000);
    await publisher.publish('m', v2);
    await arrived;
    await waitFor('onVersion for v2', () => versions.includes('m@v2'), 30_000);
    // sync: everything on the topic now is in store B when it resolves.
    const v3 = await saveInA(3);
    await publisher.publish('m', v3);
    await mirror.sync();
    expect(await storeB.has('m', v3)).toBe(true);
    expect(versions).toEqual(['m@v1', 'm@v2', 'm@v3']);
    expect(await storeB.latest('m')).toBe('v3');

    // The operator state travels too.
    await storeA.writeState('m', { pinned: 'v1', rejected: ['v2'] });
    await publisher.publishState('m');
    await waitFor('the pin mirrored', async () => (await storeB.readState('m')).pinned === 'v1', 30_000);
    expect(await storeB.readState('m')).toEqual({ pinned: 'v1', rejected: ['v2'] });
    const never = mirror.waitForVersion('m', 'v99').then(
      () => 'arrived',
      (err: Error) => err.message,
    );
    await mirror.close();
    expect(await never).toMatch(/registry mirror is closed/);
    await expect(mirror.sync()).rejects.toThrow(/closed/);
  }, 180_000);

  it('does not write a version with a corrupt chunk or a file that does not match its manifest, and says why', async () => {
    const log: string[] = [];
    const versions: string[] = [];
    const mirror = mirrorB(log, versions);
    await mirror.start();
    await mirror.caughtUp();
    expect(versions).toEqual([]);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    /** Produces the records of a version of store A by hand, with `tamper` applied to its weights. */
    async function produceByHand(version: string, tamper: { fill?: number; manifestSha?: string }): Promise<void> {
      const manifest: RegistryManifest = { format: 1, model: 'm', version, files: [], publishedAt: new Date().toISOString() };
      for (const name of await storeA.files('m', version)) {
        const data = await fs.readFile(path.join(storeA.versionDir('m', version), name));
        const chunks = splitChunks(data, CHUNK);
        const hashes = chunks.map(sha256);
        for (const [i, chunk] of chunks.entries()) {
          // The corrupt chunk keeps the key of the true one: its bytes changed on the way.
          const value = name === 'weights.bin' && i === 1 && tamper.fill !== undefined ? Buffer.from(chunk).fill(tamper.fill, 0, 8) : chunk;
          await producer.send({ topic, acks: -1, messages: [{ key: chunkKey('m', version, name, i, hashes[i]!), value }] });
        }
        manifest.files.push({ name, size: data.length, sha256: name === 'weights.bin' && tamper.manifestSha ? tamper.manifestSha : sha256(data), chunks: hashes });
      }
      await producer.send({ topic, acks: -1, messages: [{ key: manifestKey('m', version), value: JSON.stringify(manifest) }] });
    }

    const corrupt = await saveInA(4);
    await produceByHand(corrupt, { fill: 0xff });
    const mismatched = await saveInA(5);
    await produceByHand(mismatched, { manifestSha: 'e'.repeat(64) });
    expect([corrupt, mismatched]).toEqual(['v4', 'v5']);
    await waitFor('log lines for v4 and v5', () => log.some((l) => l.includes('m/v4 not written')) && log.some((l) => l.includes('m/v5 not written')), 30_000);
    expect(log.find((l) => l.includes('chunk 1 of weights.bin of m/v4') && l.includes('dropped as corrupt'))).toBeDefined();
    expect(log.find((l) => l.includes('m/v4 not written'))).toMatch(/weights\.bin#1 \(corrupt\)/);
    expect(log.find((l) => l.includes('m/v5 not written'))).toMatch(/weights\.bin .*sha256 .*manifest says .*eeee/);
    expect(await storeB.list('m')).toEqual(['v1', 'v2', 'v3']);
    expect(versions).toEqual([]);
    await mirror.close();
  });

  it('a restarted mirror rewrites nothing it has, and still refuses the corrupt version after reading the topic to its end', async () => {
    const metaFile = path.join(storeB.versionDir('m', 'v1'), 'meta.json');
    const before = await fs.stat(metaFile);
    const log: string[] = [];
    const versions: string[] = [];
    // As a server wires it from its configuration.
    const config = loadConfig({ overrides: { model: 'm', registry: { mode: 'kafka', topic } } });
    const mirror = (await startRegistryMirror(kafka, config, storeB, { log: (l) => log.push(l), onVersion: (m, v) => void versions.push(`${m}@${v}`) }))!;
    cleanup.push(() => mirror.close());
    expect(versions).toEqual([]);
    expect(await storeB.list('m')).toEqual(['v1', 'v2', 'v3']);
    const after = await fs.stat(metaFile);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(log.find((l) => l.includes('m/v4 not written: after reading'))).toMatch(/weights\.bin#1 \(corrupt\)/);
    expect(log.find((l) => l.includes('m/v5 not written'))).toMatch(/manifest says/);
    expect(log.some((l) => l.startsWith('registry: mirrored'))).toBe(false);
    await mirror.close();
  });

  it('carries files larger than the broker\'s default message limit, in chunks of the default size and of the largest allowed', async () => {
    const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 400 }, labels: ['a', 'b'], hiddenUnits: [1024], seed: 9 });
    const x = [Array.from({ length: 400 }, (_, i) => (i % 7) / 7)];
    const got: string[] = [];
    const mirror = (await startRegistryMirror(kafka, loadConfig({ overrides: { model: 'big', registry: { mode: 'kafka', topic } } }), storeB, { onVersion: (m, v) => void got.push(`${m}@${v}`) }))!;
    cleanup.push(() => mirror.close());
    for (const chunkBytes of [undefined, 1024 * 1024]) {
      const config = loadConfig({ overrides: { model: 'big', registry: { mode: 'kafka', topic, chunkBytes } } });
      const meta = await storeA.save('big', learner, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
      const publisher = registryPublisher(kafka, config, storeA)!;
      const publishing = publisher.publish('big', meta.version);
      // close() lets the publishes asked for finish first.
      await publisher.close();
      const manifest = await publishing;
      await expect(publisher.publish('big', meta.version)).rejects.toThrow(/closed/);
      const weights = manifest.files.find((f) => f.name === 'weights.bin')!;
      expect(weights.size).toBeGreaterThan(1024 * 1024);
      expect(weights.chunks).toHaveLength(Math.ceil(weights.size / config.registry.chunkBytes));
      await mirror.waitForVersion('big', meta.version, 30_000);
      const loaded = await storeB.load('big', meta.version);
      expect(loaded.learner.predict(x)).toEqual(learner.predict(x));
      loaded.learner.dispose();
    }
    learner.dispose();
    expect(got).toEqual(['big@v1', 'big@v2']);
    expect(registryPublisher(kafka, loadConfig({}), storeA)).toBeNull();
  });

  it('refuses a registry topic that retention may empty, or too small for a chunk, naming the key to change', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const deleting = `${topic}.deleting`;
    const small = `${topic}.small`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: deleting, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
        { topic: small, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: '100000' }] },
      ],
    });
    await admin.disconnect();
    const v1 = (await storeA.list('m'))[0]!;
    const onDeleting = new KafkaRegistryPublisher({ kafka, topic: deleting, store: storeA });
    const onSmall = new KafkaRegistryPublisher({ kafka, topic: small, store: storeA });
    cleanup.push(() => onDeleting.close(), () => onSmall.close());
    await expect(onDeleting.publish('m', v1)).rejects.toThrow(/invalid configuration "registry\.topic": .*cleanup\.policy=delete/);
    await expect(onSmall.publish('m', v1)).rejects.toThrow(/invalid configuration "registry\.chunkBytes": 524288 bytes .*max\.message\.bytes=100000/);
    const mirror = new KafkaRegistryMirror({ kafka, topic: deleting, store: storeB });
    cleanup.push(() => mirror.close());
    await expect(mirror.start()).rejects.toBeInstanceOf(ConfigError);
    await expect(mirror.caughtUp()).rejects.toBeInstanceOf(ConfigError);
  });
});
