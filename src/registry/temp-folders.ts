import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** This host in temporary folder names (registries may be shared between machines). */
export const HOST = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_');

/** No save takes an hour: a temporary folder that old is abandoned whoever wrote it. */
const ABANDONED_AFTER_MS = 3_600_000;

/** A name for a temporary folder of this process (a save in progress, or a version being removed). */
export const tmpName = (): string => `.tmp-${HOST}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

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

/**
 * Removes the temporary folders in `versionsDir` whose writer will never finish:
 * its process on this host is gone, or the folder is older than an hour (any
 * host). Returns the names removed.
 */
export async function removeAbandonedTemps(versionsDir: string, now: number): Promise<string[]> {
  const names = (await fs.readdir(versionsDir).catch(() => [] as string[])).filter((n) => n.startsWith('.tmp-'));
  const removed: string[] = [];
  for (const name of names) {
    const dir = path.join(versionsDir, name);
    const stat = await fs.stat(dir).catch(() => null);
    if (!stat) continue;
    const owner = tmpOwner(name);
    const dead = owner !== null && owner.host === HOST && !processAlive(owner.pid);
    if (!dead && now - stat.mtimeMs < ABANDONED_AFTER_MS) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
