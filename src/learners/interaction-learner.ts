import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { describeLearner, type Json, type LearnOptions, type Learner, type ModelDescription, type Prediction, type StepResult } from './learner.js';
import { createLearner, loadLearner, registerLearner } from './learner-registry.js';

/** Parameters of {@link InteractionLearner}; all JSON, all saved. */
export interface InteractionLearnerConfig {
  /** The raw input (numeric features only). */
  featureSpec: FeatureSpec;
  /** The learner fed the expanded input, by class name and config; its `featureSpec` is set here. */
  base: { className: string; config: { [k: string]: Json } };
  /** Slots for the pairwise products: when there are more pairs, they are hashed into this many. @defaultValue 1024 */
  buckets?: number;
}

/**
 * Quadratic feature interactions, as Vowpal Wabbit's `-q ff`: the base learner
 * (typically a linear model) sees the features followed by every pairwise
 * product x_i·x_j (i ≤ j, squares included). When there are more pairs than
 * `buckets`, each pair is hashed to a bucket with a random sign (the hashing
 * trick, Weinberger et al. 2009), so collisions cancel on average; otherwise
 * each pair has its own slot. A linear model on these separates classes a
 * plane cannot (XOR, rings) and fits curved regression surfaces.
 *
 * @example
 * const q = new InteractionLearner({ featureSpec: { kind: 'features', dim: 2 }, base: { className: 'DenseClassifier', config: { labels: ['a', 'b'], hiddenUnits: [] } } });
 * await q.learn([[1, 1], [-1, 1], [1, -1], [-1, -1]], ['a', 'b', 'b', 'a']); // XOR
 */
export class InteractionLearner implements Learner {
  static readonly className = 'InteractionLearner';
  readonly className = InteractionLearner.className;
  readonly featureSpec: FeatureSpec;
  readonly base: Learner;
  private readonly buckets: number;
  /** Per pair (i ≤ j, row-major): the slot of its product after the raw features, and its sign. */
  private readonly slot: Int32Array;
  private readonly sign: Float64Array;
  private readonly width: number;

  constructor(config: InteractionLearnerConfig, base?: Learner) {
    if (config.featureSpec.kind !== 'features') throw new ConfigError('featureSpec', `feature interactions need numeric features, got "${config.featureSpec.kind}" input`);
    this.featureSpec = config.featureSpec;
    this.buckets = config.buckets ?? 1024;
    if (!(Number.isInteger(this.buckets) && this.buckets >= 1)) throw new ConfigError('buckets', `buckets must be an integer ≥ 1, got ${this.buckets}`);
    const d = config.featureSpec.dim;
    const pairs = (d * (d + 1)) / 2;
    const hashed = pairs > this.buckets;
    this.width = hashed ? this.buckets : pairs;
    this.slot = new Int32Array(pairs);
    this.sign = new Float64Array(pairs).fill(1);
    let p = 0;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++, p++) {
        if (!hashed) {
          this.slot[p] = d + p;
          continue;
        }
        const h = mix(i * 0x10000 + j);
        this.slot[p] = d + (h % this.buckets);
        this.sign[p] = h & 0x80000000 ? -1 : 1;
      }
    }
    this.base = base ?? createLearner(config.base.className, { ...config.base.config, featureSpec: { kind: 'features', dim: d + this.width } });
  }

  get predictsWhileLearning(): boolean | undefined {
    return this.base.predictsWhileLearning;
  }

  get singlePass(): boolean | undefined {
    return this.base.singlePass;
  }

  get learningRate(): number | undefined {
    return this.base.learningRate;
  }

  setLearningRate(lr: number): void {
    this.base.setLearningRate?.(lr);
  }

  /** A row followed by its pairwise products (hashed when there are more pairs than buckets). */
  expand(row: readonly number[]): number[] {
    const d = this.featureSpec.dim;
    const out = new Array<number>(d + this.width).fill(0);
    for (let i = 0; i < d; i++) out[i] = row[i]!;
    let p = 0;
    for (let i = 0; i < d; i++) {
      const xi = row[i]!;
      for (let j = i; j < d; j++, p++) out[this.slot[p]!]! += this.sign[p]! * xi * row[j]!;
    }
    return out;
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    return this.base.predict(x.map((r) => this.expand(r)));
  }

  learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult> {
    return this.base.learn(
      x.map((r) => this.expand(r)),
      y,
      weights,
      opts,
    );
  }

  getConfig(): { [k: string]: Json } {
    return { featureSpec: this.featureSpec as unknown as Json, base: { className: this.base.className, config: this.base.getConfig() }, buckets: this.buckets };
  }

  save(handler: tf.io.IOHandler): Promise<void> {
    return this.base.save(handler);
  }

  static async load(config: InteractionLearnerConfig, handler: tf.io.IOHandler): Promise<InteractionLearner> {
    return new InteractionLearner(config, await loadLearner(config.base.className, config.base.config, handler));
  }

  describe(): ModelDescription {
    const b = this.base.describe();
    return describeLearner(this, b.task, b.labels, b.parameters);
  }

  dispose(): void {
    this.base.dispose();
  }
}

/** A 32-bit integer hash (murmur3's finalizer), as an unsigned number. */
function mix(v: number): number {
  let h = v >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

registerLearner(InteractionLearner.className, {
  create: (config) => new InteractionLearner(config as unknown as InteractionLearnerConfig),
  load: (config, handler) => InteractionLearner.load(config as unknown as InteractionLearnerConfig, handler),
});
