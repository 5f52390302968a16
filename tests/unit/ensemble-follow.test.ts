/**
 * The `auto` ensemble never stays below its best member by more than noise:
 * when the blend trails that member clearly, the ensemble answers as it does.
 */
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RollingWindow, seededRandom } from '../../src/core/index.js';
import { AutoLearner, memberToFollow, type Learner, type ModelDescription, type Prediction, type StepResult } from '../../src/learners/index.js';

const LABELS = ['a', 'b'];
const featureSpec = { kind: 'features' as const, dim: 3 };

/**
 * A member right when its noise feature is under `accuracy`, with `confidence`
 * in its answer. Each event is [label index, the good member's noise, the bad
 * member's noise]: both members are deterministic functions of the event.
 */
class NoisyOracle implements Learner {
  readonly className = 'NoisyOracle';
  readonly featureSpec = featureSpec;
  constructor(
    private readonly noise: number,
    private readonly accuracy: number,
    private readonly confidence: number,
  ) {}
  predict(x: readonly (readonly number[])[]): Prediction[] {
    return x.map((r) => {
      const truth = LABELS[r[0]!]!;
      const label = r[this.noise]! < this.accuracy ? truth : LABELS[1 - r[0]!]!;
      const other = LABELS.find((l) => l !== label)!;
      return { label, confidence: this.confidence, scores: { [label]: this.confidence, [other]: 1 - this.confidence } };
    });
  }
  learn(x: readonly (readonly number[])[]): Promise<StepResult> {
    return Promise.resolve({ loss: 0, examples: x.length });
  }
  getConfig(): Record<string, never> {
    return {};
  }
  save(_: tf.io.IOHandler): Promise<void> {
    return Promise.resolve();
  }
  describe(): ModelDescription {
    return { className: this.className, task: 'classification', inputKind: 'features', inputDim: 3, labels: LABELS, parameters: 0 };
  }
  dispose(): void {}
}

const windowOf = (values: number[]): RollingWindow => new RollingWindow(300, values);
const hits = (n: number, rate: number, seed: number): number[] => {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => (rand() < rate ? 1 : 0));
};

describe('ensemble following its best member', () => {
  it('follows the best member only while it leads the blend by the margin or clearly', () => {
    const rule = { regression: false, margin: 0.02, clearLeadAfter: 30 };
    const blend = windowOf(hits(300, 0.85, 1));
    expect(memberToFollow([windowOf(hits(300, 0.6, 2)), windowOf(hits(300, 0.97, 3))], blend, rule)).toBe(1);
    expect(memberToFollow([windowOf(hits(300, 0.6, 2)), windowOf(hits(300, 0.7, 3))], blend, rule)).toBe(-1);
    expect(memberToFollow([windowOf(blend.toArray())], blend, rule)).toBe(-1); // level: the blend
    expect(memberToFollow([new RollingWindow(300)], new RollingWindow(300), rule)).toBe(-1); // nothing scored yet
    // Regression: lower error leads.
    const errs = (v: number): RollingWindow => windowOf(new Array<number>(300).fill(v));
    expect(memberToFollow([errs(1), errs(0.5)], errs(0.9), { ...rule, regression: true })).toBe(1);
  });

  it("an ensemble of a good and a bad member scores at least the good member's prequential accuracy, less a small tolerance", async () => {
    // The bad member is sure of itself and nearly as good: weighted by score, the
    // blend follows it wherever they disagree, and scores as it does (0.86).
    const good = new NoisyOracle(1, 0.93, 0.52);
    const bad = new NoisyOracle(2, 0.86, 1);
    const auto = new AutoLearner(
      {
        featureSpec,
        task: 'classification',
        labels: LABELS,
        standardize: false,
        candidates: [
          { name: 'good', className: 'NoisyOracle', config: {} },
          { name: 'bad', className: 'NoisyOracle', config: {} },
        ],
      },
      [good, bad],
    );
    const rand = seededRandom(42);
    const n = 3000;
    const total: Record<string, number> = { good: 0, bad: 0, ensemble: 0 };
    for (let i = 0; i < n; i++) {
      const y = rand() < 0.5 ? 0 : 1;
      await auto.learn([[y, rand(), rand()]], [LABELS[y]!]);
      // Windows of 300: every 300 events, each window holds exactly those events' hits.
      if ((i + 1) % 300 === 0) for (const c of auto.candidateScores()) total[c.name] = total[c.name]! + c.score! * 300;
    }
    const acc = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / n]));
    expect(acc.good).toBeGreaterThan(acc.bad! + 0.04);
    expect(acc.ensemble).toBeGreaterThanOrEqual(acc.good! - 0.02);
  });
});
