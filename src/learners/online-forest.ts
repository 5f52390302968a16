import type * as tf from '@tensorflow/tfjs';
import { ConfigError, ModelLoadError, seededRandom } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { loadFloat64State, saveFloat64State, saveModels, unpackHandlers } from '../tensors/index.js';
import { argmax } from './hoeffding-node.js';
import { HoeffdingTreeClassifier, type HoeffdingTreeConfig, type LeafPrediction } from './hoeffding-tree.js';
import type { Prediction } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { SinglePassLearner } from './single-pass-learner.js';

/** Parameters of {@link OnlineForestClassifier}; all JSON, all saved. */
export interface OnlineForestConfig {
  featureSpec: FeatureSpec;
  labels: string[];
  /** Trees in the forest. @defaultValue 10 */
  trees?: number;
  /** Mean of the Poisson weight each tree gives an example (online bagging; 1 is Oza's, 6 is ARF's). @defaultValue 6 */
  lambda?: number;
  /** Features each tree sees, drawn at random per tree. @defaultValue ⌈0.6 × dim⌉, as Streaming Random Patches */
  subspace?: number;
  /** Most nodes per tree, which bounds a saved version's size. @defaultValue 127 */
  maxNodes?: number;
  /** Trees' grace period (in example weight: with λ = 6 an example weighs 6 on average). @defaultValue 50 */
  gracePeriod?: number;
  /** Trees' split confidence. @defaultValue 0.01 */
  delta?: number;
  /** Trees' tie threshold. @defaultValue 0.05 */
  tieThreshold?: number;
  /** Trees' deepest leaf. @defaultValue 20 */
  maxDepth?: number;
  /** How the trees' leaves predict. @defaultValue 'nba' */
  leafPrediction?: LeafPrediction;
  /** Seed of the subspaces and the Poisson draws, so a run repeats exactly. @defaultValue 1 */
  seed?: number;
}

/**
 * An online random forest of {@link HoeffdingTreeClassifier}s, in the spirit of
 * River's `ARFClassifier` and Streaming Random Patches (Gomes et al. 2017, 2019):
 * each tree learns every example with a Poisson(λ) weight (online bagging) and
 * sees a random subset of the features, fixed per tree (a random patch; ARF
 * draws one per split instead); the forest predicts the trees' mean class
 * probabilities. Each tree's size is capped at `maxNodes`. It has no drift
 * detector: a tree follows a new concept only by growing new splits, until it
 * reaches its cap.
 *
 * @example
 * const f = new OnlineForestClassifier({ featureSpec: { kind: 'features', dim: 4 }, labels: ['a', 'b'] });
 * await f.learn(xs, ys);
 * f.predict([[0.1, 0.2, 0.3, 0.4]])[0].label; // 'a' or 'b'
 */
export class OnlineForestClassifier extends SinglePassLearner<OnlineForestConfig> {
  static readonly className = 'OnlineForestClassifier';
  readonly className = OnlineForestClassifier.className;
  readonly trees: HoeffdingTreeClassifier[];
  /** Per tree, the input features it sees, in ascending order. */
  private readonly subspaces: number[][];
  /** Examples learned so far: with the seed, it fixes the next Poisson draws (so a restored forest goes on as the saved one would). */
  private seen: number;
  private readonly scratch: Float64Array;
  private readonly sum: Float64Array;

  constructor(config: OnlineForestConfig, state?: { trees: HoeffdingTreeClassifier[]; seen: number }) {
    super(withDefaults(config), 'classification');
    const dim = config.featureSpec.dim;
    const { trees, lambda, subspace, seed } = this.config;
    if (!(Number.isInteger(trees) && trees >= 1)) throw new ConfigError('trees', `trees must be an integer ≥ 1, got ${trees}`);
    if (!(lambda > 0)) throw new ConfigError('lambda', `lambda must be positive, got ${lambda}`);
    if (!(Number.isInteger(subspace) && subspace >= 1 && subspace <= dim)) throw new ConfigError('subspace', `subspace must be an integer in [1, ${dim}], got ${subspace}`);
    const rand = seededRandom(seed);
    this.subspaces = Array.from({ length: trees }, () => pick(dim, subspace, rand));
    this.trees = state?.trees ?? this.subspaces.map(() => new HoeffdingTreeClassifier(treeConfig(this.config)));
    if (this.trees.length !== trees) throw new ModelLoadError(`saved forest has ${this.trees.length} trees, its config says ${trees}`, { trees });
    this.seen = state?.seen ?? 0;
    this.scratch = new Float64Array(this.config.labels.length);
    this.sum = new Float64Array(this.config.labels.length);
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    const labels = this.config.labels;
    return x.map((row) => {
      const sum = this.sum.fill(0);
      this.trees.forEach((t, i) => {
        t.scoresInto(project(row, this.subspaces[i]!), this.scratch);
        for (let c = 0; c < sum.length; c++) sum[c]! += this.scratch[c]!;
      });
      const scores: Record<string, number> = {};
      for (let c = 0; c < labels.length; c++) scores[labels[c]!] = sum[c]! / this.trees.length;
      const best = argmax(sum);
      return { label: labels[best]!, confidence: sum[best]! / this.trees.length, scores };
    });
  }

  protected learnRows(x: readonly (readonly number[])[], targets: readonly number[], weights?: readonly number[]): void {
    x.forEach((row, n) => {
      const w = weights?.[n] ?? 1;
      // The draws depend only on the seed and the example's position in the stream.
      const rand = seededRandom(this.config.seed * 0x9e3779b1 + this.seen++);
      if (!(w > 0)) return;
      this.trees.forEach((t, i) => {
        const k = poisson(this.config.lambda, rand);
        if (k > 0) t.learnRows([project(row, this.subspaces[i]!)], [targets[n]!], [k * w]);
      });
    });
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    const counter = { save: (h: tf.io.IOHandler) => saveFloat64State(h, 'streamtune-online-forest', {}, Float64Array.of(this.seen)) };
    await saveModels([counter, ...this.trees], handler);
  }

  /** Restores a forest {@link save} wrote. */
  static async load(config: OnlineForestConfig, handler: tf.io.IOHandler): Promise<OnlineForestClassifier> {
    const [counter, ...parts] = await unpackHandlers(handler);
    const seen = (await loadFloat64State(counter!)).state[0]!;
    const trees = await Promise.all(parts.map((h) => HoeffdingTreeClassifier.load(treeConfig(withDefaults(config)), h)));
    return new OnlineForestClassifier(config, { trees, seen });
  }

  /** The trees' parameters, summed. */
  protected parameterCount(): number {
    return this.trees.reduce((s, t) => s + t.describe().parameters, 0);
  }
}

function withDefaults(config: OnlineForestConfig): Required<OnlineForestConfig> {
  const subspace = Math.max(1, Math.ceil(0.6 * config.featureSpec.dim));
  return { trees: 10, lambda: 6, subspace, maxNodes: 127, gracePeriod: 50, delta: 0.01, tieThreshold: 0.05, maxDepth: 20, leafPrediction: 'nba', seed: 1, ...config };
}

/** The configuration every tree is built with: its input is its subspace. */
function treeConfig(c: Required<OnlineForestConfig>): HoeffdingTreeConfig {
  const { labels, subspace, maxNodes, gracePeriod, delta, tieThreshold, maxDepth, leafPrediction } = c;
  return { featureSpec: { kind: 'features', dim: subspace }, labels, maxNodes, gracePeriod, delta, tieThreshold, maxDepth, leafPrediction };
}

/** `size` distinct indices below `dim`, ascending (a partial Fisher–Yates shuffle). */
function pick(dim: number, size: number, rand: () => number): number[] {
  const all = Array.from({ length: dim }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (dim - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, size).sort((a, b) => a - b);
}

function project(row: readonly number[], features: readonly number[]): number[] {
  return features.map((j) => row[j]!);
}

/** A Poisson(λ) draw (Knuth's multiplication method: fine for the small λ of online bagging). */
function poisson(lambda: number, rand: () => number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

registerLearner(OnlineForestClassifier.className, {
  create: (config) => new OnlineForestClassifier(config as unknown as OnlineForestConfig),
  load: (config, handler) => OnlineForestClassifier.load(config as unknown as OnlineForestConfig, handler),
});
