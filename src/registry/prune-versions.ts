import { ModelNotFoundError, type RetentionConfig } from '../core/index.js';
import { retentionPlan, type RetentionPlan, type VersionFacts } from './retention-plan.js';
import type { VersionStore } from './version-store.js';

export interface PruneOptions {
  /** @defaultValue Date.now() */
  nowMs?: number;
  /** Only versions this accepts may be removed (the others the plan drops stay). */
  only?(version: string): boolean;
  /** Facts of versions read before, by `<model>/<version>` (versions never change, so they are read once). */
  facts?: Map<string, VersionFacts>;
  /** Removes at most this many (the oldest first); the rest wait for the next call. @defaultValue no limit */
  limit?: number;
  /** Runs with the versions about to be removed, before any is: when it throws, none is removed. */
  beforeRemove?(versions: string[]): Promise<void>;
}

/**
 * Applies the retention rule ({@link retentionPlan}) to one model of a store:
 * removes the versions it drops, oldest first. A version that became protected
 * meanwhile (newest, LATEST, pinned) is kept by the store. Returns the versions
 * removed and the plan.
 *
 * @example
 * const { removed } = await pruneVersions(store, 'digits', config.registry.retention);
 */
export async function pruneVersions(store: VersionStore, model: string, policy: RetentionConfig, opts: PruneOptions = {}): Promise<{ removed: string[]; plan: RetentionPlan }> {
  const versions = await store.list(model);
  const facts: VersionFacts[] = [];
  for (const version of versions) {
    const f = await versionFacts(store, model, version, opts.facts);
    if (f) facts.push(f);
  }
  const plan = retentionPlan({ versions: facts, latest: await store.latest(model), state: await store.readState(model), nowMs: opts.nowMs ?? Date.now() }, policy);
  const drop = (opts.only ? plan.drop.filter((v) => opts.only!(v)) : plan.drop).slice(0, opts.limit ?? Infinity);
  if (drop.length === 0) return { removed: [], plan };
  await opts.beforeRemove?.(drop);
  const removed: string[] = [];
  for (const version of drop) {
    if ((await store.removeVersion(model, version)) === 'removed') removed.push(version);
    opts.facts?.delete(`${model}/${version}`);
  }
  return { removed, plan };
}

async function versionFacts(store: VersionStore, model: string, version: string, cache?: Map<string, VersionFacts>): Promise<VersionFacts | null> {
  const id = `${model}/${version}`;
  const cached = cache?.get(id);
  if (cached) return cached;
  try {
    const meta = await store.meta(model, version);
    const f = { version, createdAtMs: Date.parse(meta.createdAt), promoted: meta.promotion?.promoted !== false };
    cache?.set(id, f);
    return f;
  } catch (err) {
    // Removed meanwhile (another process's retention): nothing to decide about it.
    if (err instanceof ModelNotFoundError) return null;
    throw err;
  }
}
