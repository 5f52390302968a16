/**
 * Soak benchmark (`npm run -s bench:soak [-- --minutes M] [--rate R] [--registry-mode dir|kafka] [--keep]`):
 * `streamtune serve` (learning, default settings) on a broker of its own while a
 * producer streams labelled digits at R events/s (default 200) for M minutes
 * (default 30). Every 5 s it measures the registry directory, the broker's data
 * for this run's topics, and the resident memory of serve and its trainer. Prints
 * one JSON object on stdout (progress on stderr):
 * `{minutes, events, versions_written, versions_kept, registry_mb_start,
 * registry_mb_10pct, registry_mb_end, registry_mb_per_day, topic_mb_end,
 * rss_mb_10pct, rss_mb_end}`. `registry_mb_per_day` extrapolates the growth
 * after the first 10% (warm-up) to a day. Never a test: numbers only.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_DIR } from '../src/app/demo.js';
import { trainBase } from '../src/app/train-base.js';
import { ensureLocalBroker } from '../src/cli/local-broker.js';
import { parseBackendPreference, selectBackend } from '../src/core/index.js';
import { createKafka, ensureTopics, readEventsJsonl } from '../src/ingest/index.js';
import { VersionStore } from '../src/registry/index.js';
import { childPids } from '../tests/helpers/processes.js';
import { benchRun, freePort, sleep } from './bench-run.js';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, rate: { type: 'string' }, 'registry-mode': { type: 'string' }, keep: { type: 'boolean' } } });
const MINUTES = Number(values.minutes ?? 30);
const RATE = Number(values.rate ?? 200);
const MODE = values['registry-mode'] ?? 'dir';
if (!(MINUTES > 0) || !(RATE > 0) || !['dir', 'kafka'].includes(MODE)) {
  process.stderr.write('bench:soak: --minutes and --rate take positive numbers, --registry-mode dir or kafka\n');
  process.exit(2);
}
const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = 'digits';
const { work, brokerEnv, processes, log, cleanup } = benchRun('soak', values.keep === true);

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 100) / 100;
/** Disk space taken by every file below `dir` (allocated blocks: Kafka preallocates sparse index files), 0 when it does not exist. */
function duBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      try {
        if (e.isDirectory()) walk(p);
        else total += fs.statSync(p).blocks * 512;
      } catch {
        // Removed while we looked (a version replaced, a segment deleted).
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return total;
}
/** Resident memory of a process, in bytes (0 when it is gone). */
function rssBytes(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

try {
  log(`${MINUTES} min at ${RATE} events/s, registry mode ${MODE}; work dir ${work}`);
  const brokers = await ensureLocalBroker(brokerEnv);
  const kafka = createKafka(brokers, 'streamtune-bench-soak', () => undefined);
  const id = Date.now().toString(36);
  const topics = { labelsTopic: `soak.labels.${id}`, dlqTopic: `soak.dlq.${id}`, modelsTopic: `soak.models.${id}` };
  const registryTopic = `soak.registry.${id}`;
  await ensureTopics(kafka, [{ topic: topics.labelsTopic }, { topic: topics.dlqTopic }]);
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false });
  const [base, digits] = await Promise.all(['base', 'stream'].map(async (n) => (await readEventsJsonl(path.join(DATA_DIR, `${n}.jsonl`))).events));
  const registryDir = path.join(work, 'registry');
  await trainBase({ model: MODEL, store: new VersionStore(registryDir), events: base!, backend, epochs: 10 });
  const metricsPort = await freePort();
  const configFile = path.join(work, 'serve.json');
  // Defaults everywhere but the ports and topics: the soak measures what a deployment gets out of the box.
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      model: MODEL,
      registryDir,
      backend,
      kafka: { brokers, ...topics, groupId: `soak-${id}` },
      registry: { mode: MODE, topic: registryTopic },
      serving: { port: await freePort(), http: { port: 0 } },
      metrics: { port: metricsPort },
    }),
  );
  const out = fs.openSync(path.join(work, 'serve.log'), 'a');
  const serve = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'serve', '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, STREAMTUNE_LOG_FORMAT: 'json', KAFKA_BROKERS: brokers.join(',') },
    stdio: ['ignore', out, out],
  });
  processes.add(serve);
  const metric = async (name: string): Promise<number> => {
    try {
      const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      return [...body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
    } catch {
      return -1;
    }
  };
  const deadline = Date.now() + 180_000;
  while ((await metric('streamtune_trainer_up')) !== 1) {
    if (Date.now() > deadline) throw new Error(`the trainer did not start within 180 s (see ${path.join(work, 'serve.log')})`);
    await sleep(500);
  }
  log(`serve pid ${serve.pid} learning; producing`);

  const brokerData = path.join(work, 'kafka', 'data');
  const topicBytes = (): number =>
    fs.existsSync(brokerData) ? fs.readdirSync(brokerData).filter((d) => d.includes(id)).reduce((n, d) => n + duBytes(path.join(brokerData, d)), 0) : 0;
  const rss = (): number => rssBytes(serve.pid) + (serve.pid ? childPids(serve.pid).reduce((n, p) => n + rssBytes(p), 0) : 0);
  const sample = (): { at: number; registry: number; rss: number } => ({ at: Date.now(), registry: duBytes(registryDir), rss: rss() });

  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const start = sample();
  const endAt = start.at + MINUTES * 60_000;
  const warmAt = start.at + MINUTES * 6_000;
  let warm: ReturnType<typeof sample> | null = null;
  let events = 0;
  let lastSample = start.at;
  // Sends every 100 ms what the rate owes by then, so the rate holds whatever a send costs.
  while (Date.now() < endAt) {
    const owed = Math.floor(((Date.now() - start.at) / 1000) * RATE) - events;
    if (owed > 0) {
      const batch = Array.from({ length: owed }, (_, i) => {
        const e = digits![(events + i) % digits!.length]!;
        return { key: MODEL, value: JSON.stringify({ id: `soak-${events + i}`, input: e.input, label: e.label }) };
      });
      await producer.send({ topic: topics.labelsTopic, acks: -1, messages: batch });
      events += owed;
    }
    if (!warm && Date.now() >= warmAt) warm = sample();
    if (Date.now() - lastSample >= 60_000) {
      lastSample = Date.now();
      log(`${events} events; registry ${mb(duBytes(registryDir))} MB; rss ${mb(rss())} MB`);
    }
    await sleep(100);
  }
  await producer.disconnect();
  await sleep(3000);
  const end = sample();
  warm ??= start;
  const versionsDir = path.join(registryDir, MODEL, 'versions');
  const result = {
    minutes: MINUTES,
    events,
    versions_written: await metric('streamtune_model_versions_total'),
    versions_kept: fs.readdirSync(versionsDir).filter((n) => /^v\d+$/.test(n)).length,
    registry_mb_start: mb(start.registry),
    registry_mb_10pct: mb(warm.registry),
    registry_mb_end: mb(end.registry),
    registry_mb_per_day: Math.round(mb(((end.registry - warm.registry) / Math.max(1, end.at - warm.at)) * 86_400_000)),
    topic_mb_end: mb(topicBytes()),
    rss_mb_10pct: mb(warm.rss),
    rss_mb_end: mb(end.rss),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await cleanup();
}
