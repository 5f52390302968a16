import type * as tf from '@tensorflow/tfjs';
import type { FeatureSpec } from '../features/index.js';
import { classPredictions } from './class-labels.js';
import { loadFloat64State, saveFloat64State } from '../tensors/index.js';
import type { Prediction } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { SinglePassLearner } from './single-pass-learner.js';

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
export class GaussianNaiveBayes extends SinglePassLearner<GaussianNbConfig> {
  static readonly className = 'GaussianNaiveBayes';
  readonly className = GaussianNaiveBayes.className;
  /** Per class: examples, then per feature the mean and Welford's M2 (class-major); the saved state, as it is. */
  private readonly state: Float64Array;
  private readonly counts: Float64Array;
  private readonly means: Float64Array;
  private readonly m2: Float64Array;

  constructor(config: GaussianNbConfig, state?: Float64Array) {
    super({ varSmoothing: 1e-9, ...config }, 'classification');
    const k = config.labels.length;
    const dim = config.featureSpec.dim;
    this.state = state ?? new Float64Array(k + 2 * k * dim);
    this.counts = this.state.subarray(0, k);
    this.means = this.state.subarray(k, k + k * dim);
    this.m2 = this.state.subarray(k + k * dim);
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
      return classPredictions(probs.map((p) => p / z), labels)[0]!;
    });
  }

  /** Variance of feature j in class c (0 with fewer than two examples). */
  private variance(c: number, j: number): number {
    const n = this.counts[c]!;
    return n > 1 ? this.m2[c * this.featureSpec.dim + j]! / n : 0;
  }

  protected learnRows(x: readonly (readonly number[])[], targets: readonly number[], weights?: readonly number[]): void {
    const dim = this.featureSpec.dim;
    x.forEach((row, n) => {
      const c = targets[n]!;
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
  }

  protected parameterCount(): number {
    return this.state.length;
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await saveFloat64State(handler, 'streamtune-gaussian-nb', { gaussianNb: {} }, this.state);
  }

  static async load(config: GaussianNbConfig, handler: tf.io.IOHandler): Promise<GaussianNaiveBayes> {
    return new GaussianNaiveBayes(config, (await loadFloat64State(handler)).state);
  }
}

registerLearner(GaussianNaiveBayes.className, {
  create: (config) => new GaussianNaiveBayes(config as unknown as GaussianNbConfig),
  load: (config, handler) => GaussianNaiveBayes.load(config as unknown as GaussianNbConfig, handler),
});
