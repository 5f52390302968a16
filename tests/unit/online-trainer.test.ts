import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { from, concatMap, lastValueFrom, defaultIfEmpty } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainingConfig, seededRandom } from '../../src/core/index.js';
import type { DeadLetter, RawRecord } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { decodeRecord, decodeRecords } from '../../src/features/index.js';
import { microBatch } from '../../src/ingest/micro-batch.js';
import { VersionStore } from '../../src/registry/index.js';
import { OnlineTrainer } from '../../src/training/online-trainer.js';
import type { TrainerStats } from '../../src/training/trainer-stats.js';
import { useTestBackend } from '../helpers/test-backend.js';

function records(n: number): RawRecord[] {
  const rand = seededRandom(3);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    const ev = { id: `e${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
    let value = JSON.stringify(ev);
    if (i === 10) value = '{not json';
    if (i === 20) value = JSON.stringify({ ...ev, input: { features: [1, 2, 3] } });
    if (i === 30) value = JSON.stringify({ ...ev, label: 'zebra' });
    if (i === 40) value = JSON.stringify({ ...ev, label: null });
    return { topic: 't', partition: 0, offset: String(i), key: Buffer.from(`e${i}`), value: Buffer.from(value), timestamp: '0' };
  });
}

describe('OnlineTrainer over an in-memory source', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('dead-letters bad records with reasons, learns the rest predict-then-learn, acks in order and versions with offsets', async () => {
    const store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-trainer-')));
    const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8], learningRate: 0.03 });
    const letters: DeadLetter[] = [];
    const acked: string[] = [];
    const commits: Record<string, string>[] = [];
    const stats: TrainerStats[] = [];
    const versions: string[] = [];
    let now = 0;
    const trainer = new OnlineTrainer({
      model: 'm',
      learner,
      store,
      parent: null,
      backend: 'test',
      topic: 't',
      training: trainingConfig({ versionEverySteps: 10, versionEveryMs: 60_000 }),
      deadLetters: { send: async (l) => void letters.push(...l) },
      ack: (r) => acked.push(r.offset),
      commit: async (o) => void commits.push(o),
      onStats: (s) => stats.push(s),
      onVersion: (m) => versions.push(m.version),
      now: () => now,
    });
    const input = records(400);
    await lastValueFrom(
      from(input).pipe(
        decodeRecords({ featureSpec: learner.featureSpec, labels: learner.labels }),
        microBatch(8, 1000),
        concatMap((b) => trainer.step(b)),
        defaultIfEmpty(undefined),
      ),
    );
    expect(letters.map((l) => [l.record.offset, l.reason])).toEqual([
      ['10', 'bad_json'],
      ['20', 'wrong_dimension'],
      ['30', 'unknown_label'],
    ]);
    expect(letters[1]!.message).toMatch(/has 3 values, model expects 2/);
    expect(acked).toEqual(input.map((r) => r.offset));
    expect(trainer.totals).toMatchObject({ consumed: 400, learned: 396, rejected: 3, unlabelled: 1 });
    expect(stats.reduce((a, s) => a + s.learned, 0)).toBe(396);
    // 50 batches, 10 steps per version.
    expect(versions).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    // Group offsets are committed once per durable checkpoint, with that checkpoint's offsets.
    expect(commits).toHaveLength(5);
    expect(commits.at(-1)).toEqual({ 't/0': '400' });
    const last = await store.meta('m', 'v5');
    expect(last.parent).toBe('v4');
    expect(last.offsets).toEqual({ 't/0': '400' });
    expect(last.examplesSeen).toBe(396);
    // The concept is learnable: prequential accuracy ends well above chance (0.5).
    expect(trainer.accuracy.value).toBeGreaterThan(0.75);
    // Nothing new learned: no empty version on a time tick.
    now = 120_000;
    await trainer.step([]);
    expect(versions).toHaveLength(5);

    // Records the checkpoint already includes (re-read after a restart) are skipped, not learned again.
    const replayed = input.slice(390).map((r) => decodeRecord(r, { featureSpec: learner.featureSpec, labels: learner.labels }));
    await trainer.step(replayed);
    expect(trainer.totals).toMatchObject({ learned: 396, skipped: 10 });
    // A producer retry: same id at a new offset is dropped as a duplicate.
    const retry = { ...input[5]!, offset: '400' };
    await trainer.step([decodeRecord(retry, { featureSpec: learner.featureSpec, labels: learner.labels })]);
    expect(trainer.totals).toMatchObject({ learned: 396, duplicates: 1 });
    learner.dispose();
  });
});
