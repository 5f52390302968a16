/**
 * Load generator for the serving benchmark, run as its own process so the client
 * never shares the server's event loop. Reads one JSON job from argv[2], keeps
 * `concurrency` calls in flight for `warmupMs` (not measured) then `durationMs` or
 * `maxCalls`, whichever comes first, and prints one JSON line:
 * {calls, failed, seconds, latencies_ms (sorted), errors}; the parent pools rounds.
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { serviceConstructor } from '../../src/serving/index.js';

export interface LoadJob {
  address: string;
  /** 'echo' calls Diagnostics.Echo with a payload as large as the predict request; 'predict' calls Predictor.Predict. */
  target: 'echo' | 'predict';
  features: number[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  maxCalls: number;
  /** Predict: the models called, round-robin (each with its own feature count); absent: the default model with `features`. */
  models?: { name: string; features: number[] }[];
}

// The job as JSON, or `@FILE` holding it (a job naming many models is too long for argv).
const arg = process.argv[2]!;
const job = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg) as LoadJob;
const Ctor = serviceConstructor(job.target === 'echo' ? 'streamtune.v1.Diagnostics' : 'streamtune.v1.Predictor');
const client = new Ctor(job.address, grpc.credentials.createInsecure()) as unknown as Record<string, (...a: unknown[]) => void>;
const payload = Buffer.from(new Float32Array(job.features).buffer);
const request = job.target === 'echo' ? { payload } : { instances: [{ features: { values: job.features } }] };
const method = job.target === 'echo' ? 'Echo' : 'Predict';

const requests = job.target === 'predict' && job.models?.length ? job.models.map((m) => ({ model: m.name, instances: [{ features: { values: m.features } }] })) : [request];
let next = 0;
const call = (): Promise<void> =>
  new Promise((resolve, reject) =>
    client[method]!(requests[next++ % requests.length], { deadline: Date.now() + 10_000 }, (err: Error | null) => (err ? reject(err) : resolve())),
  );

async function run(ms: number, maxCalls: number): Promise<{ latencies: number[]; failed: number; seconds: number; errors: string[] }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let started = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + ms;
  const worker = async (): Promise<void> => {
    while (Date.now() < end && started < maxCalls) {
      started++;
      const s = process.hrtime.bigint();
      try {
        await call();
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  return { latencies, failed, seconds: Number(process.hrtime.bigint() - t0) / 1e9, errors };
}

await run(job.warmupMs, Number.MAX_SAFE_INTEGER);
process.send?.({ type: 'measuring' });
const r = await run(job.durationMs, job.maxCalls);
const latencies = r.latencies.sort((x, y) => x - y).map((v) => Math.round(v * 1000) / 1000);
process.stdout.write(`${JSON.stringify({ calls: latencies.length + r.failed, failed: r.failed, seconds: r.seconds, latencies_ms: latencies, errors: r.errors })}\n`);
(client as unknown as grpc.Client).close();
