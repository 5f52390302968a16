/**
 * The Grafana dashboard and the alert rules are checked against a real
 * Prometheus (Debian's `prometheus` package) scraping a real streamtune server:
 * every query must parse and run, and the core panels must return data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig } from '../../src/config/index.js';
import { DenseClassifier } from '../../src/models/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? 'prometheus';
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('Grafana dashboard and alert rules against a real Prometheus', () => {
  let dir: string;
  let app: StreamtuneServer;
  let prom: ChildProcess | undefined;
  let promUrl = '';

  beforeAll(async () => {
    const which = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' });
    if (which.status !== 0) {
      throw new Error(`Prometheus is needed for this test and "${PROMETHEUS} --version" failed: install Debian's prometheus package (apt-get install prometheus) or set PROMETHEUS_BIN`);
    }
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-prom-'));
    app = new StreamtuneServer(
      loadConfig({ overrides: { model: 'm', registryDir: path.join(dir, 'reg'), backend, serving: { port: 0 }, metrics: { port: 0 }, training: { enabled: false } } }),
      () => undefined,
    );
    const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [4] });
    await app.store.save('m', l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    await app.store.save('m', l, { parent: 'v1', regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    l.dispose();
    await app.start();
    await app.swapTo('v2');
    const client = new PredictorClient(app.grpc!.address);
    for (let i = 0; i < 50; i++) await client.predict([{ features: [i, 1] }]);
    await client.predict([{ features: [1] }]).catch(() => undefined);
    client.close();

    const metricsPort = new URL(app.metricsUrl).port;
    const port = await freePort();
    await fs.writeFile(
      path.join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ['${path.join(ROOT, 'grafana', 'prometheus', 'alerts.yml')}']\n` +
        `scrape_configs:\n  - job_name: streamtune\n    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]\n`,
    );
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    promUrl = `http://127.0.0.1:${port}`;
    const query = async (q: string): Promise<unknown[]> => {
      const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data?: { result: unknown[] } };
      return r.data?.result ?? [];
    };
    // Two scrapes at least, so rate() has two points.
    await waitFor('Prometheus to scrape streamtune twice', async () => {
      try {
        return (await query('count_over_time(streamtune_predict_requests_total[1m])')).length > 0 && (await query('count_over_time(up{job="streamtune"}[1m]) >= 3')).length > 0;
      } catch {
        return false;
      }
    }, 60_000);
  });

  afterAll(async () => {
    prom?.kill('SIGTERM');
    await app?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('promtool accepts the alert rules', () => {
    const r = spawnSync(PROMTOOL, ['check', 'rules', path.join(ROOT, 'grafana', 'prometheus', 'alerts.yml')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('every dashboard query runs, and the core panels show data', async () => {
    const dash = JSON.parse(await fs.readFile(path.join(ROOT, 'grafana', 'dashboards', 'streamtune.json'), 'utf8')) as { panels: Panel[] };
    const withData: string[] = [];
    for (const panel of dash.panels) {
      for (const t of panel.targets ?? []) {
        const res = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(t.expr)}`)).json()) as { status: string; error?: string; data?: { result: unknown[] } };
        expect({ panel: panel.title, expr: t.expr, status: res.status, error: res.error }).toEqual({ panel: panel.title, expr: t.expr, status: 'success', error: undefined });
        if ((res.data?.result.length ?? 0) > 0) withData.push(panel.title);
      }
    }
    for (const title of ['Serving version', 'Predict requests by code', 'Predict latency', 'Swaps (1h)', 'Process memory']) expect(withData).toContain(title);
  });

  it('every alert rule expression runs', async () => {
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThanOrEqual(5);
    await waitFor('every rule evaluated', async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof rules;
      return r.data.groups.flatMap((g) => g.rules).every((x) => x.health !== 'unknown');
    }, 30_000);
    const evaluated = ((await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof rules).data.groups.flatMap((g) => g.rules);
    expect(evaluated.map((r) => [r.name, r.health, r.lastError ?? ''])).toEqual(evaluated.map((r) => [r.name, 'ok', '']));
  });
});
