import { describe, expect, it } from 'vitest';
import { prequentialScores, type StreamRow } from '../../src/evaluation/index.js';
import type { Learner } from '../../src/learners/index.js';

/** Predicts the last label it learned; records what it learned when. */
function memory(): { learner: Learner; learned: string[][] } {
  const learned: string[][] = [];
  let last = '';
  const learner = {
    predict: (x: readonly (readonly number[])[]) => x.map(() => ({ label: last })),
    learn: async (_x: unknown, y: readonly (string | number)[]) => {
      learned.push(y.map(String));
      last = String(y.at(-1));
      return {};
    },
  } as unknown as Learner;
  return { learner, learned };
}

describe('prequentialScores with labelDelay', () => {
  const rows: StreamRow[] = Array.from({ length: 6 }, (_, i) => ({ id: `r${i}`, x: [i], y: `y${i}` }));

  it('learns each row `labelDelay` rows after it arrived, and never the last ones; 0 is test-then-train', async () => {
    const now = memory();
    await prequentialScores(now.learner, rows, 'classification', { batchSize: 2 });
    expect(now.learned).toEqual([['y0', 'y1'], ['y2', 'y3'], ['y4', 'y5']]);

    const late = memory();
    await prequentialScores(late.learner, rows, 'classification', { batchSize: 2, labelDelay: 3 });
    // After rows 0-1 arrive nothing is due; after 2-3, row 0; after 4-5, rows 1 and 2.
    expect(late.learned).toEqual([['y0'], ['y1', 'y2']]);
  });
});
