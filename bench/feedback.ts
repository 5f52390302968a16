/**
 * Feedback benchmark (`npm run -s bench:feedback [-- --predictions N] [--kills K] [--window-ms W] [--brokers HOST:PORT] [--keep]`):
 * `streamtune serve` with the prediction log on (100%) and `streamtune join`, on a broker
 * of their own (or `--brokers`). N Predict calls (default 2000), then feedback by
 * prediction id for every one of them, sent in K+1 waves with the joiner SIGKILLed and
 * started again after each of the first K (default 3); 1% ids never predicted (sent
 * first, so their window closes early) and 1% duplicates (sent last). It reads the labels topic (read-committed) and the dead-letter topic
 * until every label is joined and the unknown ids' windows (W ms, default 120000: longer than the
 * run, so no prediction expires before its label is joined) closed.
 * Prints one JSON object on stdout (progress on stderr):
 * `{predictions, feedback, joined, unmatched, duplicates, learned, join_p50_ms, join_p99_ms, joiner_kills, lost, twice}`:
 * `join_*`: Feedback call answered → joined event read; `lost`: fed-back predictions never
 * joined; `twice`: joined more than once; `learned`: examples the trainer learned.
 * Never a test: numbers only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_DIR } from '../src/app/demo.js';
import { ensureLocalBroker } from '../src/cli/local-broker.js';
import { parseBackendPreference, selectBackend } from '../src/core/index.js';
import { createKafka, ensureTopics, readEventsJsonl } from '../src/ingest/index.js';
import { DenseClassifier } from '../src/learners/index.js';
import { VersionStore } from '../src/registry/index.js';
import { clientOf, unary } from '../tests/helpers/grpc-call.js';
import { benchRun, freePort, sleep, stopChild } from './bench-run.js';

const { values } = parseArgs({ options: { predictions: { type: 'string' }, kills: { type: 'string' }, 'window-ms': { type: 'string' }, brokers: { type: 'string' }, keep: { type: 'boolean' } } });
const N = Number(values.predictions ?? 2000);
const KILLS = Number(values.kills ?? 3);
const WINDOW_MS = Number(values['window-ms'] ?? 120_000);
if (!(Number.isInteger(N) && N >= 10) || !(Number.isInteger(KILLS) && KILLS >= 0) || !(WINDOW_MS >= 1000)) {
  process.stderr.write('bench:feedback: --predictions takes a whole number ≥ 10, --kills ≥ 0, --window-ms ≥ 1000\n');
  process.exit(2);
}
const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = 'digits';
const { work, brokerEnv, processes, log, cleanup } = benchRun('feedback', values.keep === true);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!) : Number.NaN;
};

try {
  const brokers = values.brokers ? values.brokers.split(',') : await ensureLocalBroker(brokerEnv);
  const kafka = createKafka(brokers, 'streamtune-bench-feedback', () => undefined);
  const id = Date.now().toString(36);
  const topics = { labelsTopic: `fbbench.labels.${id}`, dlqTopic: `fbbench.dlq.${id}`, modelsTopic: `fbbench.models.${id}` };
  await ensureTopics(kafka, [{ topic: topics.labelsTopic }, { topic: topics.dlqTopic }]);
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false });
  const digits = (await readEventsJsonl(path.join(DATA_DIR, 'stream.jsonl'))).events;
  const registryDir = path.join(work, 'registry');
  // An untrained model: the bench measures the loop, not accuracy.
  const labels = [...new Set(digits.map((e) => String(e.label)))].sort();
  const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 64 }, labels, hiddenUnits: [16] });
  await new VersionStore(registryDir).save(MODEL, base, { parent: null, regime: 'bench', backend, examplesSeen: 0, metrics: {}, offsets: {} });
  base.dispose();
  const [grpcPort, metricsPort, joinerMetricsPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = path.join(work, 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      model: MODEL,
      registryDir,
      backend,
      kafka: { brokers, ...topics, groupId: `fbbench-trainer-${id}` },
      serving: { port: grpcPort, http: { port: 0 } },
      metrics: { port: metricsPort },
      feedback: { log: { enabled: true, topic: `fbbench.predictions.${id}` }, stateTopic: `fbbench.state.${id}`, groupId: `fbbench-joiner-${id}`, windowMs: WINDOW_MS, sweepIntervalMs: 500, metricsPort: joinerMetricsPort },
    }),
  );
  const start = (cmd: string): ChildProcess => {
    const out = fs.openSync(path.join(work, `${cmd}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), cmd, '--config', configFile], { cwd: ROOT, env: { ...process.env, STREAMTUNE_LOG_FORMAT: 'json' }, stdio: ['ignore', out, out] });
    processes.add(child);
    return child;
  };
  const metric = async (port: number, name: string): Promise<number> => {
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      return [...body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
    } catch {
      return -1;
    }
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 180_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (logs in ${work})`);
      await sleep(200);
    }
  };
  start('serve');
  await until('serve learning', async () => (await metric(metricsPort, 'streamtune_trainer_up')) === 1);
  let restarts = 0;
  let joiner = start('join');
  const joinerUp = (): Promise<void> => until('the joiner up', async () => fs.readFileSync(path.join(work, 'join.log'), 'utf8').split('\n').filter((l) => l.includes('joiner_up')).length > restarts);
  await joinerUp();

  // What reaches the labels and dead-letter topics, as a trainer would read it.
  const joinedAt = new Map<string, number[]>();
  const letters: Record<string, number> = {};
  const reader = kafka.consumer({ groupId: `fbbench-reader-${id}` });
  await reader.connect();
  await reader.subscribe({ topics: [topics.labelsTopic, topics.dlqTopic], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === topics.dlqTopic) {
        const reason = message.headers?.['streamtune-reason']?.toString() ?? '';
        letters[reason] = (letters[reason] ?? 0) + 1;
        return;
      }
      const e = JSON.parse(message.value!.toString()) as { id: string; input?: unknown };
      if (e.input !== undefined) joinedAt.set(e.id, [...(joinedAt.get(e.id) ?? []), Date.now()]);
    },
  });

  log(`${N} predictions`);
  const client = clientOf('streamtune.v1.Predictor', `127.0.0.1:${grpcPort}`);
  const ids: string[] = [];
  for (let i = 0; i < N; i += 50) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, j) =>
        unary<{ predictions: { predictionId: string }[] }>(client, 'Predict', { model: MODEL, requestId: `b-${id}-${i + j}`, instances: [{ features: { values: (digits[(i + j) % digits.length]!.input as { features: number[] }).features } }] }),
      ),
    );
    ids.push(...answers.map((a) => a.predictions[0]!.predictionId));
  }
  const sentAt = new Map<string, number>();
  const feedback = async (from: number, to: number, predictionId = (i: number) => ids[i]!): Promise<void> => {
    for (let i = from; i < to; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, to - i) }, async (_, j) => {
          const pid = predictionId(i + j);
          await unary(client, 'Feedback', { model: MODEL, predictionId: pid, label: String(digits[(i + j) % digits.length]!.label) });
          if (!sentAt.has(pid)) sentAt.set(pid, Date.now());
        }),
      );
    }
  };
  const extra = Math.max(1, Math.floor(N / 100));
  await feedback(0, extra, (i) => `never-${id}-${i}`);
  const wave = Math.ceil(N / (KILLS + 1));
  for (let k = 0; k <= KILLS; k++) {
    await feedback(k * wave, Math.min(N, (k + 1) * wave));
    if (k === KILLS) break;
    // Kill while it joins: once part of this wave is out, SIGKILL, then start a new one.
    await until('part of the wave joined', () => joinedAt.size >= k * wave + 1).catch((err: Error) => log(err.message));
    joiner.kill('SIGKILL');
    restarts++;
    log(`joiner SIGKILLed (${restarts}/${KILLS})`);
    joiner = start('join');
    await joinerUp();
  }
  await feedback(0, extra); // duplicates
  log('waiting for every label to be joined and the unknown ids to be dead-lettered');
  await until('every label joined', () => ids.every((p) => joinedAt.has(p)), 300_000).catch((err: Error) => log(err.message));
  await until('unknown ids dead-lettered', () => (letters.no_prediction ?? 0) >= extra, WINDOW_MS + 120_000).catch((err: Error) => log(err.message));
  await until('the trainer to learn them', async () => (await metric(metricsPort, 'streamtune_train_examples_total')) >= joinedAt.size, 120_000).catch((err: Error) => log(err.message));
  await sleep(2000);
  const latencies = ids.filter((p) => joinedAt.has(p)).map((p) => joinedAt.get(p)![0]! - sentAt.get(p)!);
  const result = {
    predictions: N,
    feedback: N + 2 * extra,
    joined: joinedAt.size,
    unmatched: letters.no_prediction ?? 0,
    duplicates: letters.duplicate_feedback ?? 0,
    learned: await metric(metricsPort, 'streamtune_train_examples_total'),
    join_p50_ms: pct(latencies, 50),
    join_p99_ms: pct(latencies, 99),
    joiner_kills: restarts,
    lost: ids.filter((p) => !joinedAt.has(p)).length,
    twice: [...joinedAt.values()].filter((t) => t.length > 1).length,
  };
  client.close();
  await reader.disconnect();
  await stopChild(joiner);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await cleanup();
}
