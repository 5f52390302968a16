import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, StreamtuneError } from '../core/index.js';
import { readEventsJsonl, createKafka, ensureTopics, EventProducer } from '../ingest/index.js';
import { featurize } from '../features/index.js';
import { accuracy } from '../evaluation/index.js';
import { PredictorClient } from '../serving/index.js';
import { StreamtuneServer } from './streamtune-server.js';
import { trainBase } from './train-base.js';

export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'digits');

export interface DemoOptions {
  brokers: string[];
  /** Where the demo keeps its registry (wiped at start). @defaultValue .streamtune/demo */
  workDir?: string;
  grpcPort?: number;
  metricsPort?: number;
  /** KServe v2 REST port (0: a free one). @defaultValue 8000 */
  httpPort?: number;
  /** Events per second streamed into Kafka. @defaultValue 250 */
  rate?: number;
  /** Concurrent Predict callers. @defaultValue 4 */
  clients?: number;
  backend?: string;
  log?: (line: string) => void;
  /** Stop after this long without reaching the end. @defaultValue 180000 */
  timeoutMs?: number;
}

export interface DemoSummary {
  backend: string;
  trainerBackend: string;
  versions: string[];
  swaps: number;
  streamed: number;
  learned: number;
  rejected: number;
  holdoutAccuracyBefore: number;
  holdoutAccuracyAfter: number;
  prequentialAccuracy: number | null;
  calls: number;
  failedCalls: number;
  grpc: string;
  /** KServe v2 REST base URL. */
  rest: string;
  metrics: string;
  labelsTopic: string;
}

/**
 * The whole loop, as a user runs it: batch-train a base model on shipped data,
 * serve it, stream labelled events (and two malformed ones) into Kafka, learn
 * online in the trainer process, hot-swap new versions while clients keep
 * calling Predict, and report. Returns the summary with the server still up;
 * call `stop()` to shut it down.
 */
export async function runDemo(o: DemoOptions): Promise<{ summary: DemoSummary; server: StreamtuneServer; stop(): Promise<void> }> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const workDir = path.resolve(o.workDir ?? '.streamtune/demo');
  await fs.rm(workDir, { recursive: true, force: true });
  const run = Date.now().toString(36);
  const config = loadConfig({
    env: {},
    overrides: {
      model: 'digits',
      registryDir: path.join(workDir, 'registry'),
      backend: o.backend ?? process.env.STREAMTUNE_BACKEND ?? 'auto',
      // Fresh topics per run, so a second demo does not replay the first one's events.
      kafka: { brokers: o.brokers, labelsTopic: `streamtune.labels.demo-${run}`, dlqTopic: `streamtune.dlq.demo-${run}`, groupId: `streamtune-demo-${run}` },
      serving: { port: o.grpcPort ?? 50051, http: { port: o.httpPort ?? 8000 } },
      metrics: { port: o.metricsPort ?? 9464 },
      training: { maxBatchSize: 16, maxBatchWaitMs: 100, versionEverySteps: 15, versionEveryMs: 1500 },
    },
  });

  const [base, stream, holdout] = await Promise.all(['base', 'stream', 'holdout'].map((n) => readEventsJsonl(path.join(DATA_DIR, `${n}.jsonl`))));
  const server = new StreamtuneServer(config, (l) => log(`  ${l}`));
  // The base model is trained with the serving backend, which the server selects at start.
  const { selectBackend } = await import('../core/index.js');
  const { backend } = await selectBackend(config.backend, { conv: false });
  log(`1/4 batch-training the base model on ${base!.events.length} digits (backend ${backend})…`);
  const basis = await trainBase({ model: config.model, store: server.store, events: base!.events, holdout: holdout!.events, backend, epochs: 30 });
  const before = basis.holdoutAccuracy ?? 0;
  log(`    ${config.model}@${basis.meta.version}: holdout accuracy ${(before * 100).toFixed(1)}%`);

  log('2/4 starting the server (gRPC + metrics + trainer process)…');
  const totals = { learned: 0, rejected: 0, accuracy: null as number | null };
  server.on('stats', (s) => {
    totals.learned += s.learned;
    totals.rejected += Object.values(s.rejected).reduce((a, b) => a + b, 0);
    if (s.accuracy !== null) totals.accuracy = s.accuracy;
  });
  await server.start();
  const grpcAddress = server.grpc!.address;

  // Clients call Predict the whole time; every failure is counted.
  const client = new PredictorClient(grpcAddress);
  const calls = { ok: 0, failed: 0, errors: [] as string[], versions: new Set<string>() };
  let calling = true;
  const callers = Array.from({ length: o.clients ?? 4 }, async (_, c) => {
    let i = c;
    while (calling) {
      const ev = holdout!.events[i++ % holdout!.events.length]!;
      try {
        const res = await client.predict([ev.input as { features: number[] }]);
        calls.ok++;
        calls.versions.add(res.version);
      } catch (err) {
        calls.failed++;
        if (calls.errors.length < 5) calls.errors.push((err as Error).message);
      }
    }
  });

  log(`3/4 streaming ${stream!.events.length} labelled events (+2 malformed) into ${config.kafka.labelsTopic}…`);
  const kafka = createKafka(o.brokers, 'streamtune-demo-producer');
  await ensureTopics(kafka, [{ topic: config.kafka.labelsTopic }, { topic: config.kafka.dlqTopic }]);
  const producer = new EventProducer(kafka, config.kafka.labelsTopic);
  const rate = o.rate ?? 250;
  const started = Date.now();
  const ticker = setInterval(() => {
    const acc = totals.accuracy === null ? '  -  ' : `${(totals.accuracy * 100).toFixed(1)}%`;
    log(
      `    [${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] serving ${server.holder.version} | learned ${totals.learned}/${stream!.events.length}` +
        ` | dead-lettered ${totals.rejected} | online accuracy ${acc} | swaps ${server.holder.served.length - 1} | calls ${calls.ok} ok, ${calls.failed} failed`,
    );
  }, 1000);
  try {
    const events = stream!.events;
    for (let i = 0; i < events.length; i += 25) {
      const chunk: Parameters<EventProducer['send']>[0] = events.slice(i, i + 25);
      if (i === 200) chunk.push({ id: 'demo-bad-json', raw: '{"id": "demo-bad-json", "input": ' });
      if (i === 600) chunk.push({ id: 'demo-bad-dim', input: { features: [1, 2, 3] }, label: '7' });
      await producer.send(chunk);
      const due = started + ((i + 25) / rate) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    await producer.close();

    // Wait until a served version includes every streamed event.
    const deadline = Date.now() + (o.timeoutMs ?? 180_000);
    const allIn = (): boolean => (server.holder.meta?.examplesSeen ?? 0) >= basis.meta.examplesSeen + events.length;
    while (!allIn() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!allIn()) {
      throw new StreamtuneError('demo_timeout', `demo: no served version included all ${events.length} events within ${o.timeoutMs ?? 180_000} ms`, {
        context: { topic: config.kafka.labelsTopic, events: events.length, servingVersion: server.holder.version ?? undefined },
      });
    }
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    clearInterval(ticker);
    calling = false;
    await Promise.all(callers);
    client.close();
  }

  const lease = server.holder.acquire();
  let after: number;
  try {
    after = accuracy(
      lease.learner,
      holdout!.events.map((e) => ({ x: featurize(e.input, lease.learner.featureSpec), y: e.label as string })),
    );
  } finally {
    lease.release();
  }
  const summary: DemoSummary = {
    backend: server.backend,
    trainerBackend: server.trainer?.backend ?? '',
    versions: [...server.holder.served],
    swaps: server.holder.served.length - 1,
    streamed: stream!.events.length,
    learned: totals.learned,
    rejected: totals.rejected,
    holdoutAccuracyBefore: before,
    holdoutAccuracyAfter: after,
    prequentialAccuracy: totals.accuracy,
    calls: calls.ok + calls.failed,
    failedCalls: calls.failed,
    grpc: grpcAddress,
    rest: server.grpc?.rest?.url ?? '',
    metrics: server.metricsUrl,
    labelsTopic: config.kafka.labelsTopic,
  };
  if (calls.errors.length) log(`    failed calls, first errors: ${calls.errors.join(' | ')}`);
  log(
    `4/4 done: ${summary.swaps} hot-swaps (${summary.versions.join(' → ')}), ${summary.calls} Predict calls, ${summary.failedCalls} failed\n` +
      `    holdout accuracy ${(before * 100).toFixed(1)}% (base) → ${(after * 100).toFixed(1)}% (${server.holder.version}); ` +
      `online (prequential) accuracy ${totals.accuracy === null ? '-' : `${(totals.accuracy * 100).toFixed(1)}%`}; ${summary.rejected} events dead-lettered\n` +
      `    metrics: ${summary.metrics}   gRPC: ${summary.grpc}   REST: ${summary.rest}/v2`,
  );
  return { summary, server, stop: () => server.close() };
}
