import type * as tf from '@tensorflow/tfjs';
import { ConfigError, ModelLoadError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { loadFloat64State, saveFloat64State } from '../tensors/index.js';
import { argmax, leafOf, majorityScores, naiveBayesLogScores, newLeaf, observe, softmaxInPlace, STATS_PER_CLASS, type HtLeaf, type HtNode } from './hoeffding-node.js';
import { decideSplit } from './hoeffding-split.js';
import type { Prediction } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { SinglePassLearner } from './single-pass-learner.js';

/** How a leaf predicts: majority class, naive Bayes, or whichever has been more accurate at that leaf. */
export type LeafPrediction = 'mc' | 'nb' | 'nba';

/** Parameters of {@link HoeffdingTreeClassifier}; all JSON, all saved. */
export interface HoeffdingTreeConfig {
  featureSpec: FeatureSpec;
  labels: string[];
  /** Weight of examples a leaf sees between two split attempts. @defaultValue 200 */
  gracePeriod?: number;
  /** Allowed probability of choosing the wrong split (the Hoeffding bound's δ). @defaultValue 1e-7 */
  delta?: number;
  /** Split anyway once the Hoeffding bound is below this (the best two splits are then as good). @defaultValue 0.05 */
  tieThreshold?: number;
  /** Deepest a leaf may be (the root is at depth 0). @defaultValue 20 */
  maxDepth?: number;
  /** How leaves predict. @defaultValue 'nba' */
  leafPrediction?: LeafPrediction;
  /** Most nodes (branches and leaves) the tree may grow, which bounds a saved version's size; null for no bound. @defaultValue null */
  maxNodes?: number | null;
  /**
   * Largest size of the saved tree, in bytes: a leaf whose split would pass it
   * does not split (it goes on learning its statistics). Every checkpoint carries
   * the whole tree, so this bounds what the tree adds to each version. A leaf
   * costs `8 × (5 + 2k + 5·k·dim)` bytes (k classes, dim features): ~25 KB for
   * 64 features and 10 classes, so the default holds 5 of those leaves, or about
   * 180 of 8 features and 2 classes. @defaultValue 131072 (128 KiB)
   */
  maxBytes?: number;
}

/** Size of a tree: nodes (branches and leaves), leaves, and the depth of its deepest leaf. */
export interface TreeShape {
  nodes: number;
  leaves: number;
  depth: number;
}

/** Numbers a serialized leaf starts with, before its class and feature statistics. */
const LEAF_HEADER = 5;
const BRANCH_SIZE = 3;
/** Numbers a serialized leaf holds, for k classes and dim features. */
const leafSize = (k: number, dim: number): number => LEAF_HEADER + 2 * k + dim * k * STATS_PER_CLASS;

/**
 * Hoeffding tree (VFDT, Domingos & Hulten 2000), as River's
 * `tree.HoeffdingTreeClassifier`: an incremental decision tree for numeric
 * features that learns each example once, in constant time per example. A
 * leaf keeps per-class Gaussian estimates of each feature; every `gracePeriod`
 * examples it scores binary splits by information gain and splits when the
 * best one beats the runner-up by the Hoeffding bound. Leaves predict with
 * naive Bayes where that has been more accurate than the majority class.
 * Splits are scale-free, so features need no standardizing. It does not
 * forget: a drifting concept is followed only by growing new splits. It stops
 * growing once another split would take its saved size past `maxBytes`, so a
 * stream of any length makes versions of a bounded size.
 *
 * @example
 * const ht = new HoeffdingTreeClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['lo', 'hi'] });
 * await ht.learn([[0, 1], [0.1, 0], [0.9, 1], [1, 0]], ['lo', 'lo', 'hi', 'hi']);
 * ht.predict([[0.95, 0.5]])[0].label; // 'hi'
 */
export class HoeffdingTreeClassifier extends SinglePassLearner<HoeffdingTreeConfig> {
  static readonly className = 'HoeffdingTreeClassifier';
  readonly className = HoeffdingTreeClassifier.className;
  private root: HtNode;
  /** Nodes in the tree (kept beside it so the `maxNodes` check costs nothing). */
  private nodes: number;
  /** Scratch space for one row's class scores. */
  private readonly scratch: Float64Array;
  /** Leaves and branches now (the saved size follows from them). */
  private leaves: number;
  private branches: number;

  constructor(config: HoeffdingTreeConfig, root?: HtNode) {
    super({ gracePeriod: 200, delta: 1e-7, tieThreshold: 0.05, maxDepth: 20, leafPrediction: 'nba', maxNodes: null, maxBytes: 131_072, ...config }, 'classification');
    const { labels, gracePeriod, delta, tieThreshold, maxDepth, leafPrediction, maxNodes, maxBytes } = this.config;
    if (!(gracePeriod > 0)) throw new ConfigError('gracePeriod', `gracePeriod must be positive, got ${gracePeriod}`);
    if (!(delta > 0 && delta < 1)) throw new ConfigError('delta', `delta must be in (0, 1), got ${delta}`);
    if (!(tieThreshold >= 0)) throw new ConfigError('tieThreshold', `tieThreshold must be at least 0, got ${tieThreshold}`);
    if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new ConfigError('maxDepth', `maxDepth must be an integer ≥ 0, got ${maxDepth}`);
    if (!['mc', 'nb', 'nba'].includes(leafPrediction)) throw new ConfigError('leafPrediction', `leafPrediction must be 'mc', 'nb' or 'nba', got ${String(leafPrediction)}`);
    if (maxNodes !== null && !(Number.isInteger(maxNodes) && maxNodes >= 1)) throw new ConfigError('maxNodes', `maxNodes must be an integer ≥ 1 or null, got ${maxNodes}`);
    if (!(maxBytes > 0)) throw new ConfigError('maxBytes', `maxBytes must be positive, got ${maxBytes}`);
    this.root = root ?? newLeaf(0, labels.length, this.featureSpec.dim);
    this.nodes = root ? this.shape().nodes : 1;
    this.scratch = new Float64Array(labels.length);
    const { nodes, leaves } = this.shape();
    this.leaves = leaves;
    this.branches = nodes - leaves;
  }

  /** Bytes {@link save} writes for the tree as it is (its state; the topology adds a few dozen). */
  get stateBytes(): number {
    return 8 * (this.branches * BRANCH_SIZE + this.leaves * leafSize(this.config.labels.length, this.featureSpec.dim));
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    const labels = this.config.labels;
    return x.map((row) => {
      const p = this.scratch;
      this.leafScores(leafOf(this.root, row).leaf, row, p);
      const scores: Record<string, number> = {};
      for (let c = 0; c < labels.length; c++) scores[labels[c]!] = p[c]!;
      const best = argmax(p);
      return { label: labels[best]!, confidence: p[best]!, scores };
    });
  }

  /** Class probabilities of one row, in label order, into `out` (what an ensemble of trees averages). */
  scoresInto(row: readonly number[], out: Float64Array): void {
    this.leafScores(leafOf(this.root, row).leaf, row, out);
  }

  /** Class probabilities of a row at its leaf, into `out`. */
  private leafScores(leaf: HtLeaf, row: readonly number[], out: Float64Array): void {
    const mode = this.config.leafPrediction;
    const useNb = mode === 'nb' || (mode === 'nba' && leaf.nbCorrect >= leaf.mcCorrect);
    // Naive Bayes needs observations at the leaf (and, with absurd feature values, finite densities).
    if (!(useNb && naiveBayesLogScores(leaf, row, out) && softmaxInPlace(out))) majorityScores(leaf, out);
  }

  /** Learns rows whose targets are class indices, already checked (public so that an ensemble can feed its trees directly). */
  learnRows(x: readonly (readonly number[])[], targets: readonly number[], weights?: readonly number[]): void {
    x.forEach((row, n) => {
      const w = weights?.[n] ?? 1;
      // An example of weight 0 carries nothing (and a negative or NaN one would corrupt the counts).
      if (w > 0) this.learnOne(row, targets[n]!, w);
    });
  }

  private learnOne(row: readonly number[], c: number, w: number): void {
    const { leaf, parent } = leafOf(this.root, row);
    if (this.config.leafPrediction === 'nba') {
      const p = this.scratch;
      // As River: an empty leaf credits the majority class.
      majorityScores(leaf, p);
      if (leaf.weight === 0 || argmax(p) === c) leaf.mcCorrect += w;
      if (naiveBayesLogScores(leaf, row, p) && argmax(p) === c) leaf.nbCorrect += w;
    }
    observe(leaf, row, c, w);
    const { gracePeriod, delta, tieThreshold, maxDepth, maxNodes, maxBytes } = this.config;
    if (leaf.depth >= maxDepth || leaf.weight - leaf.lastAttempt < gracePeriod) return;
    // A split adds two nodes; at the bound the leaves go on learning their statistics.
    if (maxNodes !== null && this.nodes + 2 > maxNodes) return;
    leaf.lastAttempt = leaf.weight;
    // A split turns a leaf into a branch and two leaves: one leaf and one branch more.
    const k = this.config.labels.length;
    const dim = this.featureSpec.dim;
    if (this.stateBytes + 8 * (BRANCH_SIZE + leafSize(k, dim)) > maxBytes) return;
    const split = decideSplit(leaf, delta, tieThreshold);
    if (split === null) return;
    const branch: HtNode = {
      isLeaf: false,
      feature: split.feature,
      threshold: split.threshold,
      left: newLeaf(leaf.depth + 1, k, dim, split.left),
      right: newLeaf(leaf.depth + 1, k, dim, split.right),
    };
    this.nodes += 2;
    if (parent === null) this.root = branch;
    else if (parent.left === leaf) parent.left = branch;
    else parent.right = branch;
    this.leaves++;
    this.branches++;
  }

  /** Nodes, leaves and depth of the tree grown so far. */
  shape(): TreeShape {
    const out: TreeShape = { nodes: 0, leaves: 0, depth: 0 };
    const stack: HtNode[] = [this.root];
    while (stack.length) {
      const node = stack.pop()!;
      out.nodes++;
      if (node.isLeaf) {
        out.leaves++;
        out.depth = Math.max(out.depth, node.depth);
      } else stack.push(node.right, node.left);
    }
    return out;
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    const state = encodeTree(this.root, this.config.labels.length, this.featureSpec.dim);
    const { nodes, leaves } = this.shape();
    await saveFloat64State(handler, 'streamtune-hoeffding-tree', { hoeffdingTree: { nodes, leaves } }, state);
  }

  /** Restores a tree {@link save} wrote. */
  static async load(config: HoeffdingTreeConfig, handler: tf.io.IOHandler): Promise<HoeffdingTreeClassifier> {
    const { state } = await loadFloat64State(handler);
    return new HoeffdingTreeClassifier(config, decodeTree(state, config.labels.length, config.featureSpec.dim));
  }

  /** Two numbers per branch (feature, threshold); class weights and Gaussian statistics per leaf. */
  protected parameterCount(): number {
    const { leaves, nodes } = this.shape();
    const k = this.config.labels.length;
    return 2 * (nodes - leaves) + leaves * (2 * k + this.featureSpec.dim * k * STATS_PER_CLASS);
  }
}

/**
 * The tree in pre-order, as float64s: a branch is `[0, feature, threshold]`, a
 * leaf `[1, weight, lastAttempt, mcCorrect, nbCorrect, counts…, seen…, stats…]`.
 */
function encodeTree(root: HtNode, k: number, dim: number): Float64Array<ArrayBuffer> {
  const size = leafSize(k, dim);
  const nodes: HtNode[] = [];
  const stack: HtNode[] = [root];
  let length = 0;
  while (stack.length) {
    const node = stack.pop()!;
    nodes.push(node);
    if (node.isLeaf) length += size;
    else {
      length += BRANCH_SIZE;
      stack.push(node.right, node.left);
    }
  }
  const out = new Float64Array(length);
  let at = 0;
  for (const node of nodes) {
    if (!node.isLeaf) {
      out.set([0, node.feature, node.threshold], at);
      at += BRANCH_SIZE;
      continue;
    }
    out.set([1, node.weight, node.lastAttempt, node.mcCorrect, node.nbCorrect], at);
    out.set(node.counts, at + LEAF_HEADER);
    out.set(node.seen, at + LEAF_HEADER + k);
    out.set(node.stats, at + LEAF_HEADER + 2 * k);
    at += size;
  }
  return out;
}

/** Rebuilds the tree {@link encodeTree} wrote; throws if the numbers do not describe one for k classes and dim features. */
function decodeTree(state: Float64Array, k: number, dim: number): HtNode {
  const size = leafSize(k, dim);
  let at = 0;
  const bad = (why: string): ModelLoadError => new ModelLoadError(`saved Hoeffding tree is corrupt: ${why}`, { at });
  const read = (depth: number): HtNode => {
    const tag = state[at];
    if (tag === 0 && at + BRANCH_SIZE <= state.length) {
      const feature = state[at + 1]!;
      const threshold = state[at + 2]!;
      if (!Number.isInteger(feature) || feature < 0 || feature >= dim) throw bad(`feature ${feature} of a ${dim}-feature input`);
      at += BRANCH_SIZE;
      const left = read(depth + 1);
      const right = read(depth + 1);
      return { isLeaf: false, feature, threshold, left, right };
    }
    if (tag !== 1 || at + size > state.length) throw bad(`no node at offset ${at}`);
    const leaf = newLeaf(depth, k, dim, state.slice(at + LEAF_HEADER, at + LEAF_HEADER + k));
    leaf.weight = state[at + 1]!;
    leaf.lastAttempt = state[at + 2]!;
    leaf.mcCorrect = state[at + 3]!;
    leaf.nbCorrect = state[at + 4]!;
    leaf.seen.set(state.subarray(at + LEAF_HEADER + k, at + LEAF_HEADER + 2 * k));
    leaf.stats.set(state.subarray(at + LEAF_HEADER + 2 * k, at + size));
    at += size;
    return leaf;
  };
  const root = read(0);
  if (at !== state.length) throw bad(`${state.length - at} numbers left over`);
  return root;
}

registerLearner(HoeffdingTreeClassifier.className, {
  create: (config) => new HoeffdingTreeClassifier(config as unknown as HoeffdingTreeConfig),
  load: (config, handler) => HoeffdingTreeClassifier.load(config as unknown as HoeffdingTreeConfig, handler),
});
