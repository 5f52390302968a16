import { encodePng } from './encode-png.js';

export type Rgb = [number, number, number];

export interface ChartSeries {
  name: string;
  color: Rgb;
  /** [time ms, value]; NaN values break the line. */
  points: [number, number][];
}

export interface LineChartOptions {
  width?: number;
  height?: number;
  series: ChartSeries[];
  /** Times (ms) marked with a vertical line, e.g. version swaps. */
  markers?: number[];
  markerColor?: Rgb;
  /** Value range; default from the data (with 0 included when all values are positive and small). */
  yMin?: number;
  yMax?: number;
}

export interface RenderedChart {
  png: Buffer;
  /** Axis ranges, for the captions the HTML prints (the PNG has no text). */
  x: [number, number];
  y: [number, number];
}

const PAD = { left: 8, right: 8, top: 8, bottom: 8 };
const GRID: Rgb = [230, 230, 230];
const AXIS: Rgb = [120, 120, 120];

/**
 * A tiny raster line chart: white background, 4×4 grid, the series as 2-px
 * lines, optional vertical markers; text (title, legend, axis ranges) is left
 * to the HTML around it, so no font is needed.
 *
 * @example
 * const { png } = renderLineChart({ series: [{ name: 'accuracy', color: [31, 119, 180], points: [[0, 0.9], [1000, 0.95]] }] });
 */
export function renderLineChart(opts: LineChartOptions): RenderedChart {
  const W = opts.width ?? 640;
  const H = opts.height ?? 240;
  const px = new Uint8Array(W * H * 3).fill(255);
  const set = (x: number, y: number, c: Rgb): void => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = (Math.round(y) * W + Math.round(x)) * 3;
    px[i] = c[0];
    px[i + 1] = c[1];
    px[i + 2] = c[2];
  };
  const all = opts.series.flatMap((s) => s.points).filter(([, v]) => Number.isFinite(v));
  const ts = all.map(([t]) => t);
  const vs = all.map(([, v]) => v);
  let x0 = ts.length ? Math.min(...ts) : 0;
  let x1 = ts.length ? Math.max(...ts) : 1;
  if (x1 === x0) x1 = x0 + 1;
  let y0 = opts.yMin ?? (vs.length ? Math.min(0, ...vs) : 0);
  let y1 = opts.yMax ?? (vs.length ? Math.max(...vs) : 1);
  if (y1 === y0) {
    y1 += 1;
    y0 -= y0 === 0 ? 0 : 1;
  }
  for (const m of opts.markers ?? []) {
    x0 = Math.min(x0, m);
    x1 = Math.max(x1, m);
  }
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const sx = (t: number): number => PAD.left + ((t - x0) / (x1 - x0)) * pw;
  const sy = (v: number): number => PAD.top + ph - ((v - y0) / (y1 - y0)) * ph;

  for (let i = 0; i <= 4; i++) {
    for (let x = PAD.left; x <= PAD.left + pw; x++) set(x, PAD.top + (ph * i) / 4, i === 4 ? AXIS : GRID);
    for (let y = PAD.top; y <= PAD.top + ph; y++) set(PAD.left + (pw * i) / 4, y, i === 0 ? AXIS : GRID);
  }
  for (const m of opts.markers ?? []) {
    // Dashed, so a marker is not mistaken for a series.
    for (let y = PAD.top; y <= PAD.top + ph; y++) if (Math.floor(y / 4) % 2 === 0) set(sx(m), y, opts.markerColor ?? [214, 39, 40]);
  }
  const line = (ax: number, ay: number, bx: number, by: number, c: Rgb): void => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))));
    for (let i = 0; i <= steps; i++) {
      const x = ax + ((bx - ax) * i) / steps;
      const y = ay + ((by - ay) * i) / steps;
      set(x, y, c);
      set(x, y + 1, c);
      set(x + 1, y, c);
    }
  };
  for (const s of opts.series) {
    let prev: [number, number] | null = null;
    for (const [t, v] of [...s.points].sort((a, b) => a[0] - b[0])) {
      if (!Number.isFinite(v)) {
        prev = null;
        continue;
      }
      const p: [number, number] = [sx(t), sy(Math.min(y1, Math.max(y0, v)))];
      if (prev) line(prev[0], prev[1], p[0], p[1], s.color);
      else set(p[0], p[1], s.color);
      prev = p;
    }
  }
  return { png: encodePng(W, H, px), x: [x0, x1], y: [y0, y1] };
}
