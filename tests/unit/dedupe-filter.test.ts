import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainingConfig } from '../../src/core/index.js';
import { decodeRecord } from '../../src/features/index.js';
import type { RawRecord } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { murmur3 } from '../../src/training/bloom-filter.js';
import { DedupeFilter } from '../../src/training/dedupe-filter.js';
import { DEDUPE_FILTER_FILE, OnlineTrainer, TRAINER_STATE_FILE } from '../../src/training/online-trainer.js';
import { useTestBackend } from '../helpers/test-backend.js';

const ids = (from: number, n: number, prefix = 'e'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);
const share = (f: DedupeFilter, xs: string[]): number => xs.filter((x) => f.has(x)).length / xs.length;

describe('DedupeFilter', () => {
  it('hashes with MurmurHash3 x86 32-bit (its published test values: the saved format depends on them)', () => {
    const h = (s: string, seed: number): number => murmur3(Buffer.from(s), seed);
    expect([h('', 0), h('', 1), h('test', 0), h('Hello, world!', 0x9747b28c), h('The quick brown fox jumps over the lazy dog', 0x9747b28c)]).toEqual([
      0, 0x514e28b7, 0xba6bd213, 0x24884cba, 0x2fa826cd,
    ]);
  });

  it('recognises every one of the last `window` ids, forgets older ones, and takes few fresh ids for duplicates', () => {
    const f = new DedupeFilter(10_000, 0.001);
    // Taken for duplicates while going in: the false positives of a filter filling up (fewer than the stated rate).
    expect(ids(0, 35_000).filter((id) => f.seen(id)).length).toBeLessThan(35);
    // The last window (and more): always recognised, a Bloom filter has no false negatives.
    expect(share(f, ids(25_000, 10_000))).toBe(1);
    // Ids two windows old and more have aged out (only false positives remain).
    expect(share(f, ids(0, 10_000))).toBeLessThan(0.002);
    // Fresh ids taken for duplicates: at most the stated rate (measured 0.0004 here; deterministic ids, so no flake).
    expect(share(f, ids(0, 100_000, 'fresh-'))).toBeLessThanOrEqual(0.001);
    expect(f.seen('e34999')).toBe(true);
  });

  it('is a fixed number of bytes, whatever the ids and however many went in (none, half a window, several windows)', () => {
    const sizes: number[] = [];
    for (const [n, prefix] of [
      [0, 'e'],
      [1, 'e'],
      [5_000, 'e'],
      [20_000, 'e'],
      [50_000, 'e'],
      [20_000, 'a-much-longer-event-id-of-eighty-characters-'.padEnd(76, 'x')],
    ] as const) {
      const f = new DedupeFilter(10_000, 0.001);
      for (const id of ids(0, n, prefix)) f.add(id);
      sizes.push(f.toBytes().length);
    }
    expect(new Set(sizes).size).toBe(1);
    // Two generations of ~15.8 bits per id: ~4 bytes per id of the window.
    expect(sizes[0]).toBeGreaterThan(2 * 10_000 * 1.9);
    expect(sizes[0]).toBeLessThan(2 * 10_000 * 2.1);
    const full = new DedupeFilter(100_000, 0.001);
    for (const id of ids(0, 100_000)) full.add(id);
    full.add('one-more');
    expect(full.toBytes().length).toBe(395_540);
  });

  it('round-trips before its first window is full (the generation not started yet is saved empty)', () => {
    const f = new DedupeFilter(1000, 0.001);
    for (const id of ids(0, 400)) f.add(id);
    const back = DedupeFilter.fromBytes(1000, 0.001, f.toBytes());
    expect(share(back, ids(0, 400))).toBe(1);
    expect(share(back, ids(0, 10_000, 'fresh-'))).toBeLessThanOrEqual(0.001);
    // It goes on filling the same generation: 600 more before the window turns over, then the first 400 are still known.
    for (const id of ids(400, 1200)) back.add(id);
    expect(share(back, ids(0, 1600))).toBe(1);
    expect(back.toBytes().length).toBe(f.toBytes().length);
  });

  it('round-trips through its bytes, and a damaged or unknown file gives an empty filter', () => {
    const f = new DedupeFilter(1000, 0.001);
    for (const id of ids(0, 1500)) f.add(id);
    const back = DedupeFilter.fromBytes(1000, 0.001, f.toBytes());
    expect(share(back, ids(500, 1000))).toBe(1);
    expect(back.toBytes()).toEqual(f.toBytes());
    expect(share(DedupeFilter.fromBytes(1000, 0.001, f.toBytes().subarray(0, 100)), ids(500, 1000))).toBe(0);
    expect(share(DedupeFilter.fromBytes(1000, 0.001, Buffer.from('{"recentIds":["e1"]}')), ['e1'])).toBe(0);
  });
});

describe('a trainer restoring its dedupe state', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  function record(id: string, offset: number): RawRecord {
    return { topic: 't', partition: 0, offset: String(offset), key: Buffer.from(id), value: Buffer.from(JSON.stringify({ id, input: { features: [0.2, 0.7] }, label: 'a' })), timestamp: '0' };
  }

  async function trainerOn(store: VersionStore): Promise<OnlineTrainer> {
    const parent = await store.meta('m', (await store.newest('m'))!);
    const { learner } = await store.load('m', parent.version);
    const t = new OnlineTrainer({
      model: 'm',
      learner,
      store,
      parent,
      backend: 'test',
      topic: 't',
      training: trainingConfig({ versionEverySteps: 1, dedupeWindow: 1000, guardrail: { enabled: false } }),
      deadLetters: { send: async () => undefined },
      ack: () => undefined,
      commit: async () => undefined,
    });
    await t.restoreState();
    return t;
  }

  it('drops a retry of an id saved in the older format (the window as JSON ids), and saves the fixed-size filter from then on', async () => {
    const store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-dedupe-')));
    const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [] });
    // A version as trainers before the filter saved it.
    await store.save('m', learner, { parent: null, regime: 'test', backend: 'test', examplesSeen: 2, metrics: {}, offsets: { 't/0': '2' } }, { [TRAINER_STATE_FILE]: JSON.stringify({ recentIds: ['old-1', 'old-2'] }) });
    learner.dispose();
    const t = await trainerOn(store);
    const spec = { featureSpec: t.learner.featureSpec, labels: t.learner.describe().labels };
    await t.step([decodeRecord(record('old-2', 2), spec), decodeRecord(record('new-1', 3), spec)]);
    expect(t.totals).toMatchObject({ learned: 1, duplicates: 1 });
    const v2 = t.checkpoint!.version;
    expect(v2).toBe('v2');
    expect(await store.files('m', v2)).toContain(DEDUPE_FILTER_FILE);
    expect(await store.files('m', v2)).not.toContain(TRAINER_STATE_FILE);
    const bytes = (await store.readExtraBytes('m', v2, DEDUPE_FILTER_FILE))!.length;

    // The next owner restores from v2's filter: both the old and the new ids are still known.
    const next = await trainerOn(store);
    await next.step([decodeRecord(record('old-1', 4), spec), decodeRecord(record('new-1', 5), spec), decodeRecord(record('new-2', 6), spec)]);
    expect(next.totals).toMatchObject({ learned: 1, duplicates: 2 });
    expect((await store.readExtraBytes('m', next.checkpoint!.version, DEDUPE_FILTER_FILE))!.length).toBe(bytes);
    t.learner.dispose();
    next.learner.dispose();
    await fs.rm(store.root, { recursive: true, force: true });
  });
});
