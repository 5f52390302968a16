import { beforeAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError, OverloadedError } from '../../src/core/index.js';
import { DenseClassifier, type Learner } from '../../src/learners/index.js';
import { DynamicBatcher } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

const learner = (seed: number): DenseClassifier =>
  new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['a', 'b'], hiddenUnits: [4], seed });

/** Counts forward passes and their sizes. */
function counting(l: Learner): { learner: Learner; calls: number[] } {
  const calls: number[] = [];
  const predict = l.predict.bind(l);
  l.predict = (x) => {
    calls.push(x.length);
    return predict(x);
  };
  return { learner: l, calls };
}

describe('DynamicBatcher', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('coalesces concurrent requests into one forward pass and splits the answers back in order', async () => {
    const l = learner(1);
    const { calls } = counting(l);
    const batches: number[] = [];
    const b = new DynamicBatcher({ maxBatchSize: 64, onBatch: (rows) => batches.push(rows) });
    const rows = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]];
    const expected = rows.map((r) => l.predict([r])[0]);
    calls.length = 0;
    const results = await Promise.all(rows.map((r, i) => b.submit({ learner: l, rows: i === 3 ? [r, r] : [r], deadlineMs: Infinity })));
    expect(calls).toEqual([5]);
    expect(batches).toEqual([5]);
    expect(results.map((r) => r.predictions.length)).toEqual([1, 1, 1, 2]);
    results.forEach((r, i) => expect(r.predictions[0]!.scores!.a).toBeCloseTo(expected[i]!.scores!.a!, 5));
    expect(results[3]!.batchRows).toBe(5);
    l.dispose();
  });

  it('never puts more than maxBatchSize rows in one pass, nor two versions in one pass', async () => {
    const l1 = learner(1);
    const l2 = learner(2);
    const c1 = counting(l1).calls;
    const c2 = counting(l2).calls;
    const b = new DynamicBatcher({ maxBatchSize: 4, maxQueueDelayMs: 100 });
    const row = [1, 2, 3];
    // 3 + 3 rows fill past the limit: the first flush happens at once; the last waits its 100 ms.
    await Promise.all([
      b.submit({ learner: l1, rows: [row, row, row], deadlineMs: Infinity }),
      b.submit({ learner: l2, rows: [row], deadlineMs: Infinity }),
      b.submit({ learner: l1, rows: [row, row, row], deadlineMs: Infinity }),
    ]);
    expect(c1).toEqual([3, 3]);
    expect(c2).toEqual([1]);
    l1.dispose();
    l2.dispose();
  });

  it('answers RESOURCE_EXHAUSTED (OverloadedError) when the queue is full', async () => {
    const l = learner(1);
    const b = new DynamicBatcher({ maxBatchSize: 100, maxQueueRows: 3, maxQueueDelayMs: 50 });
    const first = b.submit({ learner: l, rows: [[1, 2, 3], [1, 2, 3]], deadlineMs: Infinity });
    await expect(b.submit({ learner: l, rows: [[1, 2, 3], [1, 2, 3]], deadlineMs: Infinity })).rejects.toBeInstanceOf(OverloadedError);
    expect((await first).predictions).toHaveLength(2);
    l.dispose();
  });

  it('drops work whose deadline passed while it waited, and cancelled work', async () => {
    const l = learner(1);
    const { calls } = counting(l);
    let now = 1000;
    const drops: string[] = [];
    const b = new DynamicBatcher({ maxQueueDelayMs: 10, now: () => now, onDrop: (r) => drops.push(r) });
    const late = b.submit({ learner: l, rows: [[1, 2, 3]], deadlineMs: 1005 });
    const gone = b.submit({ learner: l, rows: [[1, 2, 3]], deadlineMs: Infinity, cancelled: () => true });
    const fine = b.submit({ learner: l, rows: [[1, 2, 3]], deadlineMs: 5000 });
    now = 1010;
    b.flush();
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(gone).rejects.toBeInstanceOf(DeadlineExceededError);
    expect((await fine).predictions).toHaveLength(1);
    expect(calls).toEqual([1]);
    expect(drops.sort()).toEqual(['cancelled', 'deadline']);
    l.dispose();
  });

  it('runs each request alone when batching is off', async () => {
    const l = learner(1);
    const { calls } = counting(l);
    const b = new DynamicBatcher({ enabled: false });
    await Promise.all([1, 2, 3].map(() => b.submit({ learner: l, rows: [[1, 2, 3]], deadlineMs: Infinity })));
    expect(calls).toEqual([1, 1, 1]);
    l.dispose();
  });
});
