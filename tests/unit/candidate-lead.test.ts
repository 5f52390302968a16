import { describe, expect, it } from 'vitest';
import { RollingWindow, seededRandom } from '../../src/core/index.js';
import { AutoLearner, CLEAR_LEAD_Z, leadOver } from '../../src/learners/index.js';

const windowOf = (size: number, values: number[]): RollingWindow => new RollingWindow(size, values);
const rule = { regression: false, margin: 0.02, clearLeadAfter: 30 };

describe('leadOver', () => {
  it('over full windows, counts any lead beyond the margin (as before)', () => {
    const a = windowOf(100, Array.from({ length: 100 }, (_, i) => (i % 10 < 8 ? 1 : 0))); // 0.80
    const b = windowOf(100, Array.from({ length: 100 }, (_, i) => (i % 10 < 7 && i !== 3 ? 1 : 0))); // about 0.69
    expect(leadOver(a, b, rule)).toBeCloseTo(a.mean - b.mean, 12);
    expect(leadOver(b, a, rule)).toBe(0);
    expect(leadOver(a, b, { ...rule, margin: 0.2 })).toBe(0);
  });

  it(`before full windows, counts only a clear lead: beyond the margin and ${CLEAR_LEAD_Z} standard errors, after clearLeadAfter events`, () => {
    const rand = seededRandom(1);
    const coin = Array.from({ length: 40 }, () => (rand() < 0.5 ? 1 : 0));
    const perfect = Array.from({ length: 40 }, () => 1);
    expect(leadOver(windowOf(300, perfect), windowOf(300, coin), rule)).toBeGreaterThan(0.3);
    // Too few events yet.
    expect(leadOver(windowOf(300, perfect.slice(0, 20)), windowOf(300, coin.slice(0, 20)), rule)).toBe(0);
    // Ahead by 3 points on 40 events: within the noise.
    const slightly = coin.map((v, i) => (i === 0 || i === 1 ? 1 : v));
    expect(slightly).not.toEqual(coin);
    expect(leadOver(windowOf(300, slightly), windowOf(300, coin), rule)).toBe(0);
  });

  it('over full windows, also counts a clear lead on the recent third (a candidate that adapted after a drift)', () => {
    // Old concept (200 events): the challenger 70% right, the incumbent 95%; new concept (100 events): 100% against 85%.
    const challenger = [...Array.from({ length: 200 }, (_, i) => (i % 10 < 7 ? 1 : 0)), ...Array.from({ length: 100 }, () => 1)];
    const incumbent = [...Array.from({ length: 200 }, (_, i) => (i % 20 < 19 ? 1 : 0)), ...Array.from({ length: 100 }, (_, i) => (i % 20 < 17 ? 1 : 0))];
    const a = windowOf(300, challenger);
    const b = windowOf(300, incumbent);
    expect(a.mean).toBeLessThan(b.mean);
    expect(leadOver(a, b, rule)).toBeCloseTo(0.15, 12);
    // Only the recent third counts: the same lead 150 events ago is forgotten once the incumbent is level again.
    const later = windowOf(300, [...challenger.slice(100), ...Array.from({ length: 100 }, (_, i) => (i % 20 < 17 ? 1 : 0))]);
    const laterB = windowOf(300, [...incumbent.slice(100), ...Array.from({ length: 100 }, (_, i) => (i % 20 < 17 ? 1 : 0))]);
    expect(leadOver(later, laterB, rule)).toBe(0);
  });

  it('for regression, compares errors (lower is better) and reports the share of error saved', () => {
    const small = windowOf(50, Array.from({ length: 50 }, () => 1));
    const big = windowOf(50, Array.from({ length: 50 }, () => 4));
    expect(leadOver(small, big, { ...rule, regression: true })).toBeCloseTo(0.75, 12);
    expect(leadOver(big, small, { ...rule, regression: true })).toBe(0);
  });
});

describe('AutoLearner selection', () => {
  const featureSpec = { kind: 'features' as const, dim: 2 };
  const labels = ['neg', 'pos'];
  /** Serving naive Bayes to start with, on XOR of signs: naive Bayes stays near chance, nearest neighbours learn it. */
  async function run(clearLeadAfter: number): Promise<AutoLearner> {
    const auto = new AutoLearner({
      featureSpec,
      task: 'classification',
      labels,
      window: 300,
      clearLeadAfter,
      leader: 'naive-bayes',
      candidates: [
        { name: 'knn', className: 'KnnLearner', config: { featureSpec, task: 'classification', labels, k: 3, windowSize: 500 } },
        { name: 'naive-bayes', className: 'GaussianNaiveBayes', config: { featureSpec, labels } },
      ],
    });
    const rand = seededRandom(2);
    for (let i = 0; i < 150; i++) {
      const x = [rand() * 2 - 1, rand() * 2 - 1];
      await auto.learn([x], [x[0]! * x[1]! > 0 ? 'pos' : 'neg']);
    }
    return auto;
  }

  it('hands the lead over before the windows are full when another leads clearly', async () => {
    const auto = await run(30);
    const score = (name: string): number => auto.candidateScores().find((c) => c.name === name)!.score!;
    expect(score('knn')).toBeGreaterThan(score('naive-bayes') + 0.2);
    expect(auto.leaderName).not.toBe('naive-bayes');
    auto.dispose();
    // Waiting for full windows (the rule before), naive Bayes would still serve.
    const patient = await run(300);
    expect(patient.leaderName).toBe('naive-bayes');
    patient.dispose();
  });
});
