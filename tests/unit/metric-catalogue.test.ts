import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFeedbackMetrics, createMetrics, initCounters, METRIC_CATALOGUE, parseMetricsText, renderMetricsDoc } from '../../src/ops/index.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('metric catalogue', () => {
  it('docs/metrics.md is the catalogue rendered (run `npm run docs:metrics` after changing a metric)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'metrics.md'), 'utf8')).toBe(renderMetricsDoc());
  });

  it('the registry holds exactly the catalogued metrics, with their types and labels', async () => {
    const metrics = createMetrics({ tensorCount: () => 7 });
    // Let prom-client's default collectors (GC histogram, event-loop monitor) register their series.
    await new Promise((r) => setTimeout(r, 50));
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
    // The feedback group is the joiner's registry (createFeedbackMetrics), not the server's.
    const catalogued = METRIC_CATALOGUE.filter((m) => m.group !== 'feedback').map((m) => ({ name: m.name, type: m.type }));
    expect([...registered].sort((a, b) => a.name.localeCompare(b.name))).toEqual([...catalogued].sort((a, b) => a.name.localeCompare(b.name)));
    for (const def of METRIC_CATALOGUE.filter((d) => !d.origin && d.group !== 'feedback')) {
      const m = metrics.registry.getSingleMetric(def.name) as unknown as { labelNames: string[] };
      expect({ name: def.name, labels: m.labelNames }).toEqual({ name: def.name, labels: [...def.labels] });
    }
    expect(await metrics.registry.getSingleMetricAsString('streamtune_tfjs_tensors')).toMatch(/^streamtune_tfjs_tensors 7$/m);
  });

  it('our names follow Prometheus conventions', () => {
    for (const d of METRIC_CATALOGUE.filter((m) => !m.origin)) {
      const problems: string[] = [];
      if (!/^streamtune_[a-z0-9_]+$/.test(d.name)) problems.push('needs the streamtune_ prefix, snake case');
      if ((d.type === 'counter') !== d.name.endsWith('_total')) problems.push('_total is for counters, and every counter');
      if (d.unit === 'seconds' && !/_seconds(_total)?$/.test(d.name)) problems.push('seconds must be in the name');
      // Unit 1: info metrics, and the two 0/1 state gauges.
      if (d.unit === '1' && !d.name.endsWith('_info') && d.name !== 'streamtune_trainer_up' && d.name !== 'streamtune_candidate_serving') problems.push('unit 1 is for info metrics');
      if (/milli|_ms|_kb|_mb/.test(d.name)) problems.push('base units only');
      // Served accuracy by version: the joiner keeps the series of each model's newest versions only.
      const byVersion = ['streamtune_model_info', 'streamtune_feedback_served_accuracy', 'streamtune_feedback_served_mae'];
      if (d.labels.some((l) => /id$|^event|^user|^version$/.test(l)) && !byVersion.includes(d.name)) problems.push('unbounded label');
      expect({ name: d.name, problems }).toEqual({ name: d.name, problems: [] });
    }
  });

  it('promtool check metrics finds nothing to fix and exits 0, prom-client\'s defaults included', async () => {
    const metrics = createMetrics({ tensorCount: () => 0 });
    // Give every labelled metric one series, so promtool sees every family.
    initCounters(metrics, { model: ['m'], 'labels topic': ['l'], 'dead-letter topic': ['d'], 'rpc method': ['Predict'], 'grpc code': ['OK', 'INTERNAL'] });
    metrics.consumerLag.set({ topic: 't', partition: '0' }, 3);
    metrics.trainStepDuration.observe({ model: 'm' }, 0.01);
    metrics.modelInfo.set({ model: 'm', version: 'v1', backend: 'cpu' }, 1);
    // Let prom-client's default collectors (GC histogram, event-loop monitor) register their series.
    await new Promise((r) => setTimeout(r, 50));
    const r = spawnSync(process.env.PROMTOOL_BIN ?? 'promtool', ['check', 'metrics'], { input: await metrics.registry.metrics(), encoding: 'utf8' });
    expect(r.error, 'promtool is needed: apt-get install prometheus, or set PROMTOOL_BIN').toBeUndefined();
    expect({ status: r.status, problems: `${r.stdout}${r.stderr}`.split('\n').filter(Boolean) }).toEqual({ status: 0, problems: [] });
  });

  it('every labelled counter says where each label\'s values come from, and fixed lists are in its help', () => {
    for (const d of METRIC_CATALOGUE.filter((m) => m.type === 'counter' && m.labels.length > 0)) {
      expect({ name: d.name, labels: Object.keys(d.values ?? {}).sort() }).toEqual({ name: d.name, labels: [...d.labels].sort() });
      for (const v of Object.values(d.values ?? {})) if (typeof v !== 'string') for (const x of v) expect(d.help).toContain(x);
    }
  });

  it('initCounters exports 0 for every known series of every counter before anything happened', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    initCounters(metrics, { model: ['digits'], 'labels topic': ['labels'], 'dead-letter topic': ['dlq'] });
    initCounters(metrics, { 'rpc method': ['Predict', 'ModelInfer'], 'grpc code': ['OK', 'INTERNAL', 'INVALID_ARGUMENT'] });
    metrics.rollbacks.inc({ model: 'digits', trigger: 'operator' });
    const samples = parseMetricsText(await metrics.registry.metrics());
    const series = (name: string): string[] => samples.filter((s) => s.name === name).map((s) => `${JSON.stringify(s.labels)} ${s.value}`);
    expect(series('streamtune_rollbacks_total')).toEqual(['{"model":"digits","trigger":"guardrail"} 0', '{"model":"digits","trigger":"operator"} 1']);
    expect(series('streamtune_model_swaps_total')).toEqual(['{"model":"digits","result":"ok"} 0', '{"model":"digits","result":"failed"} 0']);
    expect(series('streamtune_model_pins_total')).toEqual(['{"model":"digits","action":"pin"} 0', '{"model":"digits","action":"unpin"} 0']);
    expect(series('streamtune_predict_requests_total')).toHaveLength(6);
    expect(series('streamtune_dlq_messages_total')).toEqual(['{"topic":"dlq"} 0']);
    expect(series('streamtune_events_rejected_total').length).toBeGreaterThanOrEqual(11);
    // Every labelled counter has its series.
    for (const d of METRIC_CATALOGUE.filter((m) => m.type === 'counter' && m.labels.length > 0 && m.group !== 'feedback')) expect({ name: d.name, n: series(d.name).length > 0 }).toEqual({ name: d.name, n: true });
  });
  it('the joiner\'s registry holds exactly the feedback group', async () => {
    const metrics = createFeedbackMetrics();
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(registered).toEqual(METRIC_CATALOGUE.filter((m) => m.group === 'feedback').map((m) => m.name).sort());
  });
});
