/**
 * Scale-out benchmark (`npm run -s bench:scale [-- --models 100] [--learn-models 20]
 * [--events 40000] [--trainers 2] [--keep]`), on a broker of its own, with
 * streamtune's CLI processes as an operator runs them. Prints one JSON object:
 *
 * - `rss_base_mb`, `rss_per_model_mb`: RSS of `streamtune serve` (no trainer) with
 *   one small model, and the growth per extra model with `--models` of them
 *   (8 features, a [16] MLP each, every model loaded and called once).
 * - `predict_rps_all_models`: Predict calls/s against that server from a load
 *   generator in its own process, round-robin over all its models (concurrency 32).
 * - `learned_eps_1_trainer`, `learned_eps_n_trainers`, `scale_ratio`: events/s
 *   learned by one `streamtune learn` and by `--trainers` of them in one group,
 *   each from a fresh copy of the registry on the same pre-filled topic
 *   (`--learn-models` models, events keyed by model, 6 partitions); the rate is
 *   taken between 10% and 90% of the events learned, so process start-up is out.
 * - `freshness_p50_ms`, `freshness_p99_ms`: `streamtune serve` learning all models
 *   while events arrive at a steady rate (400/s, spread over the models): time from
 *   an event's timestamp to the first served version that learned it (the server's
 *   own freshness samples), for the events of 30 s (`--freshness-seconds`) after
 *   20 s of warm-up (`--freshness-warmup-seconds`; the trainer loads each model on
 *   its first event and catches up meanwhile).
 *   `freshness_stage_p50_ms`, `freshness_stage_p99_ms`: the same samples split by stage
 *   (`streamtune_freshness_stage_seconds`: queued, checkpoint_wait, save, handoff, swap).
 *
 * Never a test: numbers only. Progress goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createModel } from '../src/app/create-model.js';
import { StreamtuneServer } from '../src/app/streamtune-server.js';
import { ensureLocalBroker } from '../src/cli/local-broker.js';
import { loadConfig, parseBackendPreference, seededRandom, selectBackend } from '../src/core/index.js';
import { createKafka, ensureTopics } from '../src/ingest/index.js';
import { VersionStore } from '../src/registry/index.js';
import { ready, rssMb, runLoad, stop, waitUntil } from './scale-support.js';
import { benchRun, freePort, sleep } from './bench-run.js';
import type { LoadJob } from './serving/load-generator.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    'learn-models': { type: 'string' },
    events: { type: 'string' },
    trainers: { type: 'string' },
    'version-every-ms': { type: 'string' },
    'batch-wait-ms': { type: 'string' },
    'learn-version-every-ms': { type: 'string' },
    'model-batch-wait-ms': { type: 'string' },
    parts: { type: 'string' },
    'freshness-warmup-seconds': { type: 'string' },
    'freshness-seconds': { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const MODELS = Number(values.models ?? 100);
const LEARN_MODELS = Number(values['learn-models'] ?? 20);
const EVENTS = Number(values.events ?? 40_000);
const TRAINERS = Number(values.trainers ?? 2);
const VERSION_EVERY_MS = Number(values['version-every-ms'] ?? 250);
const BATCH_WAIT_MS = Number(values['batch-wait-ms'] ?? 50);
/** Checkpoint interval of the trainers in the learning part (the product's default: 1 s). */
const LEARN_VERSION_EVERY_MS = Number(values['learn-version-every-ms'] ?? 1000);
/** `training.modelBatchWaitMs` of the trainers in the learning part (0, the default: each model steps with what each micro-batch brings). */
const MODEL_BATCH_WAIT_MS = Number(values['model-batch-wait-ms'] ?? 0);
/** Which parts run (all by default): serving, learning, freshness; the others report null. */
const PARTS = new Set((values.parts ?? 'serving,learning,freshness').split(','));
const DIM = 8;
/** Label events per second in the freshness part. */
const RATE = 400;
const PARTITIONS = 6;
const ROOT = path.resolve(import.meta.dirname, '..');
const { work, kafkaPort, brokerEnv, processes, log, cleanup } = benchRun('scale', values.keep === true);

const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false });
const names = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

/** A registry with `models` small classifiers that have seen no data. */
async function makeRegistry(dir: string, models: string[]): Promise<VersionStore> {
  const store = new VersionStore(dir);
  for (const model of models) {
    await createModel({ store, model, input: `features:${DIM}`, task: 'classification', labels: ['a', 'b'], regime: 'supervised', hiddenUnits: [16], learningRate: 0.01, backend });
  }
  return store;
}

/** `streamtune <command> --config FILE` as a user runs it; its output goes to a log file in the work dir. */
function cli(name: string, args: string[], config: object, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const file = path.join(work, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  const out = fs.openSync(path.join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args, '--config', file], {
    cwd: ROOT,
    env: { ...process.env, STREAMTUNE_LOG_FORMAT: 'json', KAFKA_BROKERS: '', ...env },
    stdio: ['ignore', out, out],
  });
  processes.add(child);
  child.once('exit', () => processes.delete(child));
  return child;
}





/** Serving memory and throughput with `n` models. */
async function serving(n: number, load: boolean): Promise<{ rss: number; rps: number | null }> {
  const models = names(n, 'small');
  const dir = path.join(work, `serve-${n}`);
  await makeRegistry(dir, models);
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const child = cli(`serve-${n}`, ['serve'], { model: models[0], registryDir: dir, backend, serving: { port: grpcPort, http: { enabled: false } }, metrics: { port: metricsPort }, training: { enabled: false } });
  try {
    await waitUntil(`${n} models served`, () => ready(metricsPort, n), 300_000);
    // One call per model, so each has run its first prediction, then let the heap settle.
    const job: LoadJob = {
      address: `127.0.0.1:${grpcPort}`,
      target: 'predict',
      features: [],
      models: models.map((name, i) => ({ name, features: Array.from({ length: DIM }, (_, j) => Math.sin(i + j)) })),
      concurrency: load ? 32 : 4,
      warmupMs: 0,
      durationMs: load ? 10_000 : 60_000,
      maxCalls: load ? Number.MAX_SAFE_INTEGER : n,
    };
    const warm = await runLoad(work, { ...job, concurrency: 4, durationMs: 60_000, maxCalls: n });
    if (warm.failed > 0) throw new Error(`warm-up calls failed: ${warm.errors.join('; ')}`);
    await sleep(3000);
    const rss = rssMb(child.pid!);
    const rps = load ? (await runLoad(work, job)) : null;
    return { rss, rps: rps ? rps.calls / rps.seconds : null };
  } finally {
    await stop(child);
  }
}


// ------------------------------------------------------------------ main ----
try {
  log(`work dir ${work}; broker of our own on 127.0.0.1:${kafkaPort}; backend ${backend}`);
  const brokers = await ensureLocalBroker(brokerEnv);
  const kafka = createKafka(brokers, 'streamtune-bench-scale', () => undefined);

  let one = { rss: NaN, rps: null as number | null };
  let many = { rss: NaN, rps: null as number | null };
  if (PARTS.has('serving')) {
    log('serving: 1 model');
    one = await serving(1, false);
    log(`serving: ${MODELS} models`);
    many = await serving(MODELS, true);
  }
  const rssPerModel = (many.rss - one.rss) / Math.max(1, MODELS - 1);
  if (PARTS.has('serving')) log(`rss ${one.rss.toFixed(0)} MB with 1 model, ${many.rss.toFixed(0)} MB with ${MODELS} (${rssPerModel.toFixed(2)} MB per model); ${many.rps?.toFixed(0)} Predict/s over all`);

  // ---- learning: one topic, events keyed by model, pre-filled.
  const learnModels = names(LEARN_MODELS, 'learn');
  const id = Date.now().toString(36);
  const topic = `scale.labels.${id}`;
  await ensureTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
  const rand = seededRandom(5);
  const weights = learnModels.map(() => Array.from({ length: DIM }, () => rand() * 2 - 1));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const event = (i: number, m: number, ts = Date.now()): { key: string; value: string } => {
    const x = Array.from({ length: DIM }, () => rand() * 2 - 1);
    const y = x.reduce((a, v, j) => a + v * weights[m]![j]!, 0) > 0 ? 'a' : 'b';
    return { key: learnModels[m]!, value: JSON.stringify({ id: `e${i}`, model: learnModels[m], input: { features: x }, label: y, ts }) };
  };
  for (let i = 0; i < EVENTS; i += 2000) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(2000, EVENTS - i) }, (_, k) => event(i + k, (i + k) % LEARN_MODELS)) });
  }
  log(`produced ${EVENTS} events for ${LEARN_MODELS} models on ${topic} (${PARTITIONS} partitions)`);

  const learnedIn = async (store: VersionStore): Promise<number> => {
    let sum = 0;
    for (const m of learnModels) {
      const v = await store.newest(m);
      if (v) sum += (await store.meta(m, v)).examplesSeen;
    }
    return sum;
  };
  const learnRun = async (trainers: number): Promise<number> => {
    const dir = path.join(work, `learn-${trainers}`);
    const store = await makeRegistry(dir, learnModels);
    const config = {
      model: learnModels[0],
      registryDir: dir,
      backend,
      kafka: { brokers, labelsTopic: topic, dlqTopic: `${topic}.dlq`, modelsTopic: `${topic}.models.${trainers}`, groupId: `scale-${id}-${trainers}`, sessionTimeoutMs: 6000 },
      training: { maxBatchSize: 64, versionEveryMs: LEARN_VERSION_EVERY_MS, modelBatchWaitMs: MODEL_BATCH_WAIT_MS },
      // Trainers on one machine: each its own metrics port.
      metrics: { port: 0 },
    };
    const children = Array.from({ length: trainers }, (_, k) => cli(`learn-${trainers}-${k}`, ['learn'], config));
    const marks: { at: number; learned: number }[] = [];
    try {
      await waitUntil(`${trainers} trainer(s) learning all ${EVENTS} events`, async () => {
        const learned = await learnedIn(store);
        marks.push({ at: Date.now(), learned });
        return learned >= EVENTS;
      }, 900_000);
    } finally {
      await Promise.all(children.map(stop));
    }
    const first = (share: number): { at: number; learned: number } => marks.find((m) => m.learned >= share * EVENTS)!;
    const [a, b] = [first(0.1), first(0.9)];
    return (b.learned - a.learned) / Math.max(0.001, (b.at - a.at) / 1000);
  };
  let [eps1, epsN] = [NaN, NaN];
  if (PARTS.has('learning')) {
    log('learning: 1 trainer');
    eps1 = await learnRun(1);
    log(`1 trainer: ${eps1.toFixed(0)} events/s; learning: ${TRAINERS} trainers`);
    epsN = await learnRun(TRAINERS);
    log(`${TRAINERS} trainers: ${epsN.toFixed(0)} events/s`);
  }

  // ---- freshness: serve learning every model, events at a steady rate.
  const fresh: number[] = [];
  const stageMs = new Map<string, number[]>();
  if (PARTS.has('freshness')) {
    const freshDir = path.join(work, 'fresh');
    await makeRegistry(freshDir, learnModels);
    const freshTopic = `${topic}.fresh`;
    await ensureTopics(kafka, [{ topic: freshTopic, numPartitions: PARTITIONS }]);
    const app = new StreamtuneServer(
      loadConfig({
        overrides: {
          model: learnModels[0],
          registryDir: freshDir,
          backend,
          kafka: { brokers, labelsTopic: freshTopic, dlqTopic: `${freshTopic}.dlq`, modelsTopic: `${freshTopic}.models`, groupId: `scale-fresh-${id}` },
          serving: { port: 0, http: { enabled: false } },
          metrics: { port: 0 },
          training: { versionEveryMs: VERSION_EVERY_MS, maxBatchWaitMs: BATCH_WAIT_MS },
        },
      }),
      () => undefined,
    );
    // Events produced in the first 20 s (the trainer loading every model and catching up) are not counted.
    let measureFrom = Infinity;
    app.on('freshness', (s) => {
      const now = Date.now();
      fresh.push(...s.filter((x) => now - x * 1000 >= measureFrom).map((x) => x * 1000));
      if (process.env.BENCH_FRESHNESS_DUMP) fs.appendFileSync(process.env.BENCH_FRESHNESS_DUMP, `${Date.now()} ${s.map((x) => Math.round(x * 1000)).join(' ')}\n`);
    });
    app.on('freshness-stages', (stages) => {
      if (Date.now() < measureFrom) return;
      for (const [stage, secs] of Object.entries(stages)) stageMs.set(stage, [...(stageMs.get(stage) ?? []), ...secs.map((x) => x * 1000)]);
    });
    await app.start();
    await waitUntil('the trainer up', () => app.trainer?.ready === true, 120_000);
    const [warmup, seconds] = [Number(values['freshness-warmup-seconds'] ?? 20), Number(values['freshness-seconds'] ?? 30)];
    for (let t = 0; t < (warmup + seconds) * 5; t++) {
      if (t === warmup * 5) measureFrom = Date.now();
      const tick = Date.now();
      await producer.send({ topic: freshTopic, acks: -1, messages: Array.from({ length: RATE / 5 }, (_, k) => event(EVENTS + t * 1000 + k, (t * 7 + k) % LEARN_MODELS)) });
      await sleep(Math.max(0, 200 - (Date.now() - tick)));
    }
    await sleep(5000);
    await app.close();
  }
  await producer.disconnect();
  const steady = fresh.sort((a, b) => a - b);
  const q = (p: number): number | null => (steady.length ? Math.round(steady[Math.min(steady.length - 1, Math.floor(p * steady.length))]!) : null);
  const stageQ = (p: number): Record<string, number> | null =>
    stageMs.size === 0 ? null : Object.fromEntries([...stageMs].map(([stage, ms]) => [stage, Math.round(ms.sort((a, b) => a - b)[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? NaN)]));
  const num = (x: number, digits = 0): number | null => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

  process.stdout.write(
    `${JSON.stringify({
      models: MODELS,
      trainers: TRAINERS,
      events: EVENTS,
      learned_eps_1_trainer: num(eps1),
      learned_eps_n_trainers: num(epsN),
      scale_ratio: num(epsN / eps1, 2),
      freshness_p50_ms: q(0.5),
      freshness_p99_ms: q(0.99),
      freshness_stage_p50_ms: stageQ(0.5),
      freshness_stage_p99_ms: stageQ(0.99),
      rss_base_mb: num(one.rss, 1),
      rss_per_model_mb: num(rssPerModel, 2),
      predict_rps_all_models: many.rps === null ? null : Math.round(many.rps),
      learn_models: LEARN_MODELS,
      freshness_samples: steady.length,
      freshness_rate_eps: RATE,
      version_every_ms: VERSION_EVERY_MS,
      learn_version_every_ms: LEARN_VERSION_EVERY_MS,
      model_batch_wait_ms: MODEL_BATCH_WAIT_MS,
      batch_wait_ms: BATCH_WAIT_MS,
      backend,
      cores: os.availableParallelism(),
    })}\n`,
  );
} finally {
  await cleanup();
}
