import { STATS_PER_CLASS, type HtLeaf } from './hoeffding-node.js';

/** A binary split a leaf could make, with its information gain and the class weights it would send each way. */
export interface SplitCandidate {
  feature: number;
  threshold: number;
  merit: number;
  left: Float64Array;
  right: Float64Array;
}

/** Thresholds tried per feature, evenly spaced between its smallest and largest value (River's GaussianSplitter default). */
const SPLIT_POINTS = 10;
/** A split must send more than this share of the weight down each branch (River's `min_branch_fraction`). */
const MIN_BRANCH_FRACTION = 0.01;

/** Entropy in bits of class weights, and their total through `total`. */
function entropy(dist: Float64Array): { h: number; total: number } {
  let total = 0;
  let s = 0;
  for (let c = 0; c < dist.length; c++) {
    const d = dist[c]!;
    if (d > 0) {
      total += d;
      s -= d * Math.log2(d);
    }
  }
  return { h: total > 0 ? (s + total * Math.log2(total)) / total : 0, total };
}

/** Complementary error function (Numerical Recipes' erfcc: fractional error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(X ≤ x) for X ~ N(mean, variance). */
function normalCdf(x: number, mean: number, variance: number): number {
  return variance > 0 ? 0.5 * erfc((mean - x) / Math.sqrt(2 * variance)) : x >= mean ? 1 : 0;
}

/**
 * The best binary split on one feature: candidate thresholds evenly spaced
 * between the smallest and largest value seen, each class's weight divided by
 * its Gaussian's CDF at the threshold, scored by information gain. Null when
 * the feature took a single value here or no threshold sends enough weight
 * each way.
 */
export function bestSplitOn(leaf: HtLeaf, feature: number): SplitCandidate | null {
  const k = leaf.counts.length;
  const s = leaf.stats;
  const base = feature * k * STATS_PER_CLASS;
  const pre = new Float64Array(k);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    const i = base + c * STATS_PER_CLASS;
    if (!(s[i]! > 0)) continue;
    pre[c] = s[i]!;
    lo = Math.min(lo, s[i + 3]!);
    hi = Math.max(hi, s[i + 4]!);
  }
  if (!(hi > lo)) return null;
  const { h: hPre, total } = entropy(pre);
  let best: SplitCandidate | null = null;
  const step = (hi - lo) / (SPLIT_POINTS + 1);
  for (let p = 1; p <= SPLIT_POINTS; p++) {
    const t = lo + step * p;
    if (!(t > lo && t < hi)) continue;
    const left = new Float64Array(k);
    const right = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const i = base + c * STATS_PER_CLASS;
      const w = pre[c]!;
      if (w === 0) continue;
      if (t < s[i + 3]!) right[c] = w;
      else if (t >= s[i + 4]!) left[c] = w;
      else {
        left[c] = normalCdf(t, s[i + 1]!, s[i + 2]! / w) * w;
        right[c] = w - left[c]!;
      }
    }
    const l = entropy(left);
    const r = entropy(right);
    if (!(l.total > MIN_BRANCH_FRACTION * total && r.total > MIN_BRANCH_FRACTION * total)) continue;
    const merit = hPre - (l.total * l.h + r.total * r.h) / total;
    if (best === null || merit > best.merit) best = { feature, threshold: t, merit, left, right };
  }
  return best;
}

/** Hoeffding bound: with probability 1 − δ, a mean of n observations in a range R is within ε of the true mean. */
export function hoeffdingBound(range: number, delta: number, n: number): number {
  return Math.sqrt((range * range * Math.log(1 / delta)) / (2 * n));
}

/**
 * VFDT's decision (Domingos & Hulten 2000): the split to make at a leaf, or
 * null. The best feature's gain must beat the runner-up's (or not splitting,
 * gain 0) by the Hoeffding bound, unless the bound is already below
 * `tieThreshold` (the two are then as good as each other).
 */
export function decideSplit(leaf: HtLeaf, delta: number, tieThreshold: number): SplitCandidate | null {
  const k = leaf.counts.length;
  let classes = 0;
  for (let c = 0; c < k; c++) if (leaf.counts[c]! > 0) classes++;
  if (classes < 2) return null;
  const dim = leaf.stats.length / (k * STATS_PER_CLASS);
  let best: SplitCandidate | null = null;
  // Not splitting competes too, with a gain of 0 (River's merit pre-pruning).
  let second = 0;
  for (let j = 0; j < dim; j++) {
    const cand = bestSplitOn(leaf, j);
    if (cand === null) continue;
    if (best === null || cand.merit > best.merit) {
      if (best !== null) second = Math.max(second, best.merit);
      best = cand;
    } else second = Math.max(second, cand.merit);
  }
  if (best === null || !(best.merit > 0)) return null;
  const eps = hoeffdingBound(Math.log2(classes), delta, leaf.weight);
  return best.merit - second > eps || eps < tieThreshold ? best : null;
}
