import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { labelIndexOf } from './class-labels.js';
import { loadFloat64State, saveFloat64State } from '../tensors/index.js';
import type { Json, LearnOptions, Learner, ModelDescription, Prediction, StepResult } from './learner.js';
import { registerLearner } from './learner-registry.js';

/** Parameters of {@link GaussianNaiveBayes}; all JSON, all saved. */
export interface GaussianNbConfig {
  featureSpec: FeatureSpec;
  labels: string[];
  /** Added to every variance, as a share of the largest one, so a constant feature cannot dominate. @defaultValue 1e-9 */
  varSmoothing?: number;
}

/**
 * Gaussian naive Bayes: per class, a running mean and variance of each feature
 * (Welford), so it learns exactly incrementally, needs no step size and is
 * good from the first few examples — a strong candidate on small tabular streams.
 *
 * @example
 * const nb = new GaussianNaiveBayes({ featureSpec: { kind: 'features', dim: 1 }, labels: ['lo', 'hi'] });
 * await nb.learn([[0], [0.2], [5], [5.3]], ['lo', 'lo', 'hi', 'hi']);
 * nb.predict([[4.8]])[0].label; // 'hi'
 */
export class GaussianNaiveBayes implements Learner {
  static readonly className = 'GaussianNaiveBayes';
  readonly className = GaussianNaiveBayes.className;
  readonly predictsWhileLearning = true;
  /** Counts are exact after one pass; another epoch would count every example again. */
  readonly singlePass = true;
  readonly featureSpec: FeatureSpec;
  private readonly config: Required<GaussianNbConfig>;
  /** Per class: examples, and per feature the mean and Welford's M2 (class-major). */
  private readonly counts: Float64Array;
  private readonly means: Float64Array;
  private readonly m2: Float64Array;

  constructor(config: GaussianNbConfig, state?: Float64Array) {
    if (config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    this.config = { varSmoothing: 1e-9, ...config };
    this.featureSpec = config.featureSpec;
    const k = config.labels.length;
    const dim = config.featureSpec.dim;
    const s = state ?? new Float64Array(k + 2 * k * dim);
    this.counts = s.subarray(0, k);
    this.means = s.subarray(k, k + k * dim);
    this.m2 = s.subarray(k + k * dim);
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    const { labels, varSmoothing } = this.config;
    const k = labels.length;
    const dim = this.featureSpec.dim;
    const total = this.counts.reduce((a, b) => a + b, 0);
    let maxVar = 0;
    for (let c = 0; c < k; c++) for (let j = 0; j < dim; j++) maxVar = Math.max(maxVar, this.variance(c, j));
    const eps = varSmoothing * Math.max(maxVar, 1e-12);
    return x.map((row) => {
      const logp = new Array<number>(k).fill(Number.NEGATIVE_INFINITY);
      for (let c = 0; c < k; c++) {
        const n = this.counts[c]!;
        if (n === 0) continue;
        let lp = Math.log(n / total);
        for (let j = 0; j < dim; j++) {
          const v = this.variance(c, j) + eps;
          const d = row[j]! - this.means[c * dim + j]!;
          lp -= 0.5 * (Math.log(2 * Math.PI * v) + (d * d) / v);
        }
        logp[c] = lp;
      }
      const top = Math.max(...logp);
      const probs = logp.map((l) => (Number.isFinite(top) ? Math.exp(l - top) : 1));
      const z = probs.reduce((a, b) => a + b, 0);
      const scores: Record<string, number> = {};
      let best = 0;
      labels.forEach((l, c) => {
        scores[l] = probs[c]! / z;
        if (probs[c]! > probs[best]!) best = c;
      });
      return { label: labels[best]!, confidence: scores[labels[best]!]!, scores };
    });
  }

  /** Variance of feature j in class c (0 with fewer than two examples). */
  private variance(c: number, j: number): number {
    const n = this.counts[c]!;
    return n > 1 ? this.m2[c * this.featureSpec.dim + j]! / n : 0;
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult> {
    if (opts?.repeat) return { loss: 0, examples: 0 };
    const before = this.predict(x);
    const dim = this.featureSpec.dim;
    x.forEach((row, n) => {
      const c = labelIndexOf(this.config.labels, y[n]!);
      // Weighted Welford: an example of weight w counts as w examples.
      const w = weights?.[n] ?? 1;
      const count = this.counts[c]! + w;
      this.counts[c] = count;
      for (let j = 0; j < dim; j++) {
        const i = c * dim + j;
        const d = row[j]! - this.means[i]!;
        this.means[i]! += (w * d) / count;
        this.m2[i]! += w * d * (row[j]! - this.means[i]!);
      }
    });
    const wrong = before.filter((p, n) => p.label !== String(y[n])).length;
    return { loss: x.length ? wrong / x.length : 0, examples: x.length, predicted: before.map((p) => p.label!) };
  }

  getConfig(): { [k: string]: Json } {
    return JSON.parse(JSON.stringify(this.config)) as { [k: string]: Json };
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    const k = this.config.labels.length;
    const dim = this.featureSpec.dim;
    const state = new Float64Array(k + 2 * k * dim);
    state.set(this.counts, 0);
    state.set(this.means, k);
    state.set(this.m2, k + k * dim);
    await saveFloat64State(handler, 'streamtune-gaussian-nb', { gaussianNb: {} }, state);
  }

  static async load(config: GaussianNbConfig, handler: tf.io.IOHandler): Promise<GaussianNaiveBayes> {
    return new GaussianNaiveBayes(config, (await loadFloat64State(handler)).state);
  }

  describe(): ModelDescription {
    return {
      className: this.className,
      task: 'classification',
      inputKind: this.featureSpec.kind,
      inputDim: this.featureSpec.dim,
      labels: [...this.config.labels],
      parameters: this.counts.length * (1 + 2 * this.featureSpec.dim),
    };
  }

  dispose(): void {
    // Plain arrays: nothing to release.
  }
}

registerLearner(GaussianNaiveBayes.className, {
  create: (config) => new GaussianNaiveBayes(config as unknown as GaussianNbConfig),
  load: (config, handler) => GaussianNaiveBayes.load(config as unknown as GaussianNbConfig, handler),
});
