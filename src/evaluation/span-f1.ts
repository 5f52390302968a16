import { RollingWindow } from '../core/index.js';
import { spansOfTarget, type Span } from '../ingest/index.js';
import type { Example, Learner } from '../learners/index.js';

/** Entity matches of one text: true positives, false positives, false negatives. */
export interface EntityCounts {
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Entity-level matches (CoNLL style): a predicted span counts only when its
 * start, end and label all equal a true span's.
 *
 * @example
 * entityCounts([{ start: 0, end: 5, label: 'PER' }], [{ start: 0, end: 4, label: 'PER' }]); // { tp: 0, fp: 1, fn: 1 }
 */
export function entityCounts(gold: readonly Span[], predicted: readonly Span[]): EntityCounts {
  const key = (s: Span): string => `${s.start}:${s.end}:${s.label}`;
  const want = new Set(gold.map(key));
  const got = new Set(predicted.map(key));
  let tp = 0;
  for (const k of got) if (want.has(k)) tp++;
  return { tp, fp: got.size - tp, fn: want.size - tp };
}

/** Micro-averaged F1 over texts: 2·TP / (2·TP + FP + FN); 1 when no text has or predicts an entity, NaN for no texts. */
export function f1Of(counts: readonly EntityCounts[]): number {
  if (counts.length === 0) return Number.NaN;
  let tp = 0;
  let wrong = 0;
  for (const c of counts) {
    tp += c.tp;
    wrong += c.fp + c.fn;
  }
  return 2 * tp + wrong === 0 ? 1 : (2 * tp) / (2 * tp + wrong);
}

/** Entity F1 of a span tagger on labelled examples (targets as `spansTarget` writes them). */
export function spanF1(learner: Learner, data: readonly Example[]): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  return f1Of(preds.map((p, i) => entityCounts(spansOfTarget(data[i]!.y), p.spans ?? [])));
}

/**
 * Prequential entity F1: each labelled text is tagged by the model before it
 * learns it; micro-averaged over the texts of a sliding window.
 *
 * @example
 * const f1 = new PrequentialSpanF1(500);
 * f1.update(entityCounts(gold, predicted));
 * f1.value; // F1 over the last 500 texts
 */
export class PrequentialSpanF1 {
  private readonly tp: RollingWindow;
  private readonly wrong: RollingWindow;

  /** @param size window length in texts. @defaultValue 500 */
  constructor(readonly size = 500) {
    this.tp = new RollingWindow(size);
    this.wrong = new RollingWindow(size);
  }

  update(c: EntityCounts): void {
    this.tp.push(c.tp);
    this.wrong.push(c.fp + c.fn);
  }

  /** F1 over the window (NaN before the first text). */
  get value(): number {
    if (this.tp.length === 0) return Number.NaN;
    const tp = this.tp.mean;
    const wrong = this.wrong.mean;
    return 2 * tp + wrong === 0 ? 1 : (2 * tp) / (2 * tp + wrong);
  }
}
