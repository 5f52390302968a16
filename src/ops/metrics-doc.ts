import { METRIC_CATALOGUE, type MetricDef } from './metric-catalogue.js';

const GROUPS: MetricDef['group'][] = ['serving', 'versions', 'learning', 'data quality', 'feedback', 'process'];

/**
 * Renders `docs/metrics.md` from the catalogue (`npm run docs:metrics` writes it;
 * a test fails when the committed file differs).
 */
export function renderMetricsDoc(catalogue: readonly MetricDef[] = METRIC_CATALOGUE): string {
  const out = [
    '# Metrics',
    '',
    '<!-- Generated from src/ops/metric-catalogue.ts by `npm run docs:metrics`; do not edit by hand. -->',
    '',
    'The server exports these at `GET /metrics` (Prometheus text format, default `127.0.0.1:9464`).',
    'Trainer metrics are sent by the trainer process with each step and exported by the server,',
    'so one scrape target has everything. Labels have bounded values: gRPC methods and codes,',
    'fixed reason lists, the configured model, versions kept in memory, the labels topic\'s partitions.',
    '',
  ];
  for (const group of GROUPS) {
    out.push(`## ${group[0]!.toUpperCase()}${group.slice(1)}`, '', '| metric | type | labels | unit | meaning |', '| --- | --- | --- | --- | --- |');
    for (const m of catalogue.filter((c) => c.group === group)) {
      const labels = m.labels.length ? m.labels.map((l) => `\`${l}\``).join(', ') : '—';
      const origin = m.origin ? ` (from ${m.origin})` : '';
      out.push(`| \`${m.name}\` | ${m.type} | ${labels} | ${m.unit} | ${m.help.replace(/\|/g, '\\|')}${origin} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
