import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ModelNotFoundError } from '../../src/core/index.js';
import { buildReport, counterIncreases, renderTimeChart, timeChartSpec, versionMarkers } from '../../src/ops/report/index.js';
import type { VersionMeta } from '../../src/registry/index.js';

const T0 = Date.parse('2026-01-02T10:00:00.000Z');
const BLUE = [0x1f, 0x77, 0xb4];

/** Rows (top to bottom) where the PNG has a pixel of this colour. */
function rowsWith(png: PNG, rgb: number[], x0 = 0, x1 = png.width): number[] {
  const rows: number[] = [];
  for (let y = 0; y < png.height; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      if (Math.abs(png.data[i]! - rgb[0]!) < 8 && Math.abs(png.data[i + 1]! - rgb[1]!) < 8 && Math.abs(png.data[i + 2]! - rgb[2]!) < 8) {
        rows.push(y);
        break;
      }
    }
  }
  return rows;
}

const meta = (n: number, over: Partial<VersionMeta> = {}): VersionMeta =>
  ({
    model: 'm', version: `v${n}`, parent: n > 1 ? `v${n - 1}` : null, regime: 'test', className: 'X', config: {}, description: {},
    createdAt: new Date(T0 + n * 20_000).toISOString(), backend: 'cpu', examplesSeen: n * 100, metrics: {}, offsets: {}, ...over,
  }) as VersionMeta;

describe('report charts (Vega-Lite → SVG → PNG)', () => {
  const three = {
    title: 'Online (prequential) accuracy of m',
    subtitle: 'a point per saved version',
    quantity: 'accuracy',
    unit: 'ratio',
    series: [{ name: 'at each saved version', points: [[T0, 0.95], [T0 + 20_000, 0.962], [T0 + 40_000, 0.97]] as [number, number][] }],
    markers: [{ time: T0 + 20_000, kind: 'swap' as const, label: 'v2' }, { time: T0 + 30_000, kind: 'rollback' as const, label: 'v2 → v1' }],
  };

  it('has a title, axes with ticks and units, a legend and labelled markers', async () => {
    const r = await renderTimeChart(three);
    const text = [...r.svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&gt;/g, '>'));
    expect(text).toEqual(expect.arrayContaining(['Online (prequential) accuracy of m', 'a point per saved version', 'time (UTC)', 'accuracy (%)']));
    expect(text).toEqual(expect.arrayContaining(['at each saved version', 'version swap', 'rollback', 'v2', 'v2 → v1']));
    // Ticks: percent on the value axis, UTC clock times on the time axis.
    expect(text.filter((t) => /^9\d(\.\d)?%$/.test(t)).length).toBeGreaterThanOrEqual(3);
    expect(text).toEqual(expect.arrayContaining(['10:00:00', '10:00:20', '10:00:40']));
    const png = PNG.sync.read(r.png);
    expect([png.width, png.height]).toEqual([r.width, r.height]);
    // The text is drawn (a font was found): dark title pixels in the top rows.
    expect(rowsWith(png, [0, 0, 0]).filter((y) => y < 40).length).toBeGreaterThan(10);
  });

  it('three versions fill the plot instead of running along the top edge of a 0–1 axis', async () => {
    const png = PNG.sync.read((await renderTimeChart(three)).png);
    const rows = rowsWith(png, BLUE);
    // 220 px plot at 2×: the 0.95 → 0.97 line spans most of its 440 rows.
    expect(Math.max(...rows) - Math.min(...rows)).toBeGreaterThan(250);
    const line = (timeChartSpec(three) as { layer: { mark: { type: string }; encoding: { y?: { scale: unknown } } }[] }).layer.find((l) => l.mark.type === 'line')!;
    expect(line.encoding.y!.scale).toEqual({ domain: [expect.closeTo(0.94, 6), expect.closeTo(0.98, 6)], nice: false, zero: false });
  });

  it('draws sub-second latencies in ms and says when a range has no samples', async () => {
    const lat = await renderTimeChart({ title: 'Predict latency', quantity: 'latency', unit: 'seconds', series: [{ name: 'p99', points: [[T0, 0.004], [T0 + 60_000, 0.012]] }] });
    expect(lat.svg).toContain('latency (ms)');
    expect(lat.svg).toMatch(/>10<\/text>/);
    const empty = await renderTimeChart({ title: 'Freshness', quantity: 'freshness', unit: 'seconds', series: [{ name: 'p50', points: [] }] });
    expect(empty.svg).toContain('no samples in this time range');
    expect(empty.svg).toContain('Freshness');
    // Markers without samples: the markers on a time axis, and no value axis made up from nothing.
    const marked = await renderTimeChart({ ...three, series: [{ name: 'at each saved version', points: [] }] });
    expect(marked.svg).toContain('no samples in this time range');
    expect(marked.svg).toContain('v2 → v1');
    expect(marked.svg).toContain('time (UTC)');
    expect(marked.svg).not.toContain('accuracy (%)');
  });
});

describe('version markers', () => {
  it('swaps after the first promoted version, guardrail rollbacks from → to, other rejected candidates', () => {
    const rejected = { promoted: false, mode: 'prequential' as const, candidate: 0.5, serving: 0.9, servingVersion: 'v2', events: 50, reason: 'candidate 0.5 < serving 0.9' };
    const rollback = { ...rejected, servingVersion: 'v4', reason: 'serving version rolled back: live accuracy of v4 fell from 0.950 to 0.600' };
    const metas = [meta(1), meta(2), meta(3, { promotion: rejected }), meta(4), meta(5, { promotion: rollback })];
    expect(versionMarkers(metas)).toEqual([
      { time: T0 + 40_000, kind: 'swap', label: 'v2' },
      { time: T0 + 60_000, kind: 'rejected', label: 'v3' },
      { time: T0 + 80_000, kind: 'swap', label: 'v4' },
      // v3 was never promoted: the guardrail went back to v2.
      { time: T0 + 100_000, kind: 'rollback', label: 'v4 → v2' },
    ]);
  });

  it('counter increases: each rise, and a series born inside the range', () => {
    expect(counterIncreases({ labels: {}, points: [[T0, 1], [T0 + 15_000, 1], [T0 + 30_000, 2], [T0 + 45_000, 0]] }, T0 - 60_000, 15)).toEqual([T0, T0 + 30_000]);
    expect(counterIncreases({ labels: {}, points: [[T0, 1], [T0 + 15_000, 2]] }, T0, 15)).toEqual([T0 + 15_000]);
  });
});

describe('buildReport', () => {
  async function registry(metas: VersionMeta[]): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-report-'));
    for (const m of metas) {
      await fs.mkdir(path.join(dir, 'reg', 'm', 'versions', m.version), { recursive: true });
      await fs.writeFile(path.join(dir, 'reg', 'm', 'versions', m.version, 'meta.json'), JSON.stringify(m));
    }
    return dir;
  }

  it('a model without versions is a ModelNotFoundError naming the model and the registry', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-report-'));
    const report = buildReport({ registryDir: path.join(dir, 'reg'), model: 'absent', outDir: path.join(dir, 'out') });
    await expect(report).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(report).rejects.toMatchObject({ code: 'model_not_found', context: { model: 'absent' }, message: expect.stringContaining('has no versions in') });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the HTML and one PNG per chart from the registry alone', async () => {
    const dir = await registry([1, 2, 3].map((n) => meta(n, { metrics: n > 1 ? { prequentialAccuracy: 0.9 + n / 100 } : {} })));
    const r = await buildReport({ registryDir: path.join(dir, 'reg'), model: 'm', outDir: path.join(dir, 'out') });
    expect(r.charts.map((c) => path.basename(c))).toEqual(['online-accuracy.png', 'learned-rate.png']);
    expect(r.versions).toBe(3);
    const html = await fs.readFile(r.html, 'utf8');
    for (const c of r.charts) {
      const png = PNG.sync.read(await fs.readFile(c));
      expect(png.width).toBeGreaterThan(1000);
      expect(html).toMatch(new RegExp(`<img src="${path.basename(c)}" width="${png.width / 2}" height="${png.height / 2}" alt="[^"]+">`));
    }
    expect(html).toContain('No Prometheus URL');
    expect(html).toContain('<td>versions</td><td>3 (3 promoted, 0 rejected by the guardrail)</td>');
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('with Prometheus: five charts, and an operator rollback marked where the counter rose', async () => {
    const dir = await registry([1, 2, 3].map((n) => meta(n, { metrics: { prequentialAccuracy: 0.9 } })));
    const queries: string[] = [];
    const prom = http.createServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('query')!;
      queries.push(q);
      const values = q.includes('rollbacks') ? [[T0 / 1000 + 30, '1'], [T0 / 1000 + 45, '1']] : [[T0 / 1000, '0.5'], [T0 / 1000 + 30, '0.6']];
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
    });
    await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
    try {
      const r = await buildReport({ registryDir: path.join(dir, 'reg'), model: 'm', outDir: path.join(dir, 'out'), prometheusUrl: `http://127.0.0.1:${(prom.address() as AddressInfo).port}`, now: () => T0 + 120_000 });
      expect(r.charts.map((c) => path.basename(c))).toEqual(['online-accuracy.png', 'learned-rate.png', 'events-rate.png', 'predict-latency.png', 'freshness.png']);
      expect(queries).toContain('sum(streamtune_rollbacks_total{trigger="operator"})');
      const html = await fs.readFile(r.html, 'utf8');
      expect(html).toContain('<td>rollbacks</td><td>1</td>');
      expect(html).not.toContain('No Prometheus URL');
    } finally {
      prom.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
