import { RollingWindow } from '../core/index.js';
import { boxesOfTarget, keypointsOfTarget, shapesTarget, spansOfTarget, spansTarget } from '../ingest/index.js';
import type { PredictedBox, Prediction, Task } from '../learners/index.js';
import { boxCounts } from './box-map.js';
import { pckCounts } from './keypoint-pck.js';
import { entityCounts, type EntityCounts } from './span-f1.js';

/**
 * How a task's predictions are scored against the truth, one example at a time,
 * so the guardrail compares versions by the metric of their kind: accuracy for
 * classes (a hit is a true positive, a miss a false positive), entity F1 for spans,
 * box F1 at IoU 0.5 for boxes (mAP needs the whole ranking, so it is not a sum
 * over examples), PCK for keypoints (a correct keypoint is a true positive, a
 * missed one a false negative).
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

const f1 = (sum: EntityCounts, n: number): number => (n === 0 ? Number.NaN : 2 * sum.tp + sum.fp + sum.fn === 0 ? 1 : (2 * sum.tp) / (2 * sum.tp + sum.fp + sum.fn));

const ACCURACY: TargetScore = {
  name: 'accuracy',
  counts: (truth, predicted) => (predicted === String(truth) ? { tp: 1, fp: 0, fn: 0 } : { tp: 0, fp: 1, fn: 0 }),
  of: (sum, n) => (n ? sum.tp / n : Number.NaN),
};

const ENTITY_F1: TargetScore = {
  name: 'entity F1',
  counts: (truth, predicted) => entityCounts(spansOfTarget(truth), predicted === undefined ? [] : spansOfTarget(predicted)),
  of: f1,
};

const BOX_F1: TargetScore = {
  name: 'box F1@0.5',
  counts: (truth, predicted) => boxCounts(boxesOfTarget(truth).boxes, predicted === undefined ? [] : (boxesOfTarget(predicted).boxes as PredictedBox[])),
  of: f1,
};

const PCK: TargetScore = {
  name: 'PCK',
  counts: (truth, predicted) => {
    const c = pckCounts(keypointsOfTarget(truth).keypoints, predicted === undefined ? [] : keypointsOfTarget(predicted).keypoints);
    return { tp: c.correct, fp: 0, fn: c.total - c.correct };
  },
  of: (sum, n) => (n === 0 ? Number.NaN : sum.tp + sum.fn === 0 ? 1 : sum.tp / (sum.tp + sum.fn)),
};

/** The scorer of a task: entity F1 for spans, box F1 for boxes, PCK for keypoints, accuracy otherwise. */
export function targetScore(task: Task): TargetScore {
  return task === 'spans' ? ENTITY_F1 : task === 'boxes' ? BOX_F1 : task === 'keypoints' ? PCK : ACCURACY;
}

/** A prediction as a target string: its class, or its spans, boxes or keypoints as `labelTarget` writes them. */
export function predictedTarget(p: Prediction): string | undefined {
  if (p.spans) return spansTarget(p.spans);
  if (p.boxes) return shapesTarget('boxes', p.boxes, 'relative');
  if (p.keypoints) return shapesTarget('keypoints', p.keypoints, 'relative');
  return p.label;
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
