import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/index.js';
import { DenseClassifier, InteractionLearner, type Example, type Learner } from '../../src/learners/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

const labels = ['neg', 'pos'];

/** XOR of two signs, with a noise feature: a plane cannot separate it, the product x0·x1 does. */
function xor(n: number, seed: number): Example[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    return { x, y: x[0]! * x[1]! > 0 ? 'pos' : 'neg' };
  });
}

/** Standard prequential accuracy over the second half (after a warm-up), one event at a time. */
async function prequential(m: Learner, data: readonly Example[]): Promise<number> {
  let right = 0;
  for (const [i, e] of data.entries()) {
    const hit = (await m.learn([e.x], [e.y])).predicted![0] === e.y;
    if (i >= data.length / 2 && hit) right++;
  }
  return right / (data.length / 2);
}

const linear = { className: 'DenseClassifier', config: { labels, hiddenUnits: [], learningRate: 0.03, seed: 1 } };

describe('InteractionLearner', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('lets a linear model learn XOR, which it cannot alone', async () => {
    const q = new InteractionLearner({ featureSpec: { kind: 'features', dim: 3 }, base: linear });
    const plain = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels, hiddenUnits: [], learningRate: 0.03, seed: 1 });
    const data = xor(1200, 1);
    const withPairs = await prequential(q, data);
    const alone = await prequential(plain, data);
    expect(withPairs).toBeGreaterThan(0.85);
    expect(alone).toBeLessThan(0.7);
    q.dispose();
    plain.dispose();
  });

  it('gives each pair its own slot when they fit, and hashes them (signed) when they do not', () => {
    const exact = new InteractionLearner({ featureSpec: { kind: 'features', dim: 3 }, base: linear });
    // x, then x0x0 x0x1 x0x2 x1x1 x1x2 x2x2.
    expect(exact.expand([1, 2, 3])).toEqual([1, 2, 3, 1, 2, 3, 4, 6, 9]);
    expect(exact.base.featureSpec.dim).toBe(9);
    const hashed = new InteractionLearner({ featureSpec: { kind: 'features', dim: 3 }, buckets: 2, base: linear });
    const e = hashed.expand([1, 2, 3]);
    expect(e).toHaveLength(5);
    expect(e.slice(0, 3)).toEqual([1, 2, 3]);
    // Every product lands in one of the two buckets with a sign of ±1: the buckets hold ±1 ±2 ±3 ±4 ±6 ±9,
    // whose total is odd like 25 and at most 25 in size.
    expect(Math.abs(e[3]!) + Math.abs(e[4]!)).toBeLessThanOrEqual(25);
    expect(Math.abs(e[3]! + e[4]!) % 2).toBe(1);
    exact.dispose();
    hashed.dispose();
  });

  it('refuses inputs that are not numeric features, and a bad bucket count, naming the key', () => {
    expect(() => new InteractionLearner({ featureSpec: { kind: 'text', dim: 8 }, base: linear })).toThrow(/featureSpec/);
    expect(() => new InteractionLearner({ featureSpec: { kind: 'features', dim: 3 }, buckets: 0, base: linear })).toThrow(/buckets/);
  });
});
