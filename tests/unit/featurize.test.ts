import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { featurize, fitStandardizer, hashText } from '../../src/features/index.js';

describe('featurize', () => {
  it('standardizes feature vectors with the saved mean and std', () => {
    const { mean, std } = fitStandardizer([
      [0, 10],
      [2, 10],
    ]);
    expect(mean).toEqual([1, 10]);
    expect(std).toEqual([1, 1]); // constant column passes through with std 1
    expect(featurize({ features: [3, 12] }, { kind: 'features', dim: 2, mean, std })).toEqual([2, 2]);
  });

  it('rejects a wrong dimension or kind naming the field', () => {
    const spec = { kind: 'features', dim: 3 } as const;
    expect(() => featurize({ features: [1, 2] }, spec, 'instances[4]')).toThrowError(/instances\[4\]\.features has 2 values, model expects 3/);
    try {
      featurize({ text: 'x' }, spec);
    } catch (err) {
      expect((err as InvalidInputError).reason).toBe('wrong_kind');
    }
  });

  it('hashes text deterministically into a unit vector', () => {
    const a = hashText('Free money, click now!', 256);
    expect(a).toHaveLength(256);
    expect(hashText('free MONEY click now', 256)).toEqual(a); // case and punctuation do not matter
    expect(hashText('now click money free', 256)).toEqual(a); // words alone: order does not matter
    expect(hashText('now click money free', 256, 2)).not.toEqual(hashText('Free money, click now!', 256, 2)); // with word pairs it does
    expect(hashText('Free money, click now!', 256)).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 6);
    expect(hashText('', 16).every((v) => v === 0)).toBe(true);
  });
});
