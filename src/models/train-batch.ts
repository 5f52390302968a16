import type { Learner } from './learner.js';

/** A featurized, labelled example. */
export interface Example {
  x: number[];
  y: string | number;
  weight?: number;
}

export interface TrainBatchOptions {
  /** Passes over the data. @defaultValue 30 */
  epochs?: number;
  /** Examples per step. @defaultValue 32 */
  batchSize?: number;
  /** Seed of the per-epoch shuffle. @defaultValue 1 */
  seed?: number;
  /** Called after each epoch with its mean loss (and the validation score when there is a validation set). */
  onEpoch?: (epoch: number, loss: number, validation?: number) => void;
  /** Held-out examples scored after each epoch ({@link score}: accuracy, or −MAE for regression). */
  validation?: readonly Example[];
  /** Early stopping: stop after this many epochs without a better validation score. @defaultValue no early stopping */
  patience?: number;
}

/** Small, fast, seedable PRNG (mulberry32): shuffles repeat exactly for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle driven by a seeded `rand`, so an epoch order repeats for a seed. */
export function shuffleInPlace<T>(items: T[], rand: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Batch training: shuffled mini-batch passes over a dataset through the same
 * `learn` step the online pipeline uses, so a base model and its online
 * successors are trained by one code path.
 */
export async function trainBatch(learner: Learner, data: readonly Example[], opts: TrainBatchOptions = {}): Promise<number> {
  const { epochs = 30, batchSize = 32, seed = 1, onEpoch } = opts;
  const rand = seededRandom(seed);
  const order = data.map((_, i) => i);
  let last = 0;
  let best = Number.NEGATIVE_INFINITY;
  let since = 0;
  for (let e = 0; e < epochs; e++) {
    shuffleInPlace(order, rand);
    let sum = 0;
    let steps = 0;
    for (let s = 0; s < order.length; s += batchSize) {
      const batch = order.slice(s, s + batchSize).map((i) => data[i]!);
      const { loss } = await learner.learn(
        batch.map((b) => b.x),
        batch.map((b) => b.y),
        batch.some((b) => b.weight !== undefined) ? batch.map((b) => b.weight ?? 1) : undefined,
      );
      sum += loss;
      steps++;
    }
    last = steps ? sum / steps : 0;
    const val = opts.validation?.length ? score(learner, opts.validation) : undefined;
    onEpoch?.(e + 1, last, val);
    if (val !== undefined && opts.patience !== undefined) {
      if (val > best + 1e-9) {
        best = val;
        since = 0;
      } else if (++since >= opts.patience) break;
    }
  }
  return last;
}

/** Share of examples whose predicted label equals the true label. */
export function accuracy(learner: Learner, data: readonly Example[]): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  let ok = 0;
  preds.forEach((p, i) => {
    if (p.label === String(data[i]!.y)) ok++;
  });
  return ok / data.length;
}

/** Mean absolute error of a regressor's predictions. */
export function meanAbsoluteError(learner: Learner, data: readonly Example[]): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  return preds.reduce((s, p, i) => s + Math.abs((p.value ?? Number.NaN) - Number(data[i]!.y)), 0) / data.length;
}

/** Higher is better: accuracy for a classifier, minus the MAE for a regressor. */
export function score(learner: Learner, data: readonly Example[]): number {
  return learner.describe().task === 'regression' ? -meanAbsoluteError(learner, data) : accuracy(learner, data);
}
