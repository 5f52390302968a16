/** What bench/scale.ts needs around its processes: stopping one, its RSS, waiting for a condition, a server's readiness, a load run. */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { alive, childPids } from '../tests/helpers/processes.js';
import { sleep } from './bench-run.js';
import type { LoadJob } from './serving/load-generator.js';

/** SIGTERM, then SIGKILL for it and its children after 20 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  if (child.pid && alive(child.pid)) for (const pid of [...childPids(child.pid), child.pid]) process.kill(pid, 'SIGKILL');
}

/** Resident set of a process, MB (Linux /proc). */
export const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** Polls `check` every 250 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Whether the server scraped on `port` serves `models` models. */
export async function ready(port: number, models: number): Promise<boolean> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  return (body.match(/^streamtune_model_info\{[^}]*\} 1$/gm) ?? []).length >= models;
}

/** One load-generator run in its own process (job in a file under `work`). */
export function runLoad(work: string, job: LoadJob): Promise<{ calls: number; failed: number; seconds: number; errors: string[] }> {
  const file = path.join(work, `load-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(job));
  const child = fork(path.join(import.meta.dirname, 'serving', 'load-generator.ts'), [`@${file}`], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { calls: number; failed: number; seconds: number; errors: string[] };
      resolve(r);
    }),
  );
}
