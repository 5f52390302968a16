import type { RetentionConfig } from '../core/index.js';
import type { VersionState } from './version-meta.js';

/** What the retention rule needs to know of one version. */
export interface VersionFacts {
  version: string;
  /** When it was saved, in ms since the epoch (NaN when unknown: then only the other rules keep it). */
  createdAtMs: number;
  /** False when the guardrail did not promote it (a candidate that never served). */
  promoted: boolean;
}

/** Why a version is kept. */
export type KeepReason = 'newest' | 'pinned' | 'latest' | 'rollback-target' | 'recent';

export interface RetentionPlan {
  /** Versions kept, with the first rule that keeps each. */
  keep: Map<string, KeepReason>;
  /** Versions to remove, oldest first. */
  drop: string[];
}

const num = (v: string): number => Number(v.slice(1));

/**
 * Which versions of one model to keep. Kept: the `keepVersions` newest; the
 * pinned one; the one LATEST names; the rollback targets — the
 * `keepRollbackTargets` newest promoted, not rejected versions numbered below
 * the pinned one and below LATEST (what serves now, and after an unpin), which
 * is where an operator's rollback and the guardrail's go; and, with
 * `keepForMs`, every version younger than that. Everything else is dropped. `keepVersions` 0 keeps everything.
 * The newest version is always kept: it is the one a trainer restores from and
 * the number the next version follows.
 *
 * @example
 * const plan = retentionPlan({ versions, latest: 'v40', state: { pinned: null, rejected: [] }, nowMs: Date.now() }, config.registry.retention);
 * plan.drop; // ['v1', …]
 */
export function retentionPlan(input: { versions: readonly VersionFacts[]; latest: string | null; state: VersionState; nowMs: number }, policy: RetentionConfig): RetentionPlan {
  const byNewest = [...input.versions].sort((a, b) => num(b.version) - num(a.version));
  const present = new Set(input.versions.map((v) => v.version));
  const keep = new Map<string, KeepReason>();
  const add = (version: string | null | undefined, reason: KeepReason): void => {
    if (version && present.has(version) && !keep.has(version)) keep.set(version, reason);
  };
  if (policy.keepVersions === 0) {
    for (const v of byNewest) add(v.version, 'newest');
    return { keep, drop: [] };
  }
  for (const v of byNewest.slice(0, policy.keepVersions)) add(v.version, 'newest');
  add(input.state.pinned, 'pinned');
  add(input.latest, 'latest');
  const rejected = new Set(input.state.rejected);
  // The pinned version serves; LATEST serves again after an unpin: both keep their rollback targets.
  for (const serving of [input.state.pinned, input.latest]) {
    if (!serving) continue;
    const targets = byNewest.filter((v) => num(v.version) < num(serving) && v.promoted && !rejected.has(v.version));
    for (const v of targets.slice(0, policy.keepRollbackTargets)) add(v.version, 'rollback-target');
  }
  if (policy.keepForMs > 0) {
    for (const v of byNewest) if (input.nowMs - v.createdAtMs < policy.keepForMs) add(v.version, 'recent');
  }
  const drop = byNewest.filter((v) => !keep.has(v.version)).map((v) => v.version).reverse();
  return { keep, drop };
}
