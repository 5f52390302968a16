/** An object's centre on the output grid: its channel, pixel position in the model's image and (boxes) size in pixels. */
export interface Centre {
  /** Heatmap channel: the label's index. */
  k: number;
  /** Pixels of the model's input image (x right, y down). */
  px: number;
  py: number;
  /** Box width and height in pixels; absent for keypoints. */
  w?: number;
  h?: number;
}

/** The output grid of a heatmap head: `stride` input pixels per cell, `channels` heatmaps. */
export interface Grid {
  gw: number;
  gh: number;
  stride: number;
  channels: number;
}

/** Training targets of one batch, row-major `[n, gh, gw, ·]` as the head's output is laid out. */
export interface CentreTargets {
  /** Gaussian heatmaps, exactly 1 at each centre's cell: `[n, gh, gw, channels]`. */
  heat: Float32Array;
  /** Sub-cell offset of the centre (x, y in [0, 1)) at its cell: `[n, gh, gw, 2]`. */
  offset: Float32Array;
  /** Box width and height in cells at its centre's cell: `[n, gh, gw, 2]`. */
  size: Float32Array;
  /** 1 at the cells that hold a centre: `[n, gh, gw, 1]`. */
  mask: Float32Array;
  /** Centres in the batch (the losses are averaged over them). */
  count: number;
}

/**
 * Heatmap targets as CenterNet (Zhou et al. 2019) trains them: each centre's
 * cell is 1 and a Gaussian of `sigma(centre)` cells falls off around it (the
 * largest value wins where two overlap); offset and size are regressed at the
 * centre's cell only.
 *
 * @example
 * const t = centreTargets([[{ k: 0, px: 6, py: 9 }]], { gw: 4, gh: 4, stride: 4, channels: 1 }, () => 1);
 * t.heat[(2 * 4 + 1) * 1]; // 1: cell (1, 2) holds the centre
 */
export function centreTargets(rows: readonly (readonly Centre[])[], g: Grid, sigma: (c: Centre) => number): CentreTargets {
  const { gw, gh, stride, channels } = g;
  const cells = rows.length * gh * gw;
  const t: CentreTargets = { heat: new Float32Array(cells * channels), offset: new Float32Array(cells * 2), size: new Float32Array(cells * 2), mask: new Float32Array(cells), count: 0 };
  rows.forEach((centres, n) => {
    for (const c of centres) {
      const fx = c.px / stride;
      const fy = c.py / stride;
      const cx = Math.min(gw - 1, Math.max(0, Math.floor(fx)));
      const cy = Math.min(gh - 1, Math.max(0, Math.floor(fy)));
      const s = Math.max(0.3, sigma(c));
      const reach = Math.ceil(3 * s);
      for (let y = Math.max(0, cy - reach); y <= Math.min(gh - 1, cy + reach); y++) {
        for (let x = Math.max(0, cx - reach); x <= Math.min(gw - 1, cx + reach); x++) {
          const v = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s));
          const i = ((n * gh + y) * gw + x) * channels + c.k;
          if (v > t.heat[i]!) t.heat[i] = v;
        }
      }
      const cell = (n * gh + cy) * gw + cx;
      if (t.mask[cell] === 0) t.count++;
      t.mask[cell] = 1;
      t.offset[cell * 2] = Math.min(0.999, Math.max(0, fx - cx));
      t.offset[cell * 2 + 1] = Math.min(0.999, Math.max(0, fy - cy));
      if (c.w !== undefined && c.h !== undefined) {
        t.size[cell * 2] = c.w / stride;
        t.size[cell * 2 + 1] = c.h / stride;
      }
    }
  });
  return t;
}

/** A peak of a heatmap: its channel, cell and score. */
export interface Peak {
  k: number;
  cx: number;
  cy: number;
  score: number;
}

/** Where one image's heatmaps lie in a batch's maps. */
export interface MapsAt {
  /** Index of the image's first value. @defaultValue 0 */
  start?: number;
  /** Values per cell: the heatmaps, then any regression channels. @defaultValue the grid's channels */
  perCell?: number;
}

/**
 * Peaks of one image's heatmaps (`[gh, gw, ·]`, scores in [0, 1], the first
 * `channels` values of each cell) at or above `threshold`: with `perChannel` the best cell of each channel (one
 * keypoint per label), otherwise every cell that is the maximum of its 3×3
 * neighbourhood (CenterNet's max-pool "NMS"), the `max` best of them.
 *
 * @example
 * heatmapPeaks(scores, { gw: 4, gh: 4, stride: 4, channels: 2 }, 0.3, { perChannel: true }); // [{ k: 0, cx: 1, cy: 2, score: 0.9 }]
 */
export function heatmapPeaks(maps: ArrayLike<number>, g: Grid, threshold: number, o: { perChannel?: boolean; max?: number } & MapsAt = {}): Peak[] {
  const { gw, gh, channels } = g;
  const start = o.start ?? 0;
  const perCell = o.perCell ?? channels;
  const at = (x: number, y: number, k: number): number => maps[start + (y * gw + x) * perCell + k]!;
  const peaks: Peak[] = [];
  for (let k = 0; k < channels; k++) {
    let best: Peak | null = null;
    for (let y = 0; y < gh; y++) {
      for (let x = 0; x < gw; x++) {
        const v = at(x, y, k);
        if (v < threshold) continue;
        if (o.perChannel) {
          if (!best || v > best.score) best = { k, cx: x, cy: y, score: v };
          continue;
        }
        let top = true;
        for (let dy = -1; dy <= 1 && top; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            const ny = y + dy;
            if ((dx || dy) && nx >= 0 && ny >= 0 && nx < gw && ny < gh && at(nx, ny, k) > v) {
              top = false;
              break;
            }
          }
        }
        if (top) peaks.push({ k, cx: x, cy: y, score: v });
      }
    }
    if (best) peaks.push(best);
  }
  peaks.sort((a, b) => b.score - a.score);
  return o.max === undefined ? peaks : peaks.slice(0, o.max);
}
