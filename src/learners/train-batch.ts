import { seededRandom, shuffleInPlace } from '../core/index.js';
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
  /** Scores the learner after each epoch, higher is better (e.g. accuracy on held-out examples); enables `patience`. */
  validate?: (learner: Learner) => number;
  /** Early stopping: stop after this many epochs without a better validation score. @defaultValue no early stopping */
  patience?: number;
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
        { repeat: e > 0 },
      );
      sum += loss;
      steps++;
    }
    last = steps ? sum / steps : 0;
    const val = opts.validate?.(learner);
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
