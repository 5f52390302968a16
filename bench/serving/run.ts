/**
 * Serving benchmark (`npm run -s bench:serving`): one server, five cases, one JSON
 * object on stdout. Cases run one after another against the same process:
 *   echo                     Diagnostics.Echo — the gRPC stack's own limit here
 *   predict_batched          Predict on the digits model, dynamic batching on
 *   predict_unbatched        the same model and holder on a second port with batching off
 *   predict_during_swaps     Predict (batched) while 100 hot-swaps load versions from disk
 *   predict_during_training  Predict (batched) while a child process trains an MLP flat out
 *   predict_auto             Predict (batched) on `digits-auto`, the same data learned with the default
 *                            regime `auto` (every candidate predicts; `ratio_auto_vs_batched` = its rps / the MLP's)
 *   predict_logged           Predict (batched) on a third port with the prediction log on, 100% sampled,
 *                            to KAFKA_BROKERS (only when set); `logged`/`dropped` count its records
 * Load comes from a child process (bench/serving/load-generator.ts) at concurrency 64
 * over loopback, bounded in time and calls. The cases are interleaved over
 * BENCH_ROUNDS rounds (echo, batched, unbatched, swaps, training, echo, …) and each
 * case's latencies are pooled over its rounds, so background load that comes and
 * goes on a shared machine hits every case alike. Progress goes to stderr.
 * Env: BENCH_ROUNDS (3), BENCH_DURATION_MS per case and round (2500),
 * BENCH_WARMUP_MS per case and round (500), STREAMTUNE_BACKEND.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { trainBase } from '../../src/app/train-base.js';
import { parseBackendPreference, selectBackend, loadConfig } from '../../src/core/index.js';
import { createKafka, readEventsJsonl } from '../../src/ingest/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { PredictionLog, PredictionServer } from '../../src/serving/index.js';
import type { LoadJob } from './load-generator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const CONCURRENCY = 64;
const SWAPS = 100;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2500);
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 500);
const log = (line: string): void => void process.stderr.write(`[bench:serving] ${line}\n`);

interface CaseResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  calls: number;
  failed: number;
  swaps?: number;
  logged?: number;
  dropped?: number;
  errors?: string[];
}

/** One round of one case, as the load generator reports it. */
interface RoundResult {
  calls: number;
  failed: number;
  seconds: number;
  latencies_ms: number[];
  errors: string[];
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Pools the rounds of one case: throughput over the summed time, percentiles over all latencies. */
function pool(rs: RoundResult[]): CaseResult {
  const all = rs.flatMap((r) => r.latencies_ms).sort((a, b) => a - b);
  const pct = (p: number): number => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))] ?? Number.NaN;
  const seconds = rs.reduce((s, r) => s + r.seconds, 0);
  const errors = rs.flatMap((r) => r.errors).slice(0, 5);
  return {
    rps: Math.round((all.length / seconds) * 10) / 10,
    p50_ms: round3(pct(50)),
    p99_ms: round3(pct(99)),
    calls: rs.reduce((s, r) => s + r.calls, 0),
    failed: rs.reduce((s, r) => s + r.failed, 0),
    ...(errors.length ? { errors } : {}),
  };
}

/** Runs the load generator in its own process; `during` starts when measuring starts. */
function load(job: Omit<LoadJob, 'concurrency' | 'warmupMs' | 'durationMs' | 'maxCalls'>, during?: () => Promise<void>, ms = durationMs): Promise<RoundResult> {
  const full: LoadJob = { ...job, concurrency: CONCURRENCY, warmupMs, durationMs: ms, maxCalls: 2_000_000 };
  const child = fork(path.join(here, 'load-generator.ts'), [JSON.stringify(full)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  let background: Promise<void> = Promise.resolve();
  child.on('message', (m: { type: string }) => {
    if (m.type === 'measuring' && during) background = during();
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      background.then(() => resolve(JSON.parse(out.trim().split('\n').at(-1)!) as RoundResult), reject);
    });
  });
}

const backend = (await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false })).backend;
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-bench-'));
try {
  log(`backend ${backend}; training the digits base model`);
  const store = new VersionStore(dir);
  const { events } = await readEventsJsonl(path.join(root, 'data', 'digits', 'base.jsonl'));
  // The same MLP shape as the peer server serves: this measures serving, not model choice.
  const base = await trainBase({ model: 'digits', store, events, backend, epochs: 10, regime: 'supervised' });
  // Versions to swap between: the base model saved again under new numbers (a real load each time).
  for (let i = 0; i < 4; i++) {
    const { learner } = await store.load('digits', base.meta.version);
    await store.save('digits', learner, { parent: base.meta.version, regime: 'bench', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    learner.dispose();
  }
  await fs.writeFile(path.join(dir, 'digits', 'LATEST'), base.meta.version);
  // The default regime, served beside it by the same server: what a user who changes nothing gets.
  log('training digits-auto (regime auto)');
  await trainBase({ model: 'digits-auto', store, events, backend, epochs: 10, regime: 'auto' });
  const config = loadConfig({ overrides: { model: 'digits', registryDir: dir, backend, serving: { port: 0, http: { port: 0 } }, metrics: { port: 0 }, training: { enabled: false } } });
  const app = new StreamtuneServer(config, () => undefined);
  await app.start();
  const unbatched = new PredictionServer(app.fleet, app.metrics, { backend, batching: { enabled: false } });
  await unbatched.start();
  // The prediction log at 100%, on its own port, when a broker is given (KAFKA_BROKERS).
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  const logCounts = { logged: 0, dropped: 0, failed: 0 };
  const predictionLog =
    brokers.length > 0
      ? new PredictionLog(createKafka(brokers, 'bench-serving', () => undefined), {
          config: { ...config.feedback.log, enabled: true, sampleRate: 1, topic: `bench.predictions.${Date.now().toString(36)}` },
          count: (o, n) => (logCounts[o] += n),
        })
      : undefined;
  await predictionLog?.start();
  const logging = predictionLog ? new PredictionServer(app.fleet, app.metrics, { backend, predictionLog }) : undefined;
  await logging?.start();
  const features = (events[0]!.input as { features: number[] }).features;
  const address = app.grpc!.address;

  // Warm both code paths (JIT, connection) first, so the first measured case is not penalised for going first.
  log('warm-up (not reported)');
  await load({ address, target: 'echo', features }, undefined, 1000);
  await load({ address, target: 'predict', features }, undefined, 1000);
  // The logging server too: else predict_logged alone pays the prediction log's first produce (connect, JIT of kafkajs' encoders).
  if (logging) await load({ address: logging.address, target: 'predict', features }, undefined, 1000);

  const versions = await store.list('digits');
  const swapsPerRound = Math.ceil(SWAPS / rounds);
  let swaps = 0;
  const swapping = async (): Promise<void> => {
    const gapMs = Math.max(1, Math.floor((durationMs * 0.8) / swapsPerRound));
    for (let i = 0; i < swapsPerRound && swaps < SWAPS; i++) {
      await app.swapTo(versions[swaps % versions.length]!);
      swaps++;
      await new Promise((r) => setTimeout(r, gapMs));
    }
  };
  let trainingSteps = 0;
  /** Predict while a child trains flat out. It starts under `nice -n 19`, so every thread of it (V8, libuv, WASM) yields to serving. */
  const training = async (): Promise<RoundResult> => {
    const trainer = fork(path.join(here, 'training-load.ts'), [], {
      execPath: 'nice',
      execArgv: ['-n', '19', process.execPath, '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve) => trainer.on('message', (m: { type: string }) => m.type === 'ready' && resolve()));
    const r = await load({ address, target: 'predict', features });
    trainingSteps += await new Promise<number>((resolve) => {
      trainer.on('message', (m: { type: string; steps?: number }) => m.type === 'steps' && resolve(m.steps ?? 0));
      trainer.send({ type: 'stop' });
    });
    return r;
  };
  const cases: [string, () => Promise<RoundResult>][] = [
    ['echo', () => load({ address, target: 'echo', features })],
    ['predict_batched', () => load({ address, target: 'predict', features })],
    ['predict_unbatched', () => load({ address: unbatched.address, target: 'predict', features })],
    ['predict_during_swaps', () => load({ address, target: 'predict', features }, swapping)],
    ['predict_during_training', training],
    ['predict_auto', () => load({ address, target: 'predict', features, models: [{ name: 'digits-auto', features }] })],
    ...(logging ? [['predict_logged', () => load({ address: logging.address, target: 'predict', features })] as [string, () => Promise<RoundResult>]] : []),
  ];
  const byCase = new Map<string, RoundResult[]>(cases.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, run] of cases) {
      log(`round ${round}/${rounds}: ${name}`);
      byCase.get(name)!.push(await run());
    }
  }
  log(`${swaps} swaps; the trainer took ${trainingSteps} training steps`);
  const results: Record<string, CaseResult> = Object.fromEntries([...byCase].map(([name, rs]) => [name, pool(rs)]));
  results.predict_during_swaps!.swaps = swaps;
  await logging?.close();
  await predictionLog?.close();
  if (results.predict_logged) Object.assign(results.predict_logged, { logged: logCounts.logged, dropped: logCounts.dropped + logCounts.failed });
  else log('predict_logged not run: set KAFKA_BROKERS');
  await unbatched.close();
  await app.close();
  const ratio = round3(results.predict_batched!.rps / results.echo!.rps);
  process.stdout.write(`${JSON.stringify({ ...results, ratio_batched_vs_echo: ratio, ratio_auto_vs_batched: round3(results.predict_auto!.rps / results.predict_batched!.rps) })}\n`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
