/**
 * Nodes of a {@link HoeffdingTreeClassifier} and what a leaf knows: class
 * weights, and per feature and class a Gaussian estimate (weighted Welford mean
 * and M2, with the smallest and largest value seen) — enough to propose splits
 * and to predict with naive Bayes, in a fixed number of numbers per leaf.
 */

/** Numbers a leaf keeps per feature and class: weight, mean, Welford's M2, min, max. */
export const STATS_PER_CLASS = 5;

/** A leaf: statistics of the examples that reached it since it was created. */
export interface HtLeaf {
  readonly isLeaf: true;
  readonly depth: number;
  /** Class weights: observed here, plus the share the split that created the leaf estimated it would get (as River does). */
  readonly counts: Float64Array;
  /** Sum of `counts`, kept apart so it is exactly the same number after a save and load. */
  weight: number;
  /** Class weights observed here (the naive Bayes prior, consistent with `stats`). */
  readonly seen: Float64Array;
  /** Feature-major: for feature j and class c, `STATS_PER_CLASS` numbers at `(j * k + c) * STATS_PER_CLASS`. */
  readonly stats: Float64Array;
  /** `weight` when a split was last considered: the next try waits for a grace period more. */
  lastAttempt: number;
  /** Weight of the examples majority class and naive Bayes got right here (for the 'nba' choice). */
  mcCorrect: number;
  nbCorrect: number;
}

/** A binary test: rows with `x[feature] <= threshold` go left, the others (NaN included) right. */
export interface HtBranch {
  readonly isLeaf: false;
  readonly feature: number;
  readonly threshold: number;
  left: HtNode;
  right: HtNode;
}

export type HtNode = HtLeaf | HtBranch;

/** A fresh leaf; `counts` are the class weights its parent's split estimated for it. */
export function newLeaf(depth: number, k: number, dim: number, counts?: Float64Array): HtLeaf {
  const c = counts ?? new Float64Array(k);
  const weight = c.reduce((a, b) => a + b, 0);
  return {
    isLeaf: true,
    depth,
    counts: c,
    weight,
    seen: new Float64Array(k),
    stats: new Float64Array(dim * k * STATS_PER_CLASS),
    lastAttempt: weight,
    mcCorrect: 0,
    nbCorrect: 0,
  };
}

/** The leaf a row falls into, and the branch that leads to it (null at the root). */
export function leafOf(root: HtNode, row: readonly number[]): { leaf: HtLeaf; parent: HtBranch | null } {
  let node = root;
  let parent: HtBranch | null = null;
  while (!node.isLeaf) {
    parent = node;
    node = row[node.feature]! <= node.threshold ? node.left : node.right;
  }
  return { leaf: node, parent };
}

/** Adds one example of class `c` and weight `w`; non-finite feature values are treated as missing. */
export function observe(leaf: HtLeaf, row: readonly number[], c: number, w: number): void {
  const k = leaf.counts.length;
  leaf.counts[c]! += w;
  leaf.weight += w;
  leaf.seen[c]! += w;
  const s = leaf.stats;
  const dim = s.length / (k * STATS_PER_CLASS);
  for (let j = 0; j < dim; j++) {
    const v = row[j]!;
    if (!Number.isFinite(v)) continue;
    const i = (j * k + c) * STATS_PER_CLASS;
    const n = s[i]! + w;
    const d = v - s[i + 1]!;
    const mean = s[i + 1]! + (w * d) / n;
    if (s[i] === 0) {
      s[i + 3] = v;
      s[i + 4] = v;
    } else {
      if (v < s[i + 3]!) s[i + 3] = v;
      if (v > s[i + 4]!) s[i + 4] = v;
    }
    s[i] = n;
    s[i + 1] = mean;
    s[i + 2]! += w * d * (v - mean);
  }
}

/** Index of the largest value (the first on ties). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

/** Majority-class scores: the leaf's class weights, normalized (uniform at an empty leaf). */
export function majorityScores(leaf: HtLeaf, out: Float64Array): void {
  const k = out.length;
  for (let c = 0; c < k; c++) out[c] = leaf.weight > 0 ? leaf.counts[c]! / leaf.weight : 1 / k;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Naive-Bayes log-scores (unnormalized) of a row at a leaf, into `out`; false
 * when the leaf has observed nothing yet. A class's variance is shrunk towards
 * the feature's variance at the leaf by one pseudo-example, so a class seen once
 * (variance 0) does not get an infinitely narrow density.
 */
export function naiveBayesLogScores(leaf: HtLeaf, row: readonly number[], out: Float64Array): boolean {
  const k = out.length;
  let seen = 0;
  for (let c = 0; c < k; c++) seen += leaf.seen[c]!;
  if (seen <= 0) return false;
  for (let c = 0; c < k; c++) out[c] = leaf.seen[c]! > 0 ? Math.log(leaf.seen[c]! / seen) : Number.NEGATIVE_INFINITY;
  const s = leaf.stats;
  const dim = s.length / (k * STATS_PER_CLASS);
  for (let j = 0; j < dim; j++) {
    const v = row[j]!;
    if (!Number.isFinite(v)) continue;
    const base = j * k * STATS_PER_CLASS;
    // The feature's mean and variance over all classes at this leaf (Chan et al.'s pairwise combination).
    let n = 0;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const i = base + c * STATS_PER_CLASS;
      n += s[i]!;
      sum += s[i]! * s[i + 1]!;
    }
    if (n <= 0) continue;
    const mu = sum / n;
    let m2 = 0;
    for (let c = 0; c < k; c++) {
      const i = base + c * STATS_PER_CLASS;
      const d = s[i + 1]! - mu;
      m2 += s[i + 2]! + s[i]! * d * d;
    }
    const pooled = m2 / n;
    // A feature constant at this leaf says nothing about the class.
    if (!(pooled > 1e-12 * (1 + mu * mu))) continue;
    for (let c = 0; c < k; c++) {
      if (out[c] === Number.NEGATIVE_INFINITY) continue;
      const i = base + c * STATS_PER_CLASS;
      const w = s[i]!;
      const mean = w > 0 ? s[i + 1]! : mu;
      const variance = (s[i + 2]! + pooled) / (w + 1);
      const d = v - mean;
      out[c]! -= 0.5 * (LOG_2PI + Math.log(variance) + (d * d) / variance);
    }
  }
  return true;
}

/** Turns log-scores into probabilities that sum to 1, in place; false (and `a` unusable) when no score is finite. */
export function softmaxInPlace(a: Float64Array): boolean {
  let top = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < a.length; c++) if (a[c]! > top) top = a[c]!;
  if (!Number.isFinite(top)) return false;
  let z = 0;
  for (let c = 0; c < a.length; c++) {
    a[c] = Math.exp(a[c]! - top);
    z += a[c]!;
  }
  for (let c = 0; c < a.length; c++) a[c] = a[c]! / z;
  return true;
}
