import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError, trainingConfig, type TrainingConfig } from '../../src/core/index.js';
import { createKafka, EventProducer, type DeadLetter, type RawRecord } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore, type StagedVersion } from '../../src/registry/index.js';
import { CommitFloor } from '../../src/training/commit-floor.js';
import { TrainerFleet } from '../../src/training/trainer-fleet.js';
import { useTestBackend } from '../helpers/test-backend.js';

describe('CommitFloor', () => {
  it('commits up to the first record a model has not saved, else the position', () => {
    const f = new CommitFloor();
    for (const [model, offset] of [['a', '5'], ['b', '6'], ['a', '7']] as const) {
      f.taken(model, 't/0', offset);
      f.passed('t/0', offset);
    }
    f.passed('t/1', '41');
    expect(f.offsets()).toEqual({ 't/0': '5', 't/1': '42' });
    f.clean('a');
    expect(f.offsets()).toEqual({ 't/0': '6', 't/1': '42' });
    expect(f.partitionsOf('b')).toEqual(['t/0']);
    f.clean('b');
    expect(f.offsets()).toEqual({ 't/0': '8', 't/1': '42' });
    // A record read again (after a rewind) never moves the position back.
    f.passed('t/0', '2');
    expect(f.offsets()['t/0']).toBe('8');
    f.taken('b', 't/0', '8');
    f.retain(new Set(['t/1']));
    expect(f.offsets()).toEqual({ 't/1': '42' });
    expect(f.partitionsOf('b')).toEqual([]);
  });
});

describe('EventProducer keys', () => {
  it('partitions by model: the event model, else the default model, else the id', () => {
    // Nothing is sent: the producer connects only on its first send.
    const kafka = createKafka(['127.0.0.1:1'], 'keys-test');
    expect(new EventProducer(kafka, 't', { defaultModel: 'd' }).keyOf({ id: 'e1', model: 'm' })).toBe('m');
    expect(new EventProducer(kafka, 't', { defaultModel: 'd' }).keyOf({ id: 'e1' })).toBe('d');
    expect(new EventProducer(kafka, 't').keyOf({ id: 'e1' })).toBe('e1');
  });
});

describe('TrainerFleet over an in-memory source', () => {
  let dir = '';
  let backend = '';
  beforeAll(async () => {
    backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-fleet-'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  let offset = 0;
  const rec = (partition: number, ev: object | string): RawRecord => ({
    topic: 't',
    partition,
    offset: String(offset++),
    key: null,
    value: Buffer.from(typeof ev === 'string' ? ev : JSON.stringify(ev)),
    timestamp: '0',
  });
  const ev = (id: string, model: string | undefined, dim: number): object => ({ id, ...(model ? { model } : {}), input: { features: Array.from({ length: dim }, () => 0.5) }, label: 'x' });

  async function fleetOf(store: VersionStore, training: TrainingConfig, now?: () => number) {
    const letters: DeadLetter[] = [];
    const commits: Record<string, string>[] = [];
    let acked = 0;
    const fleet = new TrainerFleet({
      store,
      topic: 't',
      training,
      defaultModel: 'a',
      backend,
      deadLetters: { send: async (l) => void letters.push(...l) },
      ack: () => void acked++,
      commit: async (o) => void commits.push(o),
      now,
    });
    fleet.assign('t', [0, 1]);
    return { fleet, letters, commits, acked: () => acked };
  }

  it('routes by model, loads models lazily (also one made meanwhile), dead-letters unknown ones, and commits no further than a model saved', async () => {
    const store = new VersionStore(path.join(dir, 'r1'));
    const save = async (model: string, dim: number): Promise<void> => {
      const l = new DenseClassifier({ featureSpec: { kind: 'features', dim }, labels: ['x', 'y'], hiddenUnits: [] });
      await store.save(model, l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
      l.dispose();
    };
    await save('a', 2);
    await save('b', 3);
    // No checkpoint by count or time in this test, unless asked.
    const f = await fleetOf(store, trainingConfig({ versionEverySteps: 1000, versionEveryMs: 3_600_000, guardrail: { enabled: false } }));
    offset = 0;
    const batch = [rec(0, ev('1', undefined, 2)), rec(1, ev('2', 'b', 3)), rec(0, ev('3', 'ghost', 2)), rec(0, '{bad'), rec(1, ev('4', 'b', 2)), rec(0, ev('5', 'a', 2))];
    await f.fleet.step(batch);
    expect(f.fleet.models.sort()).toEqual(['a', 'b']);
    expect(f.fleet.trainer('a')!.totals.learned).toBe(2);
    expect(f.fleet.trainer('b')!.totals.learned).toBe(1);
    // b's spec has 3 features: b's own decoder rejects the 2-feature event.
    expect(f.letters.map((l) => [l.record.offset, l.reason])).toEqual([
      ['2', 'unknown_model'],
      ['3', 'bad_json'],
      ['4', 'wrong_dimension'],
    ]);
    expect(f.letters[0]!.message).toMatch(/model "ghost" has no version/);
    expect(f.acked()).toBe(batch.length);
    // A model created while the fleet runs is learned from its first event.
    await save('c', 2);
    await f.fleet.step([rec(0, ev('6', 'c', 2))]);
    expect(f.fleet.trainer('c')!.totals.learned).toBe(1);
    // Nothing saved: nothing committed. Once every model saved, the commit reaches the position.
    expect(f.commits).toEqual([]);
    await f.fleet.saveAll();
    expect(f.commits.at(-1)).toEqual({ 't/0': '7', 't/1': '5' });
    const chain = await store.meta('a', (await store.newest('a'))!);
    expect({ seen: chain.examplesSeen, offsets: chain.offsets }).toEqual({ seen: 2, offsets: { 't/0': '6' } });
    f.fleet.dispose();
  });

  it('holds the commit below unsaved learning, drops a model whose partition moved, and keeps to `training.models`', async () => {
    const store = new VersionStore(path.join(dir, 'r2'));
    for (const model of ['a', 'b']) {
      const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['x', 'y'], hiddenUnits: [] });
      await store.save(model, l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
      l.dispose();
    }
    let now = 0;
    const training = trainingConfig({ versionEverySteps: 1000, versionEveryMs: 100, guardrail: { enabled: false }, models: ['a', 'b'] });
    const f = await fleetOf(store, training, () => now);
    offset = 10;
    await f.fleet.step([rec(0, ev('1', 'a', 2)), rec(1, ev('2', 'b', 2)), rec(0, ev('3', 'zed', 2))]);
    expect(f.letters.map((l) => l.reason)).toEqual(['wrong_model']);
    // While the group rebalances, no checkpoint and no commit, though both are due by time.
    now = 200;
    f.fleet.revoke();
    await f.fleet.step([]);
    expect(f.commits).toEqual([]);
    expect([await store.newest('a'), await store.newest('b')]).toEqual(['v1', 'v1']);
    // Partition 1 moved to another trainer: b's unsaved learning is dropped unsaved (and a late
    // record of partition 1 is not learned); a keeps its own, saves it, and commits.
    f.fleet.assign('t', [0]);
    await f.fleet.step([rec(1, ev('4', 'b', 2))]);
    expect(f.fleet.models).toEqual(['a']);
    expect(f.fleet.totals).toMatchObject({ dropped: 1, discarded: 1, wrongModel: 1 });
    expect([await store.newest('a'), await store.newest('b')]).toEqual(['v2', 'v1']);
    // Before the install, the fence check commits the floor as it stands (below a's unsaved record 10); the checkpoint then moves it past.
    expect(f.commits).toEqual([{ 't/0': '10' }, { 't/0': '13' }]);
    f.fleet.dispose();
  });
  it('rides out a checkpoint the brokers do not take: learning goes on, no commit passes it, a later checkpoint holds it', async () => {
    const store = new VersionStore(path.join(dir, 'r4'));
    const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['x', 'y'], hiddenUnits: [] });
    await store.save('a', l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    l.dispose();
    let now = 0;
    let brokersDown = true;
    const commits: { offsets: Record<string, string>; versions: string[] }[] = [];
    const logs: string[] = [];
    // The registry on Kafka: each checkpoint is published with its offsets (one transaction) before it is installed.
    const fleet = new TrainerFleet({
      store,
      topic: 't',
      training: trainingConfig({ versionEverySteps: 1, versionEveryMs: 3_600_000, guardrail: { enabled: false } }),
      defaultModel: 'a',
      backend,
      deadLetters: { send: async () => undefined },
      ack: () => undefined,
      commitsBeforeInstall: true,
      commit: async (offsets: Record<string, string>, versions: StagedVersion[]) => {
        if (brokersDown) throw new BrokerError('the registry topic has no leader');
        commits.push({ offsets, versions: versions.map((v) => v.version) });
      },
      log: (line) => logs.push(line),
      now: () => now,
    });
    fleet.assign('t', [0]);
    offset = 0;
    await fleet.step([rec(0, ev('1', 'a', 2)), rec(0, ev('2', 'a', 2))]);
    // Not taken: nothing installed, nothing committed, the learning pending; the trainer said so and goes on.
    expect(await store.newest('a')).toBe('v1');
    expect(fleet.trainer('a')!.unsaved).toBe(2);
    expect(logs.filter((x) => /checkpoint not taken.*tried again in 1000 ms.*no leader/.test(x))).toHaveLength(1);
    // It goes on learning; the next try waits for its backoff (1 s, then 2 s).
    now = 500;
    await fleet.step([rec(0, ev('3', 'a', 2))]);
    expect(logs).toHaveLength(1);
    now = 1000;
    await fleet.step([rec(0, ev('4', 'a', 2))]);
    expect(logs.at(-1)).toMatch(/tried again in 2000 ms/);
    expect(fleet.trainer('a')!.totals.learned).toBe(4);
    // The brokers are back: the next checkpoint holds every event learned, and its commit passes them all.
    brokersDown = false;
    now = 3000;
    await fleet.step([rec(0, ev('5', 'a', 2))]);
    expect(await store.newest('a')).toBe('v2');
    const v2 = await store.meta('a', 'v2');
    expect({ parent: v2.parent, seen: v2.examplesSeen, offsets: v2.offsets }).toEqual({ parent: 'v1', seen: 5, offsets: { 't/0': '5' } });
    expect(commits).toEqual([{ offsets: { 't/0': '5' }, versions: ['v2'] }]);
    fleet.dispose();
  });

  it('after a checkpoint the brokers did not take, an offsets-only commit stays below what it held', async () => {
    const store = new VersionStore(path.join(dir, 'r5'));
    const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['x', 'y'], hiddenUnits: [] });
    await store.save('a', l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    l.dispose();
    const commits: Record<string, string>[] = [];
    const fleet = new TrainerFleet({
      store,
      topic: 't',
      training: trainingConfig({ versionEverySteps: 1, versionEveryMs: 3_600_000, guardrail: { enabled: false } }),
      defaultModel: 'a',
      backend,
      deadLetters: { send: async () => undefined },
      ack: () => undefined,
      commitsBeforeInstall: true,
      commit: async (offsets: Record<string, string>, versions: StagedVersion[]) => {
        if (versions.length > 0) throw new BrokerError('the registry topic has no leader');
        commits.push(offsets);
      },
      now: () => 0,
    });
    fleet.assign('t', [0]);
    offset = 7;
    await fleet.step([rec(0, ev('1', 'a', 2)), rec(0, ev('2', 'a', 2))]);
    // Closing: the last checkpoint is not taken either; the group's commit stays at a's first unsaved record.
    await fleet.saveAll();
    expect(commits).toEqual([{ 't/0': '7' }]);
    fleet.dispose();
  });

  it('saves and unloads a model idle for `training.idleUnloadMs`, and loads it again on its next event', async () => {
    const store = new VersionStore(path.join(dir, 'r3'));
    const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['x', 'y'], hiddenUnits: [] });
    await store.save('a', l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    l.dispose();
    let now = 0;
    const f = await fleetOf(store, trainingConfig({ versionEverySteps: 1000, versionEveryMs: 3_600_000, idleUnloadMs: 1000, guardrail: { enabled: false } }), () => now);
    offset = 0;
    await f.fleet.step([rec(0, ev('1', 'a', 2))]);
    now = 999;
    await f.fleet.step([]);
    expect(f.fleet.models).toEqual(['a']);
    now = 1000;
    await f.fleet.step([]);
    expect({ models: f.fleet.models, unloaded: f.fleet.totals.unloaded, newest: await store.newest('a') }).toEqual({ models: [], unloaded: 1, newest: 'v2' });
    expect(f.commits.at(-1)).toEqual({ 't/0': '1' });
    await f.fleet.step([rec(0, ev('2', 'a', 2))]);
    expect(f.fleet.trainer('a')!.checkpoint!.version).toBe('v2');
    await f.fleet.saveAll();
    expect((await store.meta('a', 'v3')).examplesSeen).toBe(2);
    f.fleet.dispose();
  });
});
