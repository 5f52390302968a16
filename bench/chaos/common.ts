/**
 * What both topologies of bench:chaos share: the options, the events (a base
 * set to train the first version on, and the chaos stream with the reason each
 * bad event must be dead-lettered with), streamtune CLI processes as a user
 * starts them, waiting for a condition, and spotting a checkpoint save as it starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA_DIR } from '../../src/app/demo.js';
import { parseBackendPreference, selectBackend } from '../../src/core/index.js';
import { readEventsJsonl, type LabelEvent } from '../../src/ingest/index.js';
import { childPids } from '../../tests/helpers/processes.js';
import { sleep, type BenchRun } from '../bench-run.js';
import { chaosStream } from './events.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const MODEL = 'digits';

export interface ChaosOptions {
  /** Events to produce. */
  events: number;
  /** Seeded: the order of the faults and the moments they strike. */
  rand: () => number;
}

export type Backend = Awaited<ReturnType<typeof selectBackend>>['backend'];

export interface ChaosData {
  backend: Backend;
  /** Events the first version is trained on. */
  base: LabelEvent[];
  /** Valid digits the stream cycles through (and the Predict client sends). */
  digits: LabelEvent[];
  stream: ReturnType<typeof chaosStream>;
  /** Each bad event's key → the reason it must be dead-lettered with. */
  reasons: Map<string, string>;
}

export async function chaosData(total: number): Promise<ChaosData> {
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false });
  const [base, digits] = await Promise.all(['base', 'stream'].map(async (n) => (await readEventsJsonl(path.join(DATA_DIR, `${n}.jsonl`))).events));
  const stream = chaosStream(total, digits!);
  const reasons = new Map<string, string>();
  for (let i = 0; i < total; i++) {
    const e = stream.at(i);
    if (e.reason) reasons.set(e.key, e.reason);
  }
  return { backend, base: base!, digits: digits!, stream, reasons };
}

/** The features of the i-th digit (cycled), as the Predict client sends them. */
export const digitFeatures = (digits: readonly LabelEvent[], i: number): number[] => (digits[i % digits.length]!.input as { features: number[] }).features;

/** `streamtune <args>` as a user starts it; its log lines go to `<name>.log` in the work dir (appended across restarts). */
export function startCli(run: BenchRun, name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const out = fs.openSync(path.join(run.work, `${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, STREAMTUNE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  run.processes.add(child);
  return child;
}

/**
 * The trainer process that `streamtune serve` or `streamtune learn` (pid `parent`)
 * runs now. Not simply its first child: tsx's esbuild service may be one too.
 */
export function trainerPidOf(parent: number | undefined): number | undefined {
  if (parent === undefined) return undefined;
  return childPids(parent).find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('trainer-main');
    } catch {
      return false;
    }
  });
}

/** Polls `check` every 100 ms; false (and a progress line) when `timeoutMs` passes first. */
export async function waitUntil(log: (line: string) => void, what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return true;
    await sleep(100);
  }
  log(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
  return false;
}

/** The temporary folder of the next checkpoint save in `versionsDir`, as soon as it appears; undefined after `timeoutMs`. */
export async function saveStarting(versionsDir: string, timeoutMs = 30_000): Promise<string | undefined> {
  const watcher = fs.watch(versionsDir);
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      watcher.on('change', (_, name) => {
        const tmp = path.join(versionsDir, String(name));
        // A folder that appeared (the same event reports one renamed away when a save ends).
        if (String(name).startsWith('.tmp-') && fs.existsSync(tmp)) {
          clearTimeout(timer);
          resolve(tmp);
        }
      });
    });
  } finally {
    watcher.close();
  }
}

/** The longest recovery in seconds, one decimal; null when none was measured. */
export const maxRecovery = (recoveries: readonly number[]): number | null => (recoveries.length ? Math.round(Math.max(...recoveries) * 10) / 10 : null);
