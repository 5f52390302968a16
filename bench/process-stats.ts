/** What the benchmarks read of their own process: main-thread CPU seconds, live heap, RSS, and a percentile. */
import { readFileSync } from 'node:fs';

/**
 * CPU seconds the main thread has used (Linux: /proc, 10 ms ticks), else the whole
 * process's. The pipeline runs on the main thread; V8's helper threads (concurrent
 * marking, parallel scavenges) run beside it on the other core.
 */
export const mainCpuS = (): number => {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
};
/**
 * V8 heap in use right after a full collection: what is really retained, apart
 * from the garbage RSS also holds. Only with `node --expose-gc` (see docs/benchmarks.md).
 */
export const liveHeapMb = (): number | undefined => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
};
export const mb = (): number => Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : Number.NaN;
};
