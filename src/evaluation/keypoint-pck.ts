import { RollingWindow } from '../core/index.js';
import { keypointsOfTarget, type Keypoint } from '../ingest/index.js';
import type { Example, Learner } from '../learners/index.js';

/** PCK's default tolerance: a fraction of the image's larger side. */
export const PCK_ALPHA = 0.1;

/**
 * Keypoints of one image that a prediction got right (PCK, "percentage of
 * correct keypoints"): a true keypoint is correct when a predicted one of the
 * same label lies within `alpha` × max(width, height) of it. Coordinates are in
 * relative units (fractions of the image's sides), so for a square image that
 * is a distance of `alpha`; `aspect` (width / height) measures other shapes in
 * pixels. Each predicted point matches one true point at most (nearest first).
 *
 * @example
 * pckCounts([{ x: 0.5, y: 0.5, label: 'nose' }], [{ x: 0.55, y: 0.5, label: 'nose' }]); // { correct: 1, total: 1 }
 */
export function pckCounts(gold: readonly Keypoint[], predicted: readonly Keypoint[], alpha = PCK_ALPHA, aspect = 1): { correct: number; total: number } {
  // Distances in units of the larger side.
  const sx = aspect >= 1 ? 1 : aspect;
  const sy = aspect >= 1 ? 1 / aspect : 1;
  const pairs: { g: number; p: number; d: number }[] = [];
  gold.forEach((g, gi) =>
    predicted.forEach((p, pi) => {
      if (p.label !== g.label) return;
      const d = Math.hypot((p.x - g.x) * sx, (p.y - g.y) * sy);
      if (d <= alpha) pairs.push({ g: gi, p: pi, d });
    }),
  );
  pairs.sort((a, b) => a.d - b.d);
  const usedG = new Set<number>();
  const usedP = new Set<number>();
  for (const { g, p } of pairs) {
    if (usedG.has(g) || usedP.has(p)) continue;
    usedG.add(g);
    usedP.add(p);
  }
  return { correct: usedG.size, total: gold.length };
}

/** PCK of a keypoint detector on labelled examples (targets in relative units, as `labelTarget` writes them for a model). */
export function keypointPck(learner: Learner, data: readonly Example[], alpha = PCK_ALPHA): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  let correct = 0;
  let total = 0;
  preds.forEach((p, i) => {
    const c = pckCounts(keypointsOfTarget(data[i]!.y).keypoints, p.keypoints ?? [], alpha);
    correct += c.correct;
    total += c.total;
  });
  return total === 0 ? 1 : correct / total;
}

/**
 * Prequential PCK: each labelled image is scored by the model before it learns
 * it; the share of correct keypoints over the images of a sliding window.
 *
 * @example
 * const pck = new PrequentialPck(500);
 * pck.update(pckCounts(gold, predicted));
 * pck.value; // PCK over the last 500 images
 */
export class PrequentialPck {
  private readonly correct: RollingWindow;
  private readonly total: RollingWindow;

  /** @param size window length in images. @defaultValue 500 */
  constructor(readonly size = 500) {
    this.correct = new RollingWindow(size);
    this.total = new RollingWindow(size);
  }

  update(c: { correct: number; total: number }): void {
    this.correct.push(c.correct);
    this.total.push(c.total);
  }

  /** PCK over the window (NaN before the first image; 1 when its images hold no keypoints). */
  get value(): number {
    if (this.total.length === 0) return Number.NaN;
    const total = this.total.mean;
    return total === 0 ? 1 : this.correct.mean / total;
  }
}
