import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_CATALOGUE, renderMetricsDoc } from '../../src/ops/index.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** What `promtool check metrics` says about prom-client's default metrics, and nothing else. */
const PROM_CLIENT_LINT = ['active_handles', 'active_requests', 'active_resources'].map((n) => `nodejs_${n}_total non-counter metrics should not have "_total" suffix`);

describe('metric catalogue', () => {
  it('docs/metrics.md is the catalogue rendered (run `npm run docs:metrics` after changing a metric)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'metrics.md'), 'utf8')).toBe(renderMetricsDoc());
  });

  it('the registry holds exactly the catalogued metrics, with their types and labels', async () => {
    const metrics = createMetrics({ tensorCount: () => 7 });
    // Let prom-client's default collectors (GC histogram, event-loop monitor) register their series.
    await new Promise((r) => setTimeout(r, 50));
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
    const catalogued = METRIC_CATALOGUE.map((m) => ({ name: m.name, type: m.type }));
    expect([...registered].sort((a, b) => a.name.localeCompare(b.name))).toEqual([...catalogued].sort((a, b) => a.name.localeCompare(b.name)));
    for (const def of METRIC_CATALOGUE.filter((d) => !d.origin)) {
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
      if (d.labels.some((l) => /id$|^event|^user|^version$/.test(l)) && d.name !== 'streamtune_model_info') problems.push('unbounded label');
      expect({ name: d.name, problems }).toEqual({ name: d.name, problems: [] });
    }
  });

  it('promtool check metrics finds nothing to fix in our metrics', async () => {
    const metrics = createMetrics({ tensorCount: () => 0 });
    // Give every labelled metric one series, so promtool sees every family.
    metrics.predictRequests.inc({ method: 'Predict', code: 'OK' });
    metrics.consumerLag.set({ topic: 't', partition: '0' }, 3);
    metrics.trainStepDuration.observe({ model: 'm' }, 0.01);
    metrics.modelInfo.set({ model: 'm', version: 'v1', backend: 'cpu' }, 1);
    const r = spawnSync(process.env.PROMTOOL_BIN ?? 'promtool', ['check', 'metrics'], { input: await metrics.registry.metrics(), encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter(Boolean).sort();
    // prom-client names three of its default gauges *_total; we cannot rename them (see docs/metrics.md).
    expect(problems).toEqual(PROM_CLIENT_LINT);
  });
});
