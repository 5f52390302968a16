import { describe, expect, it } from 'vitest';
import { boxCounts, boxIou, meanAveragePrecision, pckCounts, PrequentialBoxMap, PrequentialPck, targetScore } from '../../src/evaluation/index.js';
import { shapesTarget } from '../../src/ingest/index.js';
import { centreTargets, heatmapPeaks } from '../../src/learners/index.js';

const box = (x: number, y: number, w: number, h: number, label = 'a', score = 1): { x: number; y: number; w: number; h: number; label: string; score: number } => ({ x, y, w, h, label, score });

describe('mAP@0.5', () => {
  it('IoU of boxes', () => {
    expect(boxIou(box(0, 0, 2, 2), box(1, 0, 2, 2))).toBeCloseTo(1 / 3);
    expect(boxIou(box(0, 0, 1, 1), box(2, 2, 1, 1))).toBe(0);
  });

  it('ranks predictions over images by score: a confident false positive costs more than a timid one', () => {
    const gold = [box(0, 0, 1, 1)];
    // Image 1: right. Image 2: a miss scored high, the right box scored low.
    const confidentMiss = meanAveragePrecision([
      { gold, predicted: [box(0, 0, 1, 1, 'a', 0.9)] },
      { gold, predicted: [box(5, 5, 1, 1, 'a', 0.95), box(0, 0, 1, 1, 'a', 0.1)] },
    ]);
    const timidMiss = meanAveragePrecision([
      { gold, predicted: [box(0, 0, 1, 1, 'a', 0.9)] },
      { gold, predicted: [box(5, 5, 1, 1, 'a', 0.05), box(0, 0, 1, 1, 'a', 0.8)] },
    ]);
    expect(timidMiss).toBe(1);
    // Ranked: miss (P 0), hit (R 0.5, P 0.5), hit (R 1, P 2/3): AP = 0.5 · 2/3 + 0.5 · 2/3.
    expect(confidentMiss).toBeCloseTo(2 / 3);
  });

  it('averages over labels with a true box; a wrong label or IoU under 0.5 is no match; a true box is matched once', () => {
    expect(meanAveragePrecision([{ gold: [box(0, 0, 1, 1, 'a'), box(3, 3, 1, 1, 'b')], predicted: [box(0, 0, 1, 1, 'a'), box(3, 3, 1, 1, 'a')] }])).toBeCloseTo(0.5);
    expect(meanAveragePrecision([{ gold: [box(0, 0, 2, 2)], predicted: [box(1, 0, 2, 2)] }])).toBe(0);
    expect(boxCounts([box(0, 0, 1, 1)], [box(0, 0, 1, 1, 'a', 0.9), box(0, 0, 1, 1, 'a', 0.8)])).toEqual({ tp: 1, fp: 1, fn: 0 });
    expect(meanAveragePrecision([{ gold: [], predicted: [] }])).toBe(1);
  });

  it('prequential mAP over a sliding window of images', () => {
    const m = new PrequentialBoxMap(2);
    expect(m.value).toBeNaN();
    m.update({ gold: [box(0, 0, 1, 1)], predicted: [] });
    expect(m.value).toBe(0);
    m.update({ gold: [box(0, 0, 1, 1)], predicted: [box(0, 0, 1, 1)] });
    m.update({ gold: [box(0, 0, 1, 1)], predicted: [box(0, 0, 1, 1)] });
    expect(m.value).toBe(1);
  });
});

describe('PCK', () => {
  it('counts a keypoint correct within α of the larger side, same label only, each prediction once', () => {
    const gold = [{ x: 0.5, y: 0.5, label: 'nose' }, { x: 0.2, y: 0.2, label: 'tail' }];
    expect(pckCounts(gold, [{ x: 0.58, y: 0.5, label: 'nose' }, { x: 0.2, y: 0.2, label: 'nose' }])).toEqual({ correct: 1, total: 2 });
    expect(pckCounts(gold, [{ x: 0.62, y: 0.5, label: 'nose' }])).toEqual({ correct: 0, total: 2 });
    // A 2:1 image: 0.15 of the height is 0.075 of the larger side (the width); 0.15 of the width is 0.15.
    expect(pckCounts([{ x: 0.5, y: 0.5, label: 'p' }], [{ x: 0.5, y: 0.65, label: 'p' }], 0.1, 2)).toEqual({ correct: 1, total: 1 });
    expect(pckCounts([{ x: 0.5, y: 0.5, label: 'p' }], [{ x: 0.65, y: 0.5, label: 'p' }], 0.1, 2)).toEqual({ correct: 0, total: 1 });
  });

  it('prequential PCK and the guardrail scorer', () => {
    const p = new PrequentialPck(10);
    p.update({ correct: 1, total: 2 });
    p.update({ correct: 2, total: 2 });
    expect(p.value).toBeCloseTo(0.75);
    const s = targetScore('keypoints');
    const truth = shapesTarget('keypoints', [{ x: 0.5, y: 0.5, label: 'nose' }], 'relative');
    const c = s.counts(truth, shapesTarget('keypoints', [{ x: 0.52, y: 0.5, label: 'nose' }], 'relative'));
    expect(s.of(c, 1)).toBe(1);
    expect(s.of(s.counts(truth, undefined), 1)).toBe(0);
  });
});

describe('centre heatmaps', () => {
  it('targets peak at 1 in the centre cell with the sub-cell offset, and peaks decode back', () => {
    const g = { gw: 4, gh: 4, stride: 4, channels: 2 };
    const t = centreTargets([[{ k: 1, px: 6, py: 9, w: 8, h: 4 }]], g, () => 1);
    const cell = 2 * 4 + 1;
    expect(t.heat[cell * 2 + 1]).toBe(1);
    expect(t.heat[cell * 2]).toBe(0);
    expect(Array.from(t.offset.slice(cell * 2, cell * 2 + 2))).toEqual([0.5, 0.25]);
    expect(Array.from(t.size.slice(cell * 2, cell * 2 + 2))).toEqual([2, 1]);
    expect(t.count).toBe(1);
    expect(heatmapPeaks(t.heat, g, 0.9)).toEqual([{ k: 1, cx: 1, cy: 2, score: 1 }]);
    // Below the peak, the Gaussian's neighbours are not local maxima.
    expect(heatmapPeaks(t.heat, g, 0.1).length).toBe(1);
  });
});
