/**
 * The Grafana dashboards and the alert rules are checked against a real
 * Prometheus (Debian's `prometheus` package) scraping a real streamtune server
 * that serves Predict traffic and learns from a real Kafka topic: every query of
 * every panel of every dashboard must run and return data, every annotation
 * query must run, every alert rule must evaluate, and promtool must find
 * nothing to fix in the live /metrics.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { dashboardFiles } from '../../src/ops/dashboards/index.js';
import { createFeedbackMetrics, startMetricsServer } from '../../src/ops/index.js';
import { FeedbackJoiner } from '../../src/labelling/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { AutoLearner } from '../../src/learners/index.js';
import { buildReport } from '../../src/ops/report/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { clientOf, unary } from '../helpers/grpc-call.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? 'prometheus';
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';
const brokers = inject('kafkaBrokers').split(',');

interface Panel {
  title: string;
  targets?: { expr: string }[];
}
interface Dashboard {
  title: string;
  panels: Panel[];
  annotations: { list: { name: string; expr: string }[] };
}
interface QueryAnswer {
  status: string;
  error?: string;
  data?: { result: unknown[] };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function events(n: number, seed: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `d${seed}-${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

describe('Grafana dashboards and alert rules against a real Prometheus, streamtune serving and learning from Kafka', () => {
  let dir: string;
  let app: StreamtuneServer;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let traffic: Promise<void> | undefined;
  let stopTraffic = false;
  const dashboards: Dashboard[] = [];
  const id = uniq();
  let joiner: FeedbackJoiner | undefined;
  let joinerMetrics: { port: number; close(): Promise<void> } | undefined;

  // As Grafana sends them with the `model` variable at All (its allValue).
  const query = async (q: string): Promise<QueryAnswer> => (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q.replaceAll('$model', '.*'))}`)).json()) as QueryAnswer;

  beforeAll(async () => {
    const which = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' });
    if (which.status !== 0) {
      throw new Error(`Prometheus is needed for this test and "${PROMETHEUS} --version" failed: install Debian's prometheus package (apt-get install prometheus) or set PROMETHEUS_BIN`);
    }
    for (const f of (await fs.readdir(path.join(ROOT, 'grafana', 'dashboards'))).filter((f) => f.endsWith('.json'))) {
      dashboards.push(JSON.parse(await fs.readFile(path.join(ROOT, 'grafana', 'dashboards', f), 'utf8')) as Dashboard);
    }
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-prom-'));
    const labelsTopic = `test.dash.labels.${id}`;
    app = new StreamtuneServer(
      loadConfig({
        overrides: {
          model: 'm',
          registryDir: path.join(dir, 'reg'),
          backend,
          kafka: { brokers, labelsTopic, dlqTopic: `test.dash.dlq.${id}`, groupId: `dash-${id}` },
          // The rollback test calls ModelAdmin without a token: open admin explicitly, as an operator would on loopback.
          serving: { port: 0, http: { port: 0 }, allowUnauthenticatedAdmin: true },
          metrics: { port: 0, consumerLagIntervalMs: 500 },
          training: { maxBatchSize: 10, maxBatchWaitMs: 50, versionEverySteps: 3, versionEveryMs: 300 },
          feedback: { log: { enabled: true, topic: `test.dash.predictions.${id}` }, stateTopic: `test.dash.fbstate.${id}`, groupId: `dash-joiner-${id}`, sweepIntervalMs: 200 },
        },
      }),
      () => undefined,
    );
    // The default regime of a new model, so the candidate panels have series too.
    const l = new AutoLearner({ featureSpec: { kind: 'features', dim: 2 }, task: 'classification', labels: ['a', 'b'] });
    await app.store.save('m', l, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    l.dispose();
    await ensureTopics(createKafka(brokers), [{ topic: labelsTopic, numPartitions: 2 }]);
    await app.start();

    // Predict traffic until the end (rates over 1m need fresh samples), one bad call for a client error.
    const client = new PredictorClient(app.grpc!.address);
    await client.predict([{ features: [1] }]).catch(() => undefined);
    traffic = (async () => {
      for (let i = 0; !stopTraffic; i++) {
        await client.predict([{ features: [i % 7, 1] }]).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 20));
      }
      client.close();
    })();

    // Labels to learn (and two malformed events for the dead-letter panels), sent in waves so rates have points.
    const producer = new EventProducer(createKafka(brokers), labelsTopic);
    await producer.send([{ id: 'bad-1', raw: '{not json' }, { id: 'bad-2', raw: JSON.stringify({ id: 'bad-2', input: { features: [1] }, label: 'a' }) }]);
    for (let wave = 0; wave < 3; wave++) await producer.send(events(100, wave));
    await producer.close();
    await waitFor('the trainer to learn and promote', () => (app.holder.meta?.examplesSeen ?? 0) > 0, 90_000);

    // The feedback joiner (its own scrape target), and one label fed back by prediction id.
    const feedbackMetrics = createFeedbackMetrics();
    joinerMetrics = await startMetricsServer(feedbackMetrics.registry, { port: 0 });
    joiner = new FeedbackJoiner({ kafka: createKafka(brokers), feedback: app.config.feedback, labelsTopic, dlqTopic: app.config.kafka.dlqTopic, metrics: feedbackMetrics });
    await joiner.start();
    const fbClient = new PredictorClient(app.grpc!.address);
    const answered = await fbClient.predict([{ features: [0.5, -0.5] }], { model: 'm' });
    await unary(clientOf('streamtune.v1.Predictor', app.grpc!.address), 'Feedback', { model: 'm', predictionId: answered.predictions[0]!.predictionId, label: 'a' });
    fbClient.close();
    await waitFor('the feedback joined', async () => /^streamtune_feedback_joined_total\{model="m"\} 1$/m.test(await feedbackMetrics.registry.metrics()), 90_000);

    const metricsPort = new URL(app.metricsUrl).port;
    const port = await freePort();
    await fs.writeFile(
      path.join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ['${path.join(ROOT, 'prometheus', 'alerts.yml')}']\n` +
        `scrape_configs:\n  - job_name: streamtune\n    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]\n` +
        `  - job_name: streamtune-joiner\n    static_configs: [{ targets: ['127.0.0.1:${joinerMetrics.port}'] }]\n`,
    );
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    promUrl = `http://127.0.0.1:${port}`;
    // Three scrapes at least, so rate() has points over every series.
    await waitFor('Prometheus to scrape streamtune three times', async () => {
      try {
        return ((await query('count_over_time(up{job="streamtune"}[1m]) >= 3')).data?.result.length ?? 0) > 0;
      } catch {
        return false;
      }
    }, 90_000);
  }, 420_000);

  afterAll(async () => {
    stopTraffic = true;
    await traffic;
    prom?.kill('SIGTERM');
    await joiner?.close();
    await joinerMetrics?.close();
    await app?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('the committed dashboard JSON is what src/dashboards builds (run `npm run dashboards` after a change)', () => {
    const built = dashboardFiles();
    expect(dashboards.map((d) => d.title).sort()).toEqual(Object.values(built).map((d) => d.title as string).sort());
    for (const d of dashboards) expect(d).toEqual(Object.values(built).find((b) => b.title === d.title));
  });

  it('every query of every panel of every dashboard runs and returns data', { timeout: 240_000 }, async () => {
    const targets = dashboards.flatMap((d) => d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: `${d.title} / ${p.title}`, expr: t.expr }))));
    expect(targets.length).toBeGreaterThan(40);
    let answers: { panel: string; expr: string; status: string; error: string; data: boolean }[] = [];
    const check = async (): Promise<boolean> => {
      answers = [];
      for (const t of targets) {
        const r = await query(t.expr);
        answers.push({ ...t, status: r.status, error: r.error ?? '', data: (r.data?.result.length ?? 0) > 0 });
      }
      return answers.every((a) => a.status === 'success' && a.data);
    };
    // Some series (freshness, step time) need a few scrapes after the first swap: poll, then assert on the last answers.
    await waitFor('every panel to have data', check, 150_000).catch(() => undefined);
    expect(answers.filter((a) => a.status !== 'success' || !a.data)).toEqual([]);
  });

  it('the model variable lists the served models, and picking one filters every per-model panel to it', async () => {
    const values = (await (await fetch(`${promUrl}/api/v1/label/model/values?match[]=streamtune_model_info`)).json()) as { data: string[] };
    expect(values.data).toEqual(['m']);
    const perModel = dashboards.flatMap((d) => d.panels.flatMap((p) => (p.targets ?? []).filter((t) => t.expr.includes('$model')).map((t) => ({ panel: `${d.title} / ${p.title}`, expr: t.expr }))));
    expect(perModel.length).toBeGreaterThan(15);
    for (const t of perModel) {
      // `or vector(0)` answers 0 for nothing: a filtered-out panel has no series of its own.
      const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(t.expr.replaceAll('$model', 'no-such-model'))}`).then((x) => x.json() as Promise<QueryAnswer>);
      const own = (r.data?.result ?? []).filter((x) => Object.keys((x as { metric: object }).metric).length > 0);
      expect({ panel: t.panel, status: r.status, series: own.length }).toEqual({ panel: t.panel, status: 'success', series: 0 });
    }
  });

  it('the annotation queries (version swaps, rollbacks) run, and the swaps one finds the swaps', async () => {
    const annotations = dashboards.flatMap((d) => d.annotations.list);
    expect(annotations.length).toBeGreaterThan(0);
    for (const a of annotations) {
      const end = Date.now() / 1000;
      const r = (await (await fetch(`${promUrl}/api/v1/query_range?query=${encodeURIComponent(a.expr.replaceAll('$model', '.*'))}&start=${end - 300}&end=${end}&step=1`)).json()) as QueryAnswer;
      expect({ name: a.name, status: r.status, error: r.error }).toEqual({ name: a.name, status: 'success', error: undefined });
      if (a.name === 'Version swaps') expect(r.data?.result.length).toBeGreaterThan(0);
    }
  });

  it('every alert rule loads and evaluates without error', async () => {
    type Rules = { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = async (): Promise<Rules['data']['groups'][number]['rules']> => ((await (await fetch(`${promUrl}/api/v1/rules`)).json()) as Rules).data.groups.flatMap((g) => g.rules);
    expect((await rules()).length).toBeGreaterThanOrEqual(12);
    await waitFor('every rule evaluated', async () => (await rules()).every((x) => x.health !== 'unknown'), 60_000);
    const evaluated = await rules();
    expect(evaluated.map((r) => [r.name, r.health, r.lastError ?? ''])).toEqual(evaluated.map((r) => [r.name, 'ok', '']));
  });

  it('promtool check metrics on the live /metrics finds nothing and exits 0; counters are exported at 0 before their first event', async () => {
    const body = await (await fetch(app.metricsUrl)).text();
    expect(body).toMatch(/^streamtune_consumer_lag_messages\{topic="test\.dash\.labels\.[^"]+",partition="[01]"\} \d+$/m);
    expect(body).toMatch(/^streamtune_train_step_duration_seconds_count\{model="m"\} [1-9]\d*$/m);
    expect(body).toMatch(/^streamtune_dlq_messages_total\{topic="test\.dash\.dlq\.[^"]+"\} 2$/m);
    expect(body).toMatch(/^streamtune_rollbacks_total\{model="m",trigger="operator"\} 0$/m);
    expect(body).toMatch(/^streamtune_model_swaps_total\{model="m",result="failed"\} 0$/m);
    expect(body).toMatch(/^streamtune_predict_requests_total\{method="ModelInfer",code="UNAVAILABLE"\} 0$/m);
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect({ status: r.status, problems: `${r.stdout}${r.stderr}`.split('\n').filter(Boolean) }).toEqual({ status: 0, problems: [] });
  });

  it('an operator rollback shows as a Rollbacks annotation (its counter was scraped at 0 before)', async () => {
    const rollbacks = dashboards[0]!.annotations.list.find((a) => a.name === 'Rollbacks')!;
    const admin = clientOf('streamtune.v1.ModelAdmin', app.grpc!.address);
    try {
      await unary(admin, 'Rollback', { reason: 'dashboard test' });
    } finally {
      admin.close();
    }
    const found = async (): Promise<boolean> => {
      const end = Date.now() / 1000;
      const r = (await (await fetch(`${promUrl}/api/v1/query_range?query=${encodeURIComponent(rollbacks.expr.replaceAll('$model', '.*'))}&start=${end - 120}&end=${end}&step=1`)).json()) as {
        data?: { result: { metric: Record<string, string> }[] };
      };
      return (r.data?.result ?? []).some((x) => x.metric.trigger === 'operator');
    };
    await waitFor('the Rollbacks annotation to show the operator rollback', found, 60_000);
  });

  it('streamtune report draws the run from the registry and this Prometheus', async () => {
    const out = path.join(dir, 'report');
    const r = await buildReport({ registryDir: path.join(dir, 'reg'), model: 'm', outDir: out, prometheusUrl: promUrl });
    expect(r.charts.map((c) => path.basename(c))).toEqual(['online-accuracy.png', 'learned-rate.png', 'events-rate.png', 'predict-latency.png', 'freshness.png']);
    expect(r.versions).toBeGreaterThan(1);
    for (const c of r.charts) expect((await fs.readFile(c)).subarray(1, 4).toString('ascii')).toBe('PNG');
    const html = await fs.readFile(r.html, 'utf8');
    for (const c of r.charts) expect(html).toContain(`<img src="${path.basename(c)}"`);
    expect(html).not.toContain('No Prometheus URL');
  });
});
