import { CHART_FONT, renderVegaLite, type RenderedFigure, type VegaLiteSpec } from './render-vega-lite.js';

export interface TimeSeries {
  name: string;
  /** [time ms, value]; non-finite values are left out. */
  points: [number, number][];
}

/** `swap`: a new version started serving; `rollback`: serving went back to an older one; `rejected`: a candidate the guardrail kept from serving. */
export type MarkerKind = 'swap' | 'rollback' | 'rejected';

export interface ChartMarker {
  time: number;
  kind: MarkerKind;
  /** Written beside the marker, e.g. `v3` or `v5 → v4`. */
  label: string;
}

export interface TimeChart {
  title: string;
  subtitle?: string;
  /** What is measured, the y axis title before its unit (e.g. `accuracy`, `Predict latency`). */
  quantity: string;
  /** `ratio` is drawn as percent; `seconds` as ms when every value is under 1 s; anything else (e.g. `events/s`) as given. */
  unit: string;
  series: TimeSeries[];
  markers?: ChartMarker[];
  /** Size of the plot area in CSS pixels. @defaultValue 600 × 220 */
  width?: number;
  height?: number;
}

/** Category colours (Tableau 10), in series order. */
const SERIES_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
/** Solid, then dashed: a series drawn over an equal one (consumed = learned) leaves the other visible in its gaps. */
const SERIES_DASHES = [[], [7, 4], [2, 3], [7, 3, 2, 3]];
const MARKERS: Record<MarkerKind, { legend: string; colour: string; dash: number[] }> = {
  swap: { legend: 'version swap', colour: '#7f7f7f', dash: [4, 3] },
  rollback: { legend: 'rollback', colour: '#d62728', dash: [] },
  rejected: { legend: 'rejected by the guardrail', colour: '#bcbd22', dash: [2, 2] },
};

/** The y axis of one unit: title, number format, and the factor values are multiplied by. */
function yAxis(quantity: string, unit: string, max: number): { title: string; format: string; factor: number } {
  if (unit === 'ratio') return { title: `${quantity} (%)`, format: '.1~%', factor: 1 };
  if (unit === 'seconds' && max < 1) return { title: `${quantity} (ms)`, format: ',~r', factor: 1000 };
  if (unit === 'seconds') return { title: `${quantity} (s)`, format: ',~r', factor: 1 };
  return { title: `${quantity} (${unit})`, format: ',~r', factor: 1 };
}

/** Tick labels as precise as the time range needs (Vega's default mixes `10 AM` and `:05`). */
function timeFormat(spanMs: number): string {
  if (spanMs < 600_000) return '%H:%M:%S';
  if (spanMs < 86_400_000) return '%H:%M';
  return '%b %d %H:%M';
}

/**
 * Labels of markers closer than `minGapMs` (about 12 px) would print over each
 * other: each run of close markers gets one label, `v4 · v5`, at its first.
 */
function joinCloseLabels<M extends { t: number; label: string }>(markers: M[], minGapMs: number): M[] {
  const out: M[] = [];
  for (const m of [...markers].sort((a, b) => a.t - b.t)) {
    const last = out.at(-1);
    if (last && m.t - last.t < minGapMs) last.label = `${last.label} · ${m.label}`;
    else out.push({ ...m });
  }
  return out;
}

/**
 * A ratio axis fitted to the data with some room on both sides, kept within
 * [0, 1]: accuracies that move between 0.95 and 0.97 fill the plot instead of
 * running along the top edge of a 0–1 axis.
 */
function ratioDomain(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.15, 0.01);
  return [Math.max(0, lo - pad), Math.min(1, hi + pad)];
}

/**
 * The Vega-Lite spec of a chart over time: a title (and subtitle), a UTC time
 * axis and a value axis with ticks and unit, one line with points per series,
 * vertical markers for version swaps, rollbacks and rejected candidates, each
 * labelled at the top, and one legend for series and markers.
 *
 * @example
 * const spec = timeChartSpec({ title: 'Online accuracy', quantity: 'accuracy', unit: 'ratio', series: [{ name: 'at each version', points: [[0, 0.9], [60_000, 0.95]] }], markers: [{ time: 60_000, kind: 'swap', label: 'v2' }] });
 */
export function timeChartSpec(c: TimeChart): VegaLiteSpec {
  const width = c.width ?? 600;
  const height = c.height ?? 220;
  const points = c.series.flatMap((s) => s.points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)).map(([t, v]) => ({ name: s.name, t, v })));
  const markers = (c.markers ?? []).map((m) => ({ t: m.time, name: MARKERS[m.kind].legend, kind: m.kind, label: m.label }));
  const times = [...points.map((p) => p.t), ...markers.map((m) => m.t)];
  const span = Math.max(1, Math.max(...times) - Math.min(...times));
  const labels = joinCloseLabels(markers, (span / width) * 12);
  const title = { text: c.title, anchor: 'start' as const, fontSize: 15, ...(c.subtitle ? { subtitle: c.subtitle, subtitleFontSize: 11, subtitleColor: '#555' } : {}) };
  const config = { font: CHART_FONT, view: { stroke: '#bbb' }, axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' }, legend: { labelFontSize: 11, labelLimit: 320 } };
  if (points.length === 0 && markers.length === 0) {
    // Still a chart a reader recognises: its title, and why it is empty.
    return {
      width,
      height,
      title,
      config,
      data: { values: [{ msg: 'no samples in this time range' }] },
      mark: { type: 'text', fontSize: 14, color: '#777' },
      encoding: { text: { field: 'msg' } },
    };
  }
  const axis = yAxis(c.quantity, c.unit, Math.max(0, ...points.map((p) => p.v)));
  for (const p of points) p.v *= axis.factor;
  const kinds = [...new Set(markers.map((m) => m.kind))];
  const names = [...c.series.map((s) => s.name), ...kinds.map((k) => MARKERS[k].legend)];
  const legend = { title: null, orient: 'bottom' as const, columns: 3, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 300 };
  const colour = {
    field: 'name',
    type: 'nominal' as const,
    scale: { domain: names, range: [...c.series.map((_, i) => SERIES_COLOURS[i % SERIES_COLOURS.length]!), ...kinds.map((k) => MARKERS[k].colour)] },
    legend,
  };
  // The same field and domain as the colour: Vega-Lite merges both into one legend of dashed, coloured strokes.
  const dash = {
    field: 'name',
    type: 'nominal' as const,
    scale: { domain: names, range: [...c.series.map((_, i) => SERIES_DASHES[i % SERIES_DASHES.length]!), ...kinds.map((k) => MARKERS[k].dash)] },
    legend,
  };
  const x = { field: 't', type: 'temporal' as const, scale: { type: 'utc' as const }, axis: { title: 'time (UTC)', format: timeFormat(Math.max(...times) - Math.min(...times)), labelFlush: true, tickCount: 6 } };
  const y = {
    field: 'v',
    type: 'quantitative' as const,
    axis: { title: axis.title, format: axis.format, tickCount: 5 },
    scale: c.unit === 'ratio' && points.length > 0 ? { domain: ratioDomain(points.map((p) => p.v)), nice: false, zero: false } : { zero: true, nice: true },
  };
  return {
    width,
    height,
    title,
    config,
    layer: [
      ...(markers.length
        ? [
            {
              data: { values: markers },
              mark: { type: 'rule' as const, strokeWidth: 1.5 },
              encoding: { x, color: colour, strokeDash: dash },
            },
            {
              // Labels stand above the plot, reading upwards, so they never cover a line.
              data: { values: labels },
              mark: { type: 'text' as const, angle: 270, align: 'left' as const, baseline: 'middle' as const, y: -4, fontSize: 10 },
              encoding: { x, text: { field: 'label' }, color: colour },
            },
          ]
        : []),
      points.length
        ? {
            data: { values: points },
            // Points show where the samples are; on a dense series they would only blur the line.
            mark: { type: 'line' as const, strokeWidth: 2, point: points.length <= 40 * Math.max(1, c.series.length) ? { size: 30 } : false },
            encoding: { x, y, color: colour, strokeDash: dash },
          }
        : {
            // Markers but no samples: no value axis to invent, say so instead.
            data: { values: [{ msg: 'no samples in this time range' }] },
            mark: { type: 'text' as const, fontSize: 14, color: '#777', x: width / 2, y: height / 2 },
            encoding: { text: { field: 'msg' } },
          },
    ],
  } as VegaLiteSpec;
}

/** {@link timeChartSpec} rendered to SVG and PNG (2× for sharp text). */
export function renderTimeChart(c: TimeChart, opts: { scale?: number } = {}): Promise<RenderedFigure> {
  return renderVegaLite(timeChartSpec(c), opts);
}
