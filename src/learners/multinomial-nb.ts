import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { labelIndexOf } from './class-labels.js';
import { loadFloat64State, saveFloat64State } from '../tensors/index.js';
import type { Json, LearnOptions, Learner, ModelDescription, Prediction, StepResult } from './learner.js';
import { registerLearner } from './learner-registry.js';

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
export class MultinomialNaiveBayes implements Learner {
  static readonly className = 'MultinomialNaiveBayes';
  readonly className = MultinomialNaiveBayes.className;
  readonly predictsWhileLearning = true;
  /** Counts are exact after one pass; another epoch would count every document again. */
  readonly singlePass = true;
  readonly featureSpec: FeatureSpec;
  private readonly config: Required<MultinomialNbConfig>;
  /** Per class: documents seen, total feature weight, then the weight of each feature (class-major). */
  private readonly docs: Float64Array;
  private readonly totals: Float64Array;
  private readonly counts: Float64Array;

  constructor(config: MultinomialNbConfig, state?: Float64Array) {
    if (config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    this.config = { alpha: 1, ...config };
    if (!(this.config.alpha > 0)) throw new ConfigError('alpha', `alpha must be positive, got ${this.config.alpha}`);
    this.featureSpec = config.featureSpec;
    const k = config.labels.length;
    const s = state ?? new Float64Array(2 * k + k * config.featureSpec.dim);
    this.docs = s.subarray(0, k);
    this.totals = s.subarray(k, 2 * k);
    this.counts = s.subarray(2 * k);
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
      const scores: Record<string, number> = {};
      let best = 0;
      labels.forEach((l, c) => {
        scores[l] = probs[c]! / z;
        if (probs[c]! > probs[best]!) best = c;
      });
      return { label: labels[best]!, confidence: scores[labels[best]!]!, scores };
    });
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult> {
    if (opts?.repeat) return { loss: 0, examples: 0 };
    const before = this.predict(x);
    const dim = this.featureSpec.dim;
    x.forEach((row, n) => {
      const c = labelIndexOf(this.config.labels, y[n]!);
      const w = weights?.[n] ?? 1;
      this.docs[c]! += w;
      for (const { j, v } of this.termWeights(row)) {
        this.counts[c * dim + j]! += w * v;
        this.totals[c]! += w * v;
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
    const state = new Float64Array(2 * k + k * this.featureSpec.dim);
    state.set(this.docs, 0);
    state.set(this.totals, k);
    state.set(this.counts, 2 * k);
    await saveFloat64State(handler, 'streamtune-multinomial-nb', { multinomialNb: {} }, state);
  }

  static async load(config: MultinomialNbConfig, handler: tf.io.IOHandler): Promise<MultinomialNaiveBayes> {
    return new MultinomialNaiveBayes(config, (await loadFloat64State(handler)).state);
  }

  describe(): ModelDescription {
    return {
      className: this.className,
      task: 'classification',
      inputKind: this.featureSpec.kind,
      inputDim: this.featureSpec.dim,
      labels: [...this.config.labels],
      parameters: this.counts.length + 2 * this.docs.length,
    };
  }

  dispose(): void {
    // Plain arrays: nothing to release.
  }
}

registerLearner(MultinomialNaiveBayes.className, {
  create: (config) => new MultinomialNaiveBayes(config as unknown as MultinomialNbConfig),
  load: (config, handler) => MultinomialNaiveBayes.load(config as unknown as MultinomialNbConfig, handler),
});
