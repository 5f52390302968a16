import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** This host in temporary folder names (registries may be shared between machines). */
export const HOST = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_');

/** Host and pid of the writer of a temporary version folder (`.tmp-<host>-<pid>-<ms>-<rand>`; older `.tmp-<pid>-<ms>-<rand>` are this host's). */
export function tmpOwner(name: string): { host: string; pid: number } | null {
  const m = /^\.tmp-([A-Za-z0-9_.]+)-(\d+)-\d+-[a-z0-9]+$/.exec(name);
  if (m) return { host: m[1]!, pid: Number(m[2]) };
  const legacy = /^\.tmp-(\d+)-\d+-[a-z0-9]*$/.exec(name);
  return legacy ? { host: HOST, pid: Number(legacy[1]) } : null;
}

/** Whether a process of this host runs (a zombie does not count). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
