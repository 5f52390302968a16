import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type RetentionConfig } from '../../src/core/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { manifestKey, pruneVersions, RegistryRetention, retentionPlan, VersionStore, type KafkaRegistryPublisher, type VersionFacts } from '../../src/registry/index.js';

const policy = (p: Partial<RetentionConfig> = {}): RetentionConfig => ({ ...loadConfig({}).registry.retention, ...p });
const HOUR = 3_600_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');

/** v1…vN, one a minute up to NOW; `rejected` ones were not promoted. */
function versions(n: number, notPromoted: number[] = []): VersionFacts[] {
  return Array.from({ length: n }, (_, i) => ({ version: `v${i + 1}`, createdAtMs: NOW - (n - 1 - i) * 60_000, promoted: !notPromoted.includes(i + 1) }));
}
const kept = (plan: { keep: Map<string, string> }): string[] => [...plan.keep.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `v${from + i}`);

describe('the retention rule', () => {
  const none = { pinned: null, rejected: [] };

  it('keeps the newest N and the serving version with its rollback targets, drops the rest oldest first', () => {
    const plan = retentionPlan({ versions: versions(50), latest: 'v50', state: none, nowMs: NOW }, policy({ keepVersions: 5, keepRollbackTargets: 2 }));
    // LATEST is the newest here: its rollback targets v49 and v48 are among the newest five anyway.
    expect(kept(plan)).toEqual(range(46, 50));
    expect(plan.drop).toEqual(range(1, 45));
    expect(plan.keep.get('v50')).toBe('newest');
  });

  it('keeps an older serving version (newer candidates rejected) and the promoted, not rejected versions before it', () => {
    // v31…v50 were not promoted: v30 serves; v29 was not promoted either and v28 was rolled back by an operator.
    const facts = versions(50, [...range(31, 50), 'v29'].map((v) => Number(v.slice(1))));
    const plan = retentionPlan({ versions: facts, latest: 'v30', state: { pinned: null, rejected: ['v28'] }, nowMs: NOW }, policy({ keepVersions: 5, keepRollbackTargets: 2 }));
    expect(kept(plan)).toEqual(['v26', 'v27', 'v30', ...range(46, 50)]);
    expect(plan.keep.get('v30')).toBe('latest');
    expect(plan.keep.get('v27')).toBe('rollback-target');
    expect(plan.keep.get('v26')).toBe('rollback-target');
    expect(plan.drop).toContain('v28');
    expect(plan.drop).toContain('v29');
  });

  it('keeps the pinned version and the rollback targets below it (it is what serves) and below LATEST (it serves after an unpin)', () => {
    const plan = retentionPlan({ versions: versions(50), latest: 'v40', state: { pinned: 'v10', rejected: [] }, nowMs: NOW }, policy({ keepVersions: 3, keepRollbackTargets: 1 }));
    expect(kept(plan)).toEqual(['v9', 'v10', 'v39', 'v40', 'v48', 'v49', 'v50']);
    expect(plan.keep.get('v10')).toBe('pinned');
    expect(plan.keep.get('v9')).toBe('rollback-target');
  });

  it('keeps versions younger than keepForMs; 0 turns that rule off', () => {
    const facts = versions(100); // one a minute: the last 30 are younger than half an hour
    expect(kept(retentionPlan({ versions: facts, latest: 'v100', state: none, nowMs: NOW }, policy({ keepVersions: 10, keepForMs: HOUR / 2 })))).toEqual(range(71, 100));
    expect(kept(retentionPlan({ versions: facts, latest: 'v100', state: none, nowMs: NOW }, policy({ keepVersions: 10, keepForMs: 0 })))).toEqual(range(91, 100));
  });

  it('keeps every version when keepVersions is 0, and always the newest one', () => {
    expect(retentionPlan({ versions: versions(30), latest: 'v3', state: none, nowMs: NOW }, policy({ keepVersions: 0 })).drop).toEqual([]);
    const plan = retentionPlan({ versions: versions(30, range(1, 30).map((v) => Number(v.slice(1)))), latest: null, state: none, nowMs: NOW }, policy({ keepVersions: 1, keepRollbackTargets: 0 }));
    expect(kept(plan)).toEqual(['v30']);
  });

  it('has defaults defined once in the config schema', () => {
    expect(policy()).toEqual({ keepVersions: 20, keepRollbackTargets: 2, keepForMs: 0 });
  });
});

describe('pruneVersions on a store', () => {
  let dir: string;
  let store: VersionStore;
  beforeAll(async () => {
    await useTestBackend();
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-retention-'));
    store = new VersionStore(dir);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function saveVersions(n: number, promoted: (i: number) => boolean): Promise<void> {
    const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [], seed: 1 });
    for (let i = 1; i <= n; i++) {
      const p = promoted(i);
      await store.save('m', learner, {
        parent: i === 1 ? null : `v${i - 1}`,
        regime: 'test',
        backend: 'cpu',
        examplesSeen: i,
        metrics: {},
        offsets: {},
        promotion: { promoted: p, mode: 'none', candidate: -1, serving: -1, servingVersion: null, events: 0, reason: 'test' },
      });
    }
    learner.dispose();
  }

  it('removes what the rule drops from the directory; the store refuses to remove the newest, latest or pinned version', async () => {
    await saveVersions(12, (i) => i <= 6);
    await store.writeState('m', { pinned: 'v2', rejected: [] });
    expect(await store.latest('m')).toBe('v6');
    const tombstoned: string[][] = [];
    const { removed } = await pruneVersions(store, 'm', policy({ keepVersions: 3, keepRollbackTargets: 1 }), { beforeRemove: async (v) => void tombstoned.push(v) });
    // Kept: v10–v12 (newest), v6 (latest), v2 (pinned) and the rollback targets below them, v5 and v1.
    expect(await store.list('m')).toEqual(['v1', 'v2', 'v5', 'v6', 'v10', 'v11', 'v12']);
    expect(removed).toEqual(['v3', 'v4', 'v7', 'v8', 'v9']);
    expect(tombstoned).toEqual([removed]);
    expect(await store.removeVersion('m', 'v12')).toBe('protected');
    expect(await store.removeVersion('m', 'v6')).toBe('protected');
    expect(await store.removeVersion('m', 'v2')).toBe('protected');
    expect(await store.removeVersion('m', 'v3')).toBe('absent');
    expect(await store.removeVersion('m', 'v10')).toBe('removed');
    // The next version follows the newest, whatever was removed.
    await saveVersions(1, () => true).catch(() => undefined);
    expect(await store.newest('m')).toBe('v13');
  });

  it('removes nothing when the tombstones cannot be written', async () => {
    await saveVersions(5, () => true);
    await expect(pruneVersions(store, 'm', policy({ keepVersions: 1, keepRollbackTargets: 0 }), { beforeRemove: () => Promise.reject(new Error('broker away')) })).rejects.toThrow('broker away');
    expect(await store.list('m')).toEqual(range(1, 5));
  });

  it('removes at most `limit` versions a call, the oldest first', async () => {
    await saveVersions(8, () => true);
    const { removed } = await pruneVersions(store, 'm', policy({ keepVersions: 2, keepRollbackTargets: 0 }), { limit: 4 });
    expect(removed).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(await store.list('m')).toEqual(['v5', 'v6', 'v7', 'v8']);
  });

  it('RegistryRetention tombstones every key of a removed version (the manifest first) before removing it, and nothing when that fails', async () => {
    await saveVersions(5, () => true);
    const sent: string[][] = [];
    let refuse = true;
    const publisher = { topic: 't', tombstone: async (keys: string[]) => (refuse ? Promise.reject(new Error('broker away')) : void sent.push(keys)) } as unknown as KafkaRegistryPublisher;
    const log: string[] = [];
    const retention = new RegistryRetention({
      store,
      policy: policy({ keepVersions: 2, keepRollbackTargets: 0 }),
      publisher,
      chunkBytes: 1024,
      // The mirror read v1's manifest: those keys, as the topic holds them.
      topicKeys: (m, v) => (v === 'v1' ? [manifestKey(m, v), `${m}/${v}/chunk/weights.bin/0/${'a'.repeat(64)}`] : undefined),
      log: (l) => log.push(l),
    });
    await retention.afterVersion('m');
    expect(await store.list('m')).toEqual(range(1, 5));
    expect(log.at(-1)).toMatch(/retention of m failed .*broker away/);
    refuse = false;
    await retention.afterVersion('m');
    expect(await store.list('m')).toEqual(['v4', 'v5']);
    const keys = sent.flat();
    expect(keys.slice(0, 2)).toEqual(['m/v1/manifest', `m/v1/chunk/weights.bin/0/${'a'.repeat(64)}`]);
    // v2 and v3, rebuilt from their files: the manifest, then a chunk of each file.
    for (const v of ['v2', 'v3']) {
      const own = keys.filter((k) => k.startsWith(`m/${v}/`));
      expect(own[0]).toBe(`m/${v}/manifest`);
      expect(own.slice(1).map((k) => k.split('/')[3])).toEqual(expect.arrayContaining(['meta.json', 'model.json', 'weights.bin']));
    }
    expect(retention.removed).toBe(3);
  });
});
