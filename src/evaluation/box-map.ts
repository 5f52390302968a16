import { boxesOfTarget, type Box } from '../ingest/index.js';
import type { Example, Learner, PredictedBox } from '../learners/index.js';
import type { EntityCounts } from './span-f1.js';

/** One image's true boxes and the boxes predicted for it (any units, the same for both). */
export interface BoxImage {
  gold: readonly Box[];
  predicted: readonly PredictedBox[];
}

/** Intersection over union of two boxes. */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const ih = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/**
 * Which predictions of one image match a true box (same label, IoU ≥ `iou`),
 * greedily from the highest score, each true box matched once (PASCAL VOC's rule).
 */
function matches(img: BoxImage, iou: number): boolean[] {
  const used = new Set<number>();
  const order = img.predicted.map((p, i) => ({ p, i })).sort((a, b) => b.p.score - a.p.score);
  const hit = new Array<boolean>(img.predicted.length).fill(false);
  for (const { p, i } of order) {
    let best = -1;
    let bestIou = iou;
    img.gold.forEach((g, gi) => {
      if (used.has(gi) || g.label !== p.label) return;
      const v = boxIou(g, p);
      if (v >= bestIou) {
        bestIou = v;
        best = gi;
      }
    });
    if (best >= 0) {
      used.add(best);
      hit[i] = true;
    }
  }
  return hit;
}

/**
 * Mean average precision at IoU `iou` (mAP@0.5 by default), PASCAL VOC style:
 * per label, predictions over all images ranked by score, each a true positive
 * when it matches a not yet matched true box of its image; AP is the area under
 * the precision-recall curve with precision made monotone (all points, as VOC
 * 2010 and later); the mean runs over labels with at least one true box. 1 when
 * no image has or predicts a box, 0 when none has one but some are predicted.
 *
 * @example
 * meanAveragePrecision([{ gold: [{ x: 0, y: 0, w: 1, h: 1, label: 'a' }], predicted: [{ x: 0, y: 0, w: 1, h: 0.9, label: 'a', score: 0.8 }] }]); // 1
 */
export function meanAveragePrecision(images: readonly BoxImage[], iou = 0.5): number {
  const ranked = new Map<string, { score: number; tp: boolean }[]>();
  const golds = new Map<string, number>();
  for (const img of images) {
    for (const g of img.gold) golds.set(g.label, (golds.get(g.label) ?? 0) + 1);
    const hit = matches(img, iou);
    img.predicted.forEach((p, i) => {
      const list = ranked.get(p.label) ?? [];
      list.push({ score: p.score, tp: hit[i]! });
      ranked.set(p.label, list);
    });
  }
  if (golds.size === 0) return ranked.size === 0 ? 1 : 0;
  let sum = 0;
  for (const [label, total] of golds) {
    const list = (ranked.get(label) ?? []).sort((a, b) => b.score - a.score);
    const precision: number[] = [];
    const recall: number[] = [];
    let tp = 0;
    list.forEach((r, i) => {
      if (r.tp) tp++;
      precision.push(tp / (i + 1));
      recall.push(tp / total);
    });
    for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
    let ap = 0;
    let prev = 0;
    recall.forEach((r, i) => {
      ap += (r - prev) * precision[i]!;
      prev = r;
    });
    sum += ap;
  }
  return sum / golds.size;
}

/** mAP@0.5 of a box detector on labelled examples (targets in relative units, as `labelTarget` writes them for a model). */
export function boxMap(learner: Learner, data: readonly Example[]): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  return meanAveragePrecision(preds.map((p, i) => ({ gold: boxesOfTarget(data[i]!.y).boxes, predicted: p.boxes ?? [] })));
}

/**
 * One image's boxes as match counts at IoU 0.5 (a prediction matching a true
 * box is a true positive, others false positives, unmatched true boxes false
 * negatives): box F1 adds up over images, as the guardrail's windows need.
 */
export function boxCounts(gold: readonly Box[], predicted: readonly PredictedBox[], iou = 0.5): EntityCounts {
  const tp = matches({ gold, predicted }, iou).filter(Boolean).length;
  return { tp, fp: predicted.length - tp, fn: gold.length - tp };
}

/**
 * Prequential mAP@0.5: each labelled image is scored by the model before it
 * learns it; mAP over the images of a sliding window (computed when read).
 *
 * @example
 * const map = new PrequentialBoxMap(500);
 * map.update({ gold, predicted });
 * map.value; // mAP@0.5 over the last 500 images
 */
export class PrequentialBoxMap {
  private readonly images: BoxImage[] = [];

  /** @param size window length in images. @defaultValue 500 */
  constructor(readonly size = 500) {}

  update(img: BoxImage): void {
    this.images.push(img);
    if (this.images.length > this.size) this.images.shift();
  }

  /** mAP@0.5 over the window (NaN before the first image). */
  get value(): number {
    return this.images.length === 0 ? Number.NaN : meanAveragePrecision(this.images);
  }
}
