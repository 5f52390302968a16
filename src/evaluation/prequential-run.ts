import { PreconditionError, seededRandom } from '../core/index.js';
import type { Learner, Prediction, Task } from '../learners/index.js';

export interface StreamRow {
  id: string;
  x: number[];
  y: string | number;
  /** False for an event that came without a label: learned as unlabelled, never scored. @defaultValue true */
  labelled?: boolean;
}

export interface PrequentialOptions {
  /** Share of the labelled rows whose label the learner sees (a fixed seeded subset); all are scored. @defaultValue 1 */
  labelShare?: number;
  /** @defaultValue 16 */
  batchSize?: number;
  /** @defaultValue 13 */
  seed?: number;
  /**
   * Asked before each batch; when it returns true the run stops there and the
   * scores so far are returned (fewer than the labelled rows: the caller can
   * tell the run was cut). A time budget is `() => clock() > end`. @defaultValue never
   */
  stop?: () => boolean;
  /**
   * Labels released this many events late (as River's `progressive_val_score(delay=…)`):
   * each row is predicted when it arrives, and learned once `labelDelay` more rows have
   * arrived; the last ones are never learned. @defaultValue 0
   */
  labelDelay?: number;
}

/**
 * Test-then-train over a stream in micro-batches: every labelled row is
 * predicted before the learner sees it and scored against its true label (1/0
 * hit, or absolute error for regression); then the learner learns the rows whose
 * label it may see and, if it can, the others as unlabelled. Returns each
 * labelled row's score, in order — what a paired comparison of two learners needs.
 * `batchSize: 1` is the standard prequential protocol (each event learned before
 * the next is predicted); 16 is the trainer's lagged micro-batch protocol. As the
 * trainer does, a learner that reports its step's own predictions
 * (`predictsWhileLearning`) is not asked for a second forward pass when it
 * learns the whole batch (with no label delay).
 */
export async function prequentialScores(learner: Learner, rows: readonly StreamRow[], task: Task, o: PrequentialOptions = {}): Promise<number[]> {
  const share = o.labelShare ?? 1;
  const rand = seededRandom(o.seed ?? 13);
  const visible = rows.map((r) => r.labelled !== false && rand() < share);
  const size = o.batchSize ?? 16;
  const delay = o.labelDelay ?? 0;
  let released = 0;
  const out: number[] = [];
  const push = (r: StreamRow, p: Prediction): void => {
    out.push(task === 'regression' ? Math.abs(p.value! - Number(r.y)) : p.label === String(r.y) ? 1 : 0);
  };
  for (let s = 0; s < rows.length; s += size) {
    if (o.stop?.()) break;
    const batch = rows.slice(s, s + size);
    if (delay === 0 && learner.predictsWhileLearning && batch.every((_, i) => visible[s + i])) {
      released = s + batch.length;
      const r = await learner.learn(batch.map((row) => row.x), batch.map((row) => row.y));
      if (r.predicted || r.predictedValues) {
        batch.forEach((row, i) => push(row, { label: r.predicted?.[i], value: r.predictedValues?.[i] }));
        continue;
      }
      // Learned, but told nothing: the batch cannot be scored any more without a look-ahead.
      throw new PreconditionError(`${learner.className} says it predicts while learning but reported no predictions`, { learner: learner.className });
    }
    const preds = learner.predict(batch.map((r) => r.x));
    batch.forEach((r, i) => {
      if (r.labelled !== false) push(r, preds[i]!);
    });
    // Rows whose label has arrived by now: those at least `labelDelay` rows behind the newest.
    const upTo = Math.max(released, s + batch.length - delay);
    const ready = rows.slice(released, upTo).map((r, i) => ({ r, seen: visible[released + i]! }));
    released = upTo;
    const lab = ready.filter((q) => q.seen).map((q) => q.r);
    const unl = ready.filter((q) => !q.seen).map((q) => q.r);
    if (lab.length > 0) await learner.learn(lab.map((r) => r.x), lab.map((r) => r.y));
    if (unl.length > 0 && learner.learnUnlabelled) await learner.learnUnlabelled(unl.map((r) => r.x), unl.map((r) => r.id));
  }
  return out;
}

/** {@link prequentialScores}, as one number: accuracy (or MAE) over every labelled row. */
export async function prequentialRun(learner: Learner, rows: readonly StreamRow[], task: Task, o: PrequentialOptions = {}): Promise<number> {
  const s = await prequentialScores(learner, rows, task, o);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN;
}

/**
 * Whether two learners' prequential scores on the same events differ by more
 * than noise: the mean paired difference `a − b`, its standard error, and
 * `significant` when |difference| > 2 standard errors (about 95%).
 *
 * @example
 * pairedDifference([1, 1, 0, 1], [1, 0, 0, 1]); // { difference: 0.25, standardError: 0.25, significant: false }
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): { difference: number; standardError: number; significant: boolean } {
  const n = Math.min(a.length, b.length);
  if (n < 2) return { difference: 0, standardError: Number.POSITIVE_INFINITY, significant: false };
  const d = Array.from({ length: n }, (_, i) => a[i]! - b[i]!);
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const standardError = Math.sqrt(variance / n);
  return { difference: mean, standardError, significant: Math.abs(mean) > 2 * standardError };
}
