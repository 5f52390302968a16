/**
 * What the process-level benchmarks (bench:chaos, bench:scale) share: a work
 * directory, a Kafka broker (or cluster) of their own on ports of their own, the child
 * processes they start, progress lines on stderr, and one cleanup (also on
 * Ctrl-C) that kills the children, stops the broker and removes the work
 * directory unless `keep`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { KAFKA_SCRIPT, stopLocalBroker } from '../src/cli/local-broker.js';
import { alive, childPids } from '../tests/helpers/processes.js';

export interface BenchRun {
  work: string;
  kafkaPort: number;
  /** Environment for scripts/kafka.sh (via ensureLocalBroker / stopLocalBroker) naming this run's broker. */
  brokerEnv: NodeJS.ProcessEnv;
  /**
   * Runs `scripts/kafka.sh <args>` on this run's broker or cluster (e.g. `up --brokers 3`,
   * `stop-node 2 --kill`, `start-node 2`) and returns its stdout; fails with the end of its stderr.
   */
  kafkaScript(args: string[]): Promise<string>;
  /** Children to kill at cleanup. */
  processes: Set<ChildProcess>;
  log(line: string): void;
  cleanup(): Promise<void>;
}

export function benchRun(name: string, keep: boolean): BenchRun {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `st-bench-${name}-`));
  // 21000-28998, clear of the shared (19092), CI (19192) and test (29092) brokers.
  const kafkaPort = 21_000 + 2 * Math.floor(Math.random() * 4000);
  const brokerEnv = { ...process.env, KAFKA_RUN_DIR: path.join(work, 'kafka'), KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(kafkaPort + 1) };
  const processes = new Set<ChildProcess>();
  const log = (line: string): void => void process.stderr.write(`[bench:${name} ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const p of processes) if (p.pid && alive(p.pid)) for (const pid of [...childPids(p.pid), p.pid]) process.kill(pid, 'SIGKILL');
    await stopLocalBroker(brokerEnv, true);
    if (!keep) fs.rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  const kafkaScript = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', [KAFKA_SCRIPT, ...args], { env: brokerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let [out, err] = ['', ''];
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kafka.sh ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
    });
  return { work, kafkaPort, brokerEnv, kafkaScript, processes, log, cleanup };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free loopback port (closed again before it is returned). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** SIGTERM, then SIGKILL of the child and its own children if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(graceMs)]);
  if (child.pid && alive(child.pid)) for (const pid of [...childPids(child.pid), child.pid]) process.kill(pid, 'SIGKILL');
}
