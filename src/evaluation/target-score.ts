import { RollingWindow } from '../core/index.js';
import { spansOfTarget, spansTarget } from '../ingest/index.js';
import type { Prediction, Task } from '../learners/index.js';
import { entityCounts, type EntityCounts } from './span-f1.js';

/**
 * How a task's predictions are scored against the truth, one example at a time,
 * so the guardrail compares versions by the metric of their kind: accuracy for
 * classes (a hit is a true positive, a miss a false positive), entity F1 for spans.
 * Targets and predictions are strings as the learner protocol carries them.
 *
 * @example
 * const s = targetScore('spans');
 * s.of(s.counts(truthTarget, predictedTarget), 1); // F1 of one text
 */
export interface TargetScore {
  /** The metric's name in messages (`accuracy`, `entity F1`). */
  readonly name: string;
  counts(truth: string | number, predicted: string | undefined): EntityCounts;
  /** The score from summed counts over `n` examples (NaN for none). */
  of(sum: EntityCounts, n: number): number;
}

const ACCURACY: TargetScore = {
  name: 'accuracy',
  counts: (truth, predicted) => (predicted === String(truth) ? { tp: 1, fp: 0, fn: 0 } : { tp: 0, fp: 1, fn: 0 }),
  of: (sum, n) => (n ? sum.tp / n : Number.NaN),
};

const ENTITY_F1: TargetScore = {
  name: 'entity F1',
  counts: (truth, predicted) => entityCounts(spansOfTarget(truth), predicted === undefined ? [] : spansOfTarget(predicted)),
  of: (sum, n) => (n === 0 ? Number.NaN : 2 * sum.tp + sum.fp + sum.fn === 0 ? 1 : (2 * sum.tp) / (2 * sum.tp + sum.fp + sum.fn)),
};

/** The scorer of a task: entity F1 for spans, accuracy otherwise. */
export function targetScore(task: Task): TargetScore {
  return task === 'spans' ? ENTITY_F1 : ACCURACY;
}

/** A prediction as a target string: its class, or its spans as `spansTarget` writes them. */
export function predictedTarget(p: Prediction): string | undefined {
  return p.spans ? spansTarget(p.spans) : p.label;
}

/** A {@link TargetScore} over the last `size` examples (the guardrail's live window). */
export class ScoreWindow {
  private readonly tp: RollingWindow;
  private readonly fp: RollingWindow;
  private readonly fn: RollingWindow;

  constructor(
    readonly scorer: TargetScore,
    size: number,
  ) {
    this.tp = new RollingWindow(size);
    this.fp = new RollingWindow(size);
    this.fn = new RollingWindow(size);
  }

  push(c: EntityCounts): void {
    this.tp.push(c.tp);
    this.fp.push(c.fp);
    this.fn.push(c.fn);
  }

  get full(): boolean {
    return this.tp.full;
  }

  /** The score over the window (NaN when empty). */
  get mean(): number {
    const n = this.tp.length;
    return this.scorer.of({ tp: this.tp.mean * n, fp: this.fp.mean * n, fn: this.fn.mean * n }, n);
  }
}
