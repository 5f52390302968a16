/**
 * Training throughput, freshness and memory, in one run against a real broker.
 *
 *   npm run -s bench:training [-- --events 1000000] [--regime supervised|auto]
 *
 * Prints one JSON object: raw kafkajs consume rate of a topic of labelled events
 * (the ingest limit) vs the trainer's learned-events rate on the same topic (the
 * fleet pipeline the trainer process runs, `startFleetLearning`), the
 * same learner stepping alone on decoded micro-batches (the pipeline's own limit),
 * freshness p50/p99 (event produced → served by a version that learned it; and per
 * stage: `freshness_stage_p50_ms`, `_p99_ms`), and
 * RSS at the start and end of learning (and the live heap with `node --expose-gc`).
 * Like the trainer process, it runs with V8's old generation capped at
 * `training.maxHeapMb` (config/env, or `--max-heap-mb`; 0: node's default): without
 * a `--max-old-space-size` flag of its own it runs itself again with one.
 * `--regime` (default `supervised`, the plain MLP of earlier runs): how the base
 * model learns; `auto` is the product's default (online model selection). The
 * JSON says which (`regime`). Never a test: numbers only.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { trainingConfig, selectBackend, parseBackendPreference, loadConfig, ConfigError } from '../src/core/index.js';
import { trainBase } from '../src/app/train-base.js';
import { StreamtuneServer } from '../src/app/streamtune-server.js';
import { trainerNodeFlags } from '../src/app/trainer-process.js';
import { DATA_DIR } from '../src/app/demo.js';
import { ensureLocalBroker } from '../src/cli/local-broker.js';
import { readEventsJsonl, createKafka, ensureTopics } from '../src/ingest/index.js';
import { VersionStore } from '../src/registry/index.js';
import { startFleetLearning } from '../src/training/fleet-learning.js';
import { decodeRecord } from '../src/features/index.js';
import { liveHeapMb, mainCpuS, mb, pct } from './process-stats.js';

const { values } = parseArgs({ options: { events: { type: 'string' }, 'freshness-seconds': { type: 'string' }, 'max-heap-mb': { type: 'string' }, regime: { type: 'string' } } });
const REGIME = values.regime ?? 'supervised';
if (REGIME !== 'supervised' && REGIME !== 'auto') throw new ConfigError('--regime', `"${REGIME}" is not supervised or auto`);
const N = Number(values.events ?? 1_000_000);
const FRESH_S = Number(values['freshness-seconds'] ?? 10);
// The trainer process's heap cap, from the same config key (the flag overrides it).
const heapCap = values['max-heap-mb'];
if (heapCap !== undefined && !/^\d+$/.test(heapCap)) throw new ConfigError('--max-heap-mb', `"${heapCap}" is not a whole number of MiB`);
const maxHeapMb = loadConfig({ env: process.env, overrides: heapCap === undefined ? {} : { training: { maxHeapMb: Number(heapCap) } } }).training.maxHeapMb;
const heapFlagIn = (args: readonly string[]): number | undefined => {
  const flag = [...args].reverse().find((a) => /^--max[-_]old[-_]space[-_]size=/.test(a));
  return flag === undefined ? undefined : Number(flag.split('=')[1]);
};
const ownCap = heapFlagIn([...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv]);
if (ownCap === undefined && maxHeapMb > 0) {
  // Heap limits are fixed when V8 starts: run this script again under the cap (tsx's loader flags are in execArgv).
  const child = spawn(process.execPath, [...process.execArgv, ...trainerNodeFlags({ maxHeapMb }), ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))));
}
/** Micro-batch size of the trainer and of the model-only loop. */
const BATCH = 256;
const log = (l: string): void => void process.stderr.write(`[bench:training] ${l}\n`);

const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : await ensureLocalBroker(process.env, log);
const kafka = createKafka(brokers, 'streamtune-bench');
const run = Date.now().toString(36);
const topic = `bench.training.${run}`;
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'st-bench-training-'));
const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false });
log(`backend ${backend}, ${N} events, broker ${brokers.join(',')}`);

// Base model on the shipped digits; the stream cycles the digits with unique ids.
const [base, stream] = await Promise.all(['base', 'stream'].map(async (n) => (await readEventsJsonl(path.join(DATA_DIR, `${n}.jsonl`))).events));
const store = new VersionStore(path.join(work, 'registry'));
// The plain MLP by default, as in earlier runs of this bench; `--regime auto`: the default model.
await trainBase({ model: 'digits', store, events: base!, backend, epochs: 10, regime: REGIME });

await ensureTopics(kafka, [{ topic }, { topic: `${topic}.dlq` }]);
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const lines = stream!.map((e) => JSON.stringify({ ...e, id: undefined }).slice(1));
for (let i = 0; i < N; i += 1000) {
  const n = Math.min(1000, N - i);
  const ts = Date.now();
  await producer.send({
    topic,
    // Every other event names its model; the rest go to the fleet's default model (the same one).
    messages: Array.from({ length: n }, (_, k) => ({
      key: null,
      value: `{"id":"b${i + k}","ts":${ts},${(i + k) % 2 ? '"model":"digits",' : ''}${lines[(i + k) % lines.length]}`,
    })),
  });
}
log(`produced ${N}`);

// (1) The ingest limit: a bare kafkajs consumer reading the same topic.
const raw = kafka.consumer({ groupId: `bench-raw-${run}`, maxWaitTimeInMs: 100 });
await raw.connect();
await raw.subscribe({ topic, fromBeginning: true });
let seen = 0;
let rawStart = 0;
const rawDone = new Promise<number>((resolve) => {
  void raw.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (rawStart === 0) rawStart = performance.now();
      seen += batch.messages.length;
      if (seen >= N) resolve(performance.now());
    },
  });
});
const rawEnd = await rawDone;
await raw.disconnect();
const rawEps = N / ((rawEnd - rawStart) / 1000);
log(`raw consume ${Math.round(rawEps)} events/s`);

// (2) The trainer on the same topic, in this process: the fleet pipeline the trainer process
// runs (one consumer, records routed by the event's model, here all to `digits`, which it
// loads from the registry on its first event).
const newest = (await store.newest('digits'))!;
const rssStart = mb();
let learnStart = 0;
let learnCpu = 0;
let rssPeak = rssStart;
const fl = await startFleetLearning({
  topics: { labelsTopic: topic, dlqTopic: `${topic}.dlq`, groupId: `bench-train-${run}` },
  training: trainingConfig({ maxBatchSize: BATCH, maxBatchWaitMs: 50, versionEverySteps: 1_000_000, versionEveryMs: 5000 }),
  kafka,
  defaultModel: 'digits',
  store,
  backend,
  onStats: () => {
    if (learnStart === 0) {
      learnStart = performance.now();
      learnCpu = mainCpuS();
    }
  },
});
/** Consumed and learned events, summed over the fleet's trainers (read before `close()`, which releases them). */
const fleetTotals = (): { consumed: number; learned: number } => {
  const t = { consumed: 0, learned: 0 };
  for (const m of fl.fleet.models) {
    const trainer = fl.fleet.trainer(m)!;
    t.consumed += trainer.totals.consumed;
    t.learned += trainer.totals.learned;
  }
  return t;
};
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, mb())), 500);
// RSS once the first tenth is learned: buffers, caches and the WASM heap have grown to size by then.
let rssWarm = Number.NaN;
let heapLiveWarm: number | undefined;
let nextReport = N / 10;
while (fleetTotals().consumed < N) {
  await new Promise((r) => setTimeout(r, 100));
  const { consumed } = fleetTotals();
  if (Number.isNaN(rssWarm) && consumed >= N / 10) {
    rssWarm = mb();
    heapLiveWarm = liveHeapMb();
  }
  if (consumed >= nextReport) {
    nextReport += N / 10;
    const m = process.memoryUsage();
    log(
      `${consumed} consumed: rss ${mb()} MB, heap ${(m.heapUsed / 1048576).toFixed(0)} MB, external ${(m.external / 1048576).toFixed(0)} MB, ` +
        `arrayBuffers ${(m.arrayBuffers / 1048576).toFixed(0)} MB, tensors ${tf.memory().numTensors}`,
    );
  }
}
const learnEnd = performance.now();
const learnCpuS = mainCpuS() - learnCpu;
clearInterval(sampler);
const rssEnd = mb();
const heapLiveEnd = liveHeapMb();
const learned = fleetTotals().learned;
await fl.close();
const learnedEps = learned / ((learnEnd - learnStart) / 1000);
log(`learned ${learned} at ${Math.round(learnedEps)} events/s; RSS ${rssStart} → ${rssEnd} MB (peak ${rssPeak})`);

// (2b) The pipeline's own limit: the same learner (same class and config, loaded from
// the same base version) stepping in a tight loop on micro-batches of the same size,
// decoded beforehand. No Kafka, decoding, dedupe, replay mixing, guardrail scoring or
// checkpoints: pipeline_efficiency = learned_eps / model_only_eps is what those cost.
const solo = (await store.load('digits', newest)).learner;
const soloLabels = solo.describe().labels;
const pre: { x: number[][]; y: string[] }[] = [];
for (let i = 0; i + BATCH <= lines.length; i += BATCH) {
  const rows = lines.slice(i, i + BATCH).map((l, k) => {
    const value = Buffer.from(`{"id":"m${i + k}","ts":0,${l}`);
    const d = decodeRecord({ topic, partition: 0, offset: String(i + k), key: null, value, timestamp: '0' }, { featureSpec: solo.featureSpec, labels: soloLabels });
    if (!d.ok) throw new Error(`stream event ${i + k} does not decode: ${d.message}`);
    return d;
  });
  pre.push({ x: rows.map((d) => d.x), y: rows.map((d) => String(d.event.label)) });
}
const soloEvents = Math.min(N, 300_000);
for (let b = 0; b < 20; b++) await solo.learn(pre[b % pre.length]!.x, pre[b % pre.length]!.y); // warm-up
const soloStart = performance.now();
const soloCpu = mainCpuS();
let soloDone = 0;
for (let b = 0; soloDone < soloEvents; b++) {
  const mbatch = pre[b % pre.length]!;
  await solo.learn(mbatch.x, mbatch.y);
  soloDone += mbatch.x.length;
}
const soloWallS = (performance.now() - soloStart) / 1000;
const modelOnlyEps = soloDone / soloWallS;
const soloCpuS = mainCpuS() - soloCpu;
// Main-thread CPU time per event is steadier than wall time on a shared machine:
// other people's load slows both phases' clocks, much less the work each event costs.
const learnedPerCpuS = learned / learnCpuS;
const modelOnlyPerCpuS = soloDone / soloCpuS;
solo.dispose();
log(
  `model only: ${soloDone} events at ${Math.round(modelOnlyEps)} events/s (batches of ${BATCH}); efficiency ${(learnedEps / modelOnlyEps).toFixed(3)}; ` +
    `per CPU second: pipeline ${Math.round(learnedPerCpuS)}, model only ${Math.round(modelOnlyPerCpuS)} (${(learnedPerCpuS / modelOnlyPerCpuS).toFixed(3)}); ` +
    `CPU busy: pipeline ${(learnCpuS / ((learnEnd - learnStart) / 1000)).toFixed(2)}, model only ${(soloCpuS / soloWallS).toFixed(2)}`,
);

// (3) Freshness: the server with its trainer process, a paced stream, produced → served.
const freshTopic = `bench.fresh.${run}`;
const config = loadConfig({
  env: process.env,
  overrides: {
    model: 'digits',
    registryDir: path.join(work, 'registry'),
    kafka: { brokers, labelsTopic: freshTopic, dlqTopic: `${freshTopic}.dlq`, modelsTopic: `${freshTopic}.models`, groupId: `bench-fresh-${run}` },
    serving: { port: 0, http: { port: 0 } },
    metrics: { port: 0 },
  },
});
const server = new StreamtuneServer(config, () => undefined);
const freshness: number[] = [];
server.on('freshness', (s) => freshness.push(...s));
const stageSecs = new Map<string, number[]>();
server.on('freshness-stages', (st) => {
  for (const [stage, secs] of Object.entries(st)) stageSecs.set(stage, [...(stageSecs.get(stage) ?? []), ...secs]);
});
const stagePct = (p: number): Record<string, number> => Object.fromEntries([...stageSecs].map(([stage, secs]) => [stage, Math.round(pct(secs, p) * 1000)]));
await server.start();
const RATE = 200;
for (let i = 0; i < FRESH_S * RATE; i += RATE / 10) {
  const ts = Date.now();
  await producer.send({
    topic: freshTopic,
    messages: Array.from({ length: RATE / 10 }, (_, k) => ({ key: null, value: `{"id":"f${i + k}","ts":${ts},${lines[(i + k) % lines.length]}` })),
  });
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 3000));
await server.close();
await producer.disconnect();
await fs.rm(work, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    events: N,
    regime: REGIME,
    backend,
    pipeline: 'fleet',
    max_heap_mb: ownCap ?? 0,
    raw_consume_eps: Math.round(rawEps),
    learned_eps: Math.round(learnedEps),
    ratio: Math.round((learnedEps / rawEps) * 1000) / 1000,
    model_only_eps: Math.round(modelOnlyEps),
    pipeline_efficiency: Math.round((learnedEps / modelOnlyEps) * 1000) / 1000,
    learned_per_cpu_s: Math.round(learnedPerCpuS),
    model_only_per_cpu_s: Math.round(modelOnlyPerCpuS),
    pipeline_efficiency_cpu: Math.round((learnedPerCpuS / modelOnlyPerCpuS) * 1000) / 1000,
    freshness_p50_ms: Math.round(pct(freshness, 50) * 1000),
    freshness_p99_ms: Math.round(pct(freshness, 99) * 1000),
    freshness_samples: freshness.length,
    freshness_stage_p50_ms: stagePct(50),
    freshness_stage_p99_ms: stagePct(99),
    rss_start_mb: rssStart,
    rss_after_10pct_mb: rssWarm,
    heap_live_after_10pct_mb: heapLiveWarm,
    heap_live_end_mb: heapLiveEnd,
    rss_end_mb: rssEnd,
    rss_peak_mb: rssPeak,
  })}\n`,
);
process.exit(0);
