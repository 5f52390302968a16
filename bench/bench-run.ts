/**
 * What the process-level benchmarks (bench:chaos, bench:scale) share: a work
 * directory, a Kafka broker of their own on ports of their own, the child
 * processes they start, progress lines on stderr, and one cleanup (also on
 * Ctrl-C) that kills the children, stops the broker and removes the work
 * directory unless `keep`.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { stopLocalBroker } from '../src/cli/local-broker.js';
import { alive, childPids } from '../tests/helpers/processes.js';

export interface BenchRun {
  work: string;
  kafkaPort: number;
  /** Environment for scripts/kafka.sh (via ensureLocalBroker / stopLocalBroker) naming this run's broker. */
  brokerEnv: NodeJS.ProcessEnv;
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
  return { work, kafkaPort, brokerEnv, processes, log, cleanup };
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
