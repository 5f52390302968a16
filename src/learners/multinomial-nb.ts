import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { classPredictions } from './class-labels.js';
import { loadFloat64State, saveFloat64State } from '../tensors/index.js';
import type { Prediction } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { SinglePassLearner } from './single-pass-learner.js';

/** Parameters of {@link MultinomialNaiveBayes}; all JSON, all saved. */
export interface MultinomialNbConfig {
  featureSpec: FeatureSpec;
  labels: string[];
  /** Additive (Laplace) smoothing of every feature's count. @defaultValue 1 */
  alpha?: number;
}

/**
 * Multinomial naive Bayes over non-negative term weights — the classic text
 * classifier (as River's `BagOfWords | MultinomialNB`). It reads the magnitude of
 * each hashed text feature as the term's weight, learns exactly incrementally
 * and is strong from a few hundred documents.
 *
 * @example
 * const nb = new MultinomialNaiveBayes({ featureSpec: { kind: 'text', dim: 4 }, labels: ['ham', 'spam'] });
 * await nb.learn([[1, 0, 0, 0], [0, 0, 2, 1]], ['ham', 'spam']);
 * nb.predict([[0, 0, 1, 0]])[0].label; // 'spam'
 */
export class MultinomialNaiveBayes extends SinglePassLearner<MultinomialNbConfig> {
  static readonly className = 'MultinomialNaiveBayes';
  readonly className = MultinomialNaiveBayes.className;
  /** Per class: documents seen, total feature weight, then the weight of each feature (class-major); the saved state, as it is. */
  private readonly state: Float64Array;
  private readonly docs: Float64Array;
  private readonly totals: Float64Array;
  private readonly counts: Float64Array;

  constructor(config: MultinomialNbConfig, state?: Float64Array) {
    super({ alpha: 1, ...config }, 'classification');
    if (!(this.config.alpha > 0)) throw new ConfigError('alpha', `alpha must be positive, got ${this.config.alpha}`);
    const k = config.labels.length;
    this.state = state ?? new Float64Array(2 * k + k * config.featureSpec.dim);
    this.docs = this.state.subarray(0, k);
    this.totals = this.state.subarray(k, 2 * k);
    this.counts = this.state.subarray(2 * k);
  }

  /**
   * A document's term weights, rescaled so its lightest term weighs 1: hashed text
   * vectors are length-normalized, and naive Bayes wants count-like weights
   * (a 40-word mail is more evidence than a 4-word one).
   */
  private termWeights(row: readonly number[]): { j: number; v: number }[] {
    const out: { j: number; v: number }[] = [];
    let min = Number.POSITIVE_INFINITY;
    for (let j = 0; j < row.length; j++) {
      const v = Math.abs(row[j]!);
      if (v > 1e-12) {
        out.push({ j, v });
        if (v < min) min = v;
      }
    }
    for (const t of out) t.v /= min;
    return out;
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    const { labels, alpha } = this.config;
    const k = labels.length;
    const dim = this.featureSpec.dim;
    const nDocs = this.docs.reduce((a, b) => a + b, 0);
    // log θ_cj per class, computed once per batch: rows are sparse, so only non-zero features are read.
    const logPrior = Array.from(this.docs, (n) => Math.log((n + 1) / (nDocs + k)));
    const logDenom = Array.from(this.totals, (t) => Math.log(t + alpha * dim));
    return x.map((row) => {
      const logp = logPrior.slice();
      for (const { j, v } of this.termWeights(row)) {
        for (let c = 0; c < k; c++) logp[c]! += v * (Math.log(this.counts[c * dim + j]! + alpha) - logDenom[c]!);
      }
      const top = Math.max(...logp);
      const probs = logp.map((l) => Math.exp(l - top));
      const z = probs.reduce((a, b) => a + b, 0);
      return classPredictions(probs.map((p) => p / z), labels)[0]!;
    });
  }

  protected learnRows(x: readonly (readonly number[])[], targets: readonly number[], weights?: readonly number[]): void {
    const dim = this.featureSpec.dim;
    x.forEach((row, n) => {
      const c = targets[n]!;
      const w = weights?.[n] ?? 1;
      this.docs[c]! += w;
      for (const { j, v } of this.termWeights(row)) {
        this.counts[c * dim + j]! += w * v;
        this.totals[c]! += w * v;
      }
    });
  }

  protected parameterCount(): number {
    return this.state.length;
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await saveFloat64State(handler, 'streamtune-multinomial-nb', { multinomialNb: {} }, this.state);
  }

  static async load(config: MultinomialNbConfig, handler: tf.io.IOHandler): Promise<MultinomialNaiveBayes> {
    return new MultinomialNaiveBayes(config, (await loadFloat64State(handler)).state);
  }
}

registerLearner(MultinomialNaiveBayes.className, {
  create: (config) => new MultinomialNaiveBayes(config as unknown as MultinomialNbConfig),
  load: (config, handler) => MultinomialNaiveBayes.load(config as unknown as MultinomialNbConfig, handler),
});
