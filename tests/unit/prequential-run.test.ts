import { describe, expect, it } from 'vitest';
import { prequentialScores, type StreamRow } from '../../src/evaluation/index.js';
import { GaussianNaiveBayes, type Learner, type Prediction, type StepResult } from '../../src/learners/index.js';

/** Predicts the last label it learned (a lag shows as misses on a label that alternates in runs). */
class LastLabel implements Learner {
  readonly className = 'LastLabel';
  readonly featureSpec = { kind: 'features' as const, dim: 1 };
  last = 'a';
  predictCalls = 0;
  constructor(readonly predictsWhileLearning: boolean) {}
  predict(x: readonly (readonly number[])[]): Prediction[] {
    this.predictCalls++;
    return x.map(() => ({ label: this.last }));
  }
  async learn(_x: readonly (readonly number[])[], y: readonly (string | number)[]): Promise<StepResult> {
    const predicted = y.map(() => this.last);
    this.last = String(y[y.length - 1]);
    return { loss: 0, examples: y.length, ...(this.predictsWhileLearning ? { predicted } : {}) };
  }
  getConfig(): Record<string, never> {
    return {};
  }
  async save(): Promise<void> {}
  describe(): never {
    throw new Error('unused');
  }
  dispose(): void {}
}

// Labels in runs of 4: a a a a b b b b a a a a …
const rows: StreamRow[] = Array.from({ length: 64 }, (_, i) => ({ id: `r${i}`, x: [i], y: Math.floor(i / 4) % 2 ? 'b' : 'a' }));

describe('prequentialScores', () => {
  it('one event at a time, the learner has seen every earlier label; in batches of 16 it has not', async () => {
    const one = await prequentialScores(new LastLabel(false), rows, 'classification', { batchSize: 1 });
    const lagged = await prequentialScores(new LastLabel(false), rows, 'classification', { batchSize: 16 });
    // Last-label misses only the first event of each run of 4 (the first run is free).
    expect(one.reduce((a, b) => a + b, 0)).toBe(64 - 15);
    expect(lagged.reduce((a, b) => a + b, 0)).toBeLessThan(40);
  });

  it("uses the learner's own pre-update predictions when it reports them, with the same scores and no predict calls", async () => {
    const plain = new LastLabel(false);
    const reporting = new LastLabel(true);
    const a = await prequentialScores(plain, rows, 'classification', { batchSize: 1 });
    const b = await prequentialScores(reporting, rows, 'classification', { batchSize: 1 });
    expect(b).toEqual(a);
    expect(plain.predictCalls).toBe(64);
    expect(reporting.predictCalls).toBe(0);
  });

  it('stops when asked, returning the scores so far (fewer than the rows)', async () => {
    let batches = 0;
    const s = await prequentialScores(new GaussianNaiveBayes({ featureSpec: { kind: 'features', dim: 1 }, labels: ['a', 'b'] }), rows, 'classification', {
      batchSize: 8,
      stop: () => batches++ >= 3,
    });
    expect(s).toHaveLength(24);
  });
});
