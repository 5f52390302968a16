import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ModelNotFoundError, UpstreamError } from '../../core/index.js';
import { VersionStore, type VersionMeta } from '../../registry/index.js';
import { renderLineChart, type ChartSeries, type RenderedChart, type Rgb } from './line-chart.js';

export interface ReportOptions {
  registryDir: string;
  model: string;
  outDir: string;
  /** Prometheus base URL (e.g. http://127.0.0.1:9090): adds events/s, latency, freshness and live accuracy. */
  prometheusUrl?: string;
  /** @defaultValue Date.now */
  now?: () => number;
}

export interface ReportResult {
  html: string;
  charts: string[];
  versions: number;
}

const BLUE: Rgb = [31, 119, 180];
const ORANGE: Rgb = [255, 127, 14];
const GREEN: Rgb = [44, 160, 44];
const PURPLE: Rgb = [148, 103, 189];

interface Chart {
  file: string;
  title: string;
  unit: string;
  series: ChartSeries[];
  markers: number[];
  yMin?: number;
  yMax?: number;
}

type RangeAnswer = { status: string; error?: string; errorType?: string; data?: { result: { values: [number, string][] }[] } };

async function queryRange(base: string, expr: string, start: number, end: number, step: number): Promise<[number, number][]> {
  const url = `${base.replace(/\/$/, '')}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start / 1000}&end=${end / 1000}&step=${step}`;
  let res: RangeAnswer;
  try {
    res = (await (await fetch(url)).json()) as RangeAnswer;
  } catch (err) {
    throw new UpstreamError(`could not query Prometheus at ${base} (${expr}): ${(err as Error).message}`, { url: base, query: expr }, { cause: err });
  }
  if (res.status !== 'success') {
    // bad_data: Prometheus rejected the query itself, which trying again will not change.
    throw new UpstreamError(`Prometheus query failed (${expr}): ${res.error ?? res.status}`, { url: base, query: expr }, { retriable: res.errorType !== 'bad_data' });
  }
  return (res.data?.result[0]?.values ?? []).map(([t, v]) => [t * 1000, Number(v)]);
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const hex = (c: Rgb): string => `#${c.map((n) => n.toString(16).padStart(2, '0')).join('')}`;
const fmt = (v: number): string => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3));

/**
 * `streamtune report`: an HTML page with PNG charts of a run — online accuracy
 * over time with version swaps marked, learned events/s, and, from Prometheus
 * when given, consumed events/s, Predict latency p50/p99 and freshness —
 * built from the registry's version history (meta.json of every version).
 */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const store = new VersionStore(opts.registryDir);
  const metas: VersionMeta[] = [];
  for (const v of await store.list(opts.model)) metas.push(await store.meta(opts.model, v));
  if (metas.length === 0) throw new ModelNotFoundError(`model "${opts.model}" has no versions in ${opts.registryDir}`, { model: opts.model, registryDir: opts.registryDir });
  const time = (m: VersionMeta): number => Date.parse(m.createdAt);
  const promoted = metas.filter((m) => m.promotion?.promoted !== false);
  const rejected = metas.filter((m) => m.promotion?.promoted === false);
  const swaps = promoted.slice(1).map(time);
  const acc = metas.filter((m) => (m.metrics.prequentialAccuracy ?? -1) >= 0).map((m): [number, number] => [time(m), m.metrics.prequentialAccuracy!]);
  const learnedRate = metas.slice(1).map((m, i): [number, number] => {
    const prev = metas[i]!;
    return [time(m), (m.examplesSeen - prev.examplesSeen) / Math.max(0.001, (time(m) - time(prev)) / 1000)];
  });
  const charts: Chart[] = [
    { file: 'online-accuracy.png', title: 'Online (prequential) accuracy, version swaps dashed', unit: 'ratio', series: [{ name: 'at each saved version', color: BLUE, points: acc }], markers: swaps, yMax: 1 },
    { file: 'learned-rate.png', title: 'Events learned per second (between saved versions)', unit: 'events/s', series: [{ name: 'learned/s', color: GREEN, points: learnedRate }], markers: swaps },
  ];
  const notes: string[] = [];
  if (opts.prometheusUrl) {
    const start = time(metas[0]!) - 60_000;
    const end = Math.max((opts.now ?? Date.now)(), time(metas.at(-1)!));
    const step = Math.max(1, Math.ceil((end - start) / 1000 / 300));
    const q = (expr: string): Promise<[number, number][]> => queryRange(opts.prometheusUrl!, expr, start, end, step);
    const quant = (p: number, m: string, sel = ''): string => `histogram_quantile(${p}, sum by (le) (rate(${m}_bucket${sel}[1m])))`;
    charts[0]!.series.push({ name: 'live (Prometheus)', color: ORANGE, points: await q('max(streamtune_online_accuracy)') });
    charts.push(
      {
        file: 'events-rate.png',
        title: 'Label events per second',
        unit: 'events/s',
        series: [
          { name: 'consumed', color: BLUE, points: await q('sum(rate(streamtune_events_consumed_total[1m]))') },
          { name: 'learned', color: GREEN, points: await q('sum(rate(streamtune_train_examples_total[1m]))') },
        ],
        markers: swaps,
      },
      {
        file: 'predict-latency.png',
        title: 'Predict latency p50 / p99',
        unit: 'seconds',
        series: [
          { name: 'p50', color: BLUE, points: await q(quant(0.5, 'streamtune_predict_latency_seconds', '{method="Predict"}')) },
          { name: 'p99', color: ORANGE, points: await q(quant(0.99, 'streamtune_predict_latency_seconds', '{method="Predict"}')) },
        ],
        markers: swaps,
      },
      {
        file: 'freshness.png',
        title: 'Freshness: label produced → served by a version that learned it',
        unit: 'seconds',
        series: [
          { name: 'p50', color: PURPLE, points: await q(quant(0.5, 'streamtune_freshness_seconds')) },
          { name: 'p99', color: ORANGE, points: await q(quant(0.99, 'streamtune_freshness_seconds')) },
        ],
        markers: swaps,
      },
    );
  } else {
    notes.push('No Prometheus URL given (--prometheus-url): events/s, latency and freshness charts need it.');
  }

  await fs.mkdir(opts.outDir, { recursive: true });
  const sections: string[] = [];
  for (const c of charts) {
    const r: RenderedChart = renderLineChart({ series: c.series, markers: c.markers, ...(c.yMin === undefined ? {} : { yMin: c.yMin }), ...(c.yMax === undefined ? {} : { yMax: c.yMax }) });
    await fs.writeFile(path.join(opts.outDir, c.file), r.png);
    const legend = c.series.map((s) => `<span style="color:${hex(s.color)}">━ ${esc(s.name)}</span>`).join(' ');
    sections.push(
      `<section><h2>${esc(c.title)}</h2><img src="${c.file}" width="640" height="240" alt="${esc(c.title)}">` +
        `<p>${legend} <span style="color:#d62728">┆ swap</span><br>${esc(c.unit)} from ${fmt(r.y[0])} to ${fmt(r.y[1])}; ` +
        `${new Date(r.x[0]).toISOString()} → ${new Date(r.x[1]).toISOString()}</p></section>`,
    );
  }
  const last = metas.at(-1)!;
  const rows: [string, string][] = [
    ['model', opts.model],
    ['versions', `${metas.length} (${promoted.length} promoted, ${rejected.length} rejected by the guardrail)`],
    ['first → last', `${metas[0]!.createdAt} → ${last.createdAt}`],
    ['examples learned', String(last.examplesSeen)],
    ['last prequential accuracy', acc.length ? `${(acc.at(-1)![1] * 100).toFixed(1)}%` : '—'],
    ['backend', last.backend],
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>streamtune report: ${esc(opts.model)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:720px;margin:2em auto;color:#222}td{padding:2px 12px 2px 0}img{border:1px solid #ddd}</style></head>
<body><h1>streamtune report: ${esc(opts.model)}</h1>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
${notes.map((n) => `<p><em>${esc(n)}</em></p>`).join('\n')}
${sections.join('\n')}
</body></html>
`;
  await fs.writeFile(path.join(opts.outDir, 'index.html'), html);
  return { html: path.join(opts.outDir, 'index.html'), charts: charts.map((c) => path.join(opts.outDir, c.file)), versions: metas.length };
}
