import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import type { Prediction, Task } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { SinglePassLearner } from './single-pass-learner.js';

/** Parameters of {@link KnnLearner}; all JSON, all saved. */
export interface KnnConfig {
  featureSpec: FeatureSpec;
  task: Task;
  /** Class labels (classification). */
  labels?: string[];
  /** Neighbours that vote. @defaultValue 5 */
  k?: number;
  /** The most recent examples kept; older ones are forgotten (a sliding window, so it follows drift). @defaultValue 1000 */
  windowSize?: number;
  /** Minkowski exponent of the distance: 1 Manhattan, 2 Euclidean. @defaultValue 2 */
  p?: 1 | 2;
}

/**
 * k-nearest neighbours over a sliding window of the latest examples: a learner
 * that needs no step size, adapts as soon as the window does, and is strong on
 * small, low-dimensional tabular streams. Votes (or the regression mean) are
 * weighted by inverse distance. Exact search (no index): cost grows with
 * window × dimension, so it is meant for inputs of at most a few hundred features.
 *
 * @example
 * const knn = new KnnLearner({ featureSpec: { kind: 'features', dim: 2 }, task: 'classification', labels: ['a', 'b'] });
 * await knn.learn([[0, 0], [5, 5]], ['a', 'b']);
 * knn.predict([[0.2, 0.1]])[0].label; // 'a'
 */
export class KnnLearner extends SinglePassLearner<KnnConfig> {
  static readonly className = 'KnnLearner';
  readonly className = KnnLearner.className;
  private readonly xs: Float32Array;
  private readonly ys: Float32Array;
  /** Examples stored (≤ windowSize), and the slot the next one goes to. */
  private count = 0;
  private head = 0;

  constructor(config: KnnConfig, state?: { x: Float32Array; y: Float32Array; count: number; head: number }) {
    super({ labels: [], k: 5, windowSize: 1000, p: 2, ...config }, config.task);
    const { k, windowSize } = this.config;
    if (!Number.isInteger(k) || k < 1) throw new ConfigError('k', `k must be a positive integer, got ${k}`);
    if (!Number.isInteger(windowSize) || windowSize < 1) throw new ConfigError('windowSize', `windowSize must be a positive integer, got ${windowSize}`);
    this.xs = state?.x ?? new Float32Array(windowSize * this.featureSpec.dim);
    this.ys = state?.y ?? new Float32Array(windowSize);
    this.count = state?.count ?? 0;
    this.head = state?.head ?? 0;
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    return x.map((row) => this.predictOne(row));
  }

  private predictOne(row: readonly number[]): Prediction {
    const { labels, task } = this.config;
    const near = this.neighbours(row);
    if (task === 'regression') {
      if (near.length === 0) return { value: 0 };
      let s = 0;
      let w = 0;
      for (const { i, d } of near) {
        const wi = 1 / (d + 1e-9);
        s += wi * this.ys[i]!;
        w += wi;
      }
      return { value: s / w };
    }
    const votes = new Array<number>(labels.length).fill(0);
    for (const { i, d } of near) votes[this.ys[i]!]! += 1 / (d + 1e-9);
    const total = votes.reduce((a, b) => a + b, 0);
    const scores: Record<string, number> = {};
    let best = 0;
    labels.forEach((l, c) => {
      scores[l] = total > 0 ? votes[c]! / total : 1 / labels.length;
      if (votes[c]! > votes[best]!) best = c;
    });
    return { label: labels[best]!, confidence: scores[labels[best]!]!, scores };
  }

  /** The k stored examples nearest to `row`, with their distances (insertion into a short sorted list). */
  private neighbours(row: readonly number[]): { i: number; d: number }[] {
    const dim = this.featureSpec.dim;
    const k = Math.min(this.config.k, this.count);
    const best: { i: number; d: number }[] = [];
    const manhattan = this.config.p === 1;
    for (let i = 0; i < this.count; i++) {
      const base = i * dim;
      let d = 0;
      const bound = best.length === k ? best[k - 1]!.d : Number.POSITIVE_INFINITY;
      for (let j = 0; j < dim && d < bound; j++) {
        const diff = row[j]! - this.xs[base + j]!;
        d += manhattan ? Math.abs(diff) : diff * diff;
      }
      if (d >= bound) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.d > d) at--;
      best.splice(at, 0, { i, d });
      if (best.length > k) best.pop();
    }
    if (!manhattan) for (const b of best) b.d = Math.sqrt(b.d);
    return best;
  }

  /** Each example joins the window once (weights are not used): the oldest ones make room. */
  protected learnRows(x: readonly (readonly number[])[], targets: readonly number[]): void {
    const windowSize = this.config.windowSize;
    const dim = this.featureSpec.dim;
    x.forEach((row, n) => {
      this.xs.set(row, this.head * dim);
      this.ys[this.head] = targets[n]!;
      this.head = (this.head + 1) % windowSize;
      this.count = Math.min(this.count + 1, windowSize);
    });
  }

  protected parameterCount(): number {
    return this.count * (this.featureSpec.dim + 1);
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    const dim = this.featureSpec.dim;
    const n = this.count;
    const data = new Float32Array(n * dim + n);
    data.set(this.xs.subarray(0, n * dim), 0);
    data.set(this.ys.subarray(0, n), n * dim);
    await handler.save!({
      modelTopology: { knn: { count: n, head: this.head } } as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: [
        { name: 'x', shape: [n, dim], dtype: 'float32' },
        { name: 'y', shape: [n], dtype: 'float32' },
      ],
      weightData: data.buffer,
      format: 'streamtune-knn',
    });
  }

  /** Restores a window {@link save} wrote. */
  static async load(config: KnnConfig, handler: tf.io.IOHandler): Promise<KnnLearner> {
    const a = await handler.load!();
    const { count, head } = (a.modelTopology as unknown as { knn: { count: number; head: number } }).knn;
    const window = config.windowSize ?? 1000;
    const dim = config.featureSpec.dim;
    const data = new Float32Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
    const x = new Float32Array(window * dim);
    const y = new Float32Array(window);
    x.set(data.subarray(0, count * dim));
    y.set(data.subarray(count * dim, count * dim + count));
    return new KnnLearner(config, { x, y, count, head });
  }
}

registerLearner(KnnLearner.className, {
  create: (config) => new KnnLearner(config as unknown as KnnConfig),
  load: (config, handler) => KnnLearner.load(config as unknown as KnnConfig, handler),
});
