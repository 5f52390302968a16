/**
 * A candidate of `auto` marked `rawInputs` (meant for scale-free learners:
 * naive Bayes, trees) learns the inputs as they come, not standardized with
 * running statistics that move under them; the mark is saved with the version.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/index.js';
import { AutoLearner, createLearner, type CandidateSpec } from '../../src/learners/index.js';

const featureSpec = { kind: 'features' as const, dim: 1 };
const labels = ['a', 'b'];

/** Class a around 1000, class b around 1010 (sd 1): standardized, they sit near −1 and +1. */
function events(n: number, seed: number): { x: number[][]; y: string[] } {
  const rand = seededRandom(seed);
  const x: number[][] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = rand() < 0.5;
    x.push([(b ? 1010 : 1000) + (rand() - 0.5) * 2]);
    y.push(b ? 'b' : 'a');
  }
  return { x, y };
}

const nb = (rawInputs: boolean): CandidateSpec => ({ name: 'naive-bayes', className: 'GaussianNaiveBayes', config: { featureSpec, labels }, ...(rawInputs ? { rawInputs } : {}) });
const knn: CandidateSpec = { name: 'knn', className: 'KnnLearner', config: { featureSpec, task: 'classification', labels } };

describe('AutoLearner raw inputs', () => {
  it('a rawInputs candidate learns the raw scale; a standardized one does not; the flag survives a save', async () => {
    const train = events(200, 1);
    const test = events(50, 2);
    const accuracy = (auto: AutoLearner): number => auto.candidates[0]!.predict(test.x).filter((p, i) => p.label === test.y[i]).length / test.x.length;

    const raw = new AutoLearner({ featureSpec, task: 'classification', labels, candidates: [nb(true), knn] });
    await raw.learn(train.x, train.y);
    // Asked on the raw scale directly, the candidate answers as it learned.
    expect(accuracy(raw)).toBe(1);

    const std = new AutoLearner({ featureSpec, task: 'classification', labels, candidates: [nb(false), knn] });
    await std.learn(train.x, train.y);
    expect(accuracy(std)).toBeLessThan(0.8);

    const config = raw.getConfig() as unknown as { candidates: CandidateSpec[] };
    expect(config.candidates.map((c) => c.rawInputs ?? false)).toEqual([true, false]);
    const again = createLearner('AutoLearner', raw.getConfig()) as AutoLearner;
    await again.learn(train.x, train.y);
    expect(accuracy(again)).toBe(1);
    // And auto itself, which standardizes for the other candidates, still predicts well.
    expect(raw.predict(test.x).filter((p, i) => p.label === test.y[i]).length).toBeGreaterThan(45);
    for (const a of [raw, std, again]) a.dispose();
  });
});
