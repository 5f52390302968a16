import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ModelNotFoundError } from '../../core/index.js';
import { VersionStore, type VersionMeta } from '../../registry/index.js';
import { counterIncreases, queryRange } from './query-range.js';
import { renderTimeChart, type ChartMarker, type TimeChart } from './time-chart.js';
import { versionMarkers } from './version-markers.js';

export interface ReportOptions {
  registryDir: string;
  model: string;
  outDir: string;
  /** Prometheus base URL (e.g. http://127.0.0.1:9090): adds events/s, latency, freshness, live accuracy and operator rollbacks. */
  prometheusUrl?: string;
  /** @defaultValue Date.now */
  now?: () => number;
}

export interface ReportResult {
  html: string;
  charts: string[];
  versions: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * `streamtune report`: an HTML page and one PNG per chart of a run — online
 * accuracy over time, learned events/s, and, from Prometheus when given,
 * consumed events/s, Predict latency p50/p99 and freshness — built from the
 * registry's version history (meta.json of every version). Each PNG stands on
 * its own: title, axes with ticks and units, a legend, and labelled markers for
 * version swaps, rollbacks and rejected candidates.
 */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const store = new VersionStore(opts.registryDir);
  const metas: VersionMeta[] = [];
  for (const v of await store.list(opts.model)) metas.push(await store.meta(opts.model, v));
  if (metas.length === 0) throw new ModelNotFoundError(`model "${opts.model}" has no versions in ${opts.registryDir}`, { model: opts.model, registryDir: opts.registryDir });
  const state = await store.readState(opts.model);
  const time = (m: VersionMeta): number => Date.parse(m.createdAt);
  const markers: ChartMarker[] = versionMarkers(metas);
  const acc = metas.filter((m) => (m.metrics.prequentialAccuracy ?? -1) >= 0).map((m): [number, number] => [time(m), m.metrics.prequentialAccuracy!]);
  const learnedRate = metas.slice(1).map((m, i): [number, number] => {
    const prev = metas[i]!;
    return [time(m), (m.examplesSeen - prev.examplesSeen) / Math.max(0.001, (time(m) - time(prev)) / 1000)];
  });
  const charts: (TimeChart & { file: string })[] = [
    {
      file: 'online-accuracy.png',
      title: `Online (prequential) accuracy of ${opts.model}`,
      subtitle: 'each labelled event is predicted before it is learned; a point per saved version',
      quantity: 'accuracy',
      unit: 'ratio',
      series: [{ name: 'at each saved version', points: acc }],
    },
    {
      file: 'learned-rate.png',
      title: `Events learned per second by ${opts.model}`,
      subtitle: 'examples learned between two saved versions ÷ the time between them',
      quantity: 'learned',
      unit: 'events/s',
      series: [{ name: 'learned/s', points: learnedRate }],
    },
  ];
  const notes: string[] = [];
  if (opts.prometheusUrl) {
    const start = time(metas[0]!) - 60_000;
    const end = Math.max((opts.now ?? Date.now)(), time(metas.at(-1)!));
    const step = Math.max(1, Math.ceil((end - start) / 1000 / 300));
    const q = async (expr: string): Promise<[number, number][]> => (await queryRange(opts.prometheusUrl!, expr, start, end, step))[0]?.points ?? [];
    const quant = (p: number, m: string, sel = ''): string => `histogram_quantile(${p}, sum by (le) (rate(${m}_bucket${sel}[1m])))`;
    // The guardrail's rollbacks are in the registry with their versions; an operator's only here.
    for (const s of await queryRange(opts.prometheusUrl, 'sum(streamtune_rollbacks_total{trigger="operator"})', start, end, step)) {
      for (const t of counterIncreases(s, start, step)) markers.push({ time: t, kind: 'rollback', label: 'by operator' });
    }
    charts[0]!.series.push({ name: 'live (Prometheus, recent window)', points: await q('max(streamtune_online_accuracy)') });
    charts.push(
      {
        file: 'events-rate.png',
        title: 'Label events per second',
        subtitle: 'consumed from Kafka and learned, 1-minute rate',
        quantity: 'events',
        unit: 'events/s',
        series: [
          { name: 'consumed', points: await q('sum(rate(streamtune_events_consumed_total[1m]))') },
          { name: 'learned', points: await q('sum(rate(streamtune_train_examples_total[1m]))') },
        ],
      },
      {
        file: 'predict-latency.png',
        title: 'Predict latency',
        subtitle: 'p50 and p99 over 1 minute, server side',
        quantity: 'latency',
        unit: 'seconds',
        series: [
          { name: 'p50', points: await q(quant(0.5, 'streamtune_predict_latency_seconds', '{method="Predict"}')) },
          { name: 'p99', points: await q(quant(0.99, 'streamtune_predict_latency_seconds', '{method="Predict"}')) },
        ],
      },
      {
        file: 'freshness.png',
        title: 'Freshness',
        subtitle: 'from a label being produced to a served version that learned it; p50 and p99 over 1 minute',
        quantity: 'freshness',
        unit: 'seconds',
        series: [
          { name: 'p50', points: await q(quant(0.5, 'streamtune_freshness_seconds')) },
          { name: 'p99', points: await q(quant(0.99, 'streamtune_freshness_seconds')) },
        ],
      },
    );
  } else {
    notes.push('No Prometheus URL given (--prometheus-url): events/s, latency and freshness charts and rollbacks by an operator need it.');
  }

  await fs.mkdir(opts.outDir, { recursive: true });
  const sections: string[] = [];
  for (const c of charts) {
    const r = await renderTimeChart({ ...c, markers });
    await fs.writeFile(path.join(opts.outDir, c.file), r.png);
    // The PNG is drawn at 2× for sharp text; shown at its CSS size.
    sections.push(`<section><img src="${c.file}" width="${r.width / 2}" height="${r.height / 2}" alt="${esc(`${c.title}: ${c.series.map((s) => s.name).join(', ')}`)}"></section>`);
  }
  const last = metas.at(-1)!;
  const promoted = metas.filter((m) => m.promotion?.promoted !== false);
  const count = (k: ChartMarker['kind']): number => markers.filter((m) => m.kind === k).length;
  const rows: [string, string][] = [
    ['model', opts.model],
    ['versions', `${metas.length} (${promoted.length} promoted, ${count('rejected')} rejected by the guardrail)`],
    ['rollbacks', `${count('rollback')}${state.rejected.length ? `; rolled back: ${state.rejected.join(', ')}` : ''}`],
    ['first → last', `${metas[0]!.createdAt} → ${last.createdAt}`],
    ['examples learned', String(last.examplesSeen)],
    ['last prequential accuracy', acc.length ? `${(acc.at(-1)![1] * 100).toFixed(1)}%` : '—'],
    ['backend', last.backend],
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>streamtune report: ${esc(opts.model)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}td{padding:2px 12px 2px 0}section{margin:1.5em 0}img{max-width:100%;height:auto}</style></head>
<body><h1>streamtune report: ${esc(opts.model)}</h1>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
${notes.map((n) => `<p><em>${esc(n)}</em></p>`).join('\n')}
${sections.join('\n')}
</body></html>
`;
  await fs.writeFile(path.join(opts.outDir, 'index.html'), html);
  return { html: path.join(opts.outDir, 'index.html'), charts: charts.map((c) => path.join(opts.outDir, c.file)), versions: metas.length };
}
