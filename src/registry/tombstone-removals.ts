import type { RetentionConfig } from '../core/index.js';
import { pruneVersions } from './prune-versions.js';
import type { VersionStore } from './version-store.js';

/**
 * What a mirror does with the deletions it reads on the registry topic. A
 * deleted version is removed from the local store, unless the store protects it
 * (its newest, latest or pinned version: see `VersionStore.removeVersion`); then
 * it is removed at the first {@link retry} after it no longer is. A deleted
 * model is removed whole, and remembered: from then on only a root version (no
 * parent, as `models create` and `train` make) brings it back, never a
 * checkpoint of the deleted model that raced the deletion.
 *
 * @example
 * const removals = new TombstoneRemovals(store, console.log);
 * await removals.removeVersion('digits', 'v3');
 */
export class TombstoneRemovals {
  /** Versions deleted on the topic but protected here: removed once they are not. */
  private readonly deferred = new Set<string>();
  /** Models deleted on the topic. */
  private readonly deleted = new Set<string>();

  constructor(
    private readonly store: VersionStore,
    private readonly log: (line: string) => void,
    private readonly onRemoved?: (model: string, version: string | null) => void | Promise<void>,
  ) {}

  async removeVersion(model: string, version: string): Promise<void> {
    const id = `${model}/${version}`;
    const outcome = await this.store.removeVersion(model, version);
    if (outcome === 'protected') {
      if (!this.deferred.has(id)) this.log(`registry: ${id} was deleted on the topic; kept here while it is this registry's newest, latest or pinned version`);
      this.deferred.add(id);
      return;
    }
    this.deferred.delete(id);
    if (outcome === 'absent') return;
    this.log(`registry: removed ${id} (deleted on the topic)`);
    await this.onRemoved?.(model, version);
  }

  /** Removes the versions of `model` kept while they were protected, now that they may not be (a newer version or another pin came). */
  async retry(model: string): Promise<void> {
    for (const id of [...this.deferred]) if (id.startsWith(`${model}/`)) await this.removeVersion(model, id.slice(model.length + 1));
  }

  async removeModel(model: string): Promise<void> {
    for (const id of [...this.deferred]) if (id.startsWith(`${model}/`)) this.deferred.delete(id);
    this.deleted.add(model);
    if (!(await this.store.remove(model))) return;
    this.log(`registry: removed model ${model} (deleted on the topic)`);
    await this.onRemoved?.(model, null);
  }

  /** Whether a version with this meta.json may be installed: any, unless its model was deleted and it is not a root. */
  mayInstall(model: string, metaJson: Buffer | undefined): boolean {
    if (!this.deleted.has(model)) return true;
    const parent = (JSON.parse(metaJson?.toString('utf8') ?? '{}') as { parent?: string | null }).parent ?? null;
    if (parent !== null) return false;
    this.deleted.delete(model);
    return true;
  }

  /**
   * Removes local versions missing from `onTopic` (per model: versions → keys)
   * and numbered below its newest there, that the retention rule drops.
   */
  async pruneUnlisted(onTopic: ReadonlyMap<string, ReadonlyMap<string, unknown>>, policy: RetentionConfig): Promise<void> {
    if (policy.keepVersions === 0) return;
    for (const [model, versions] of onTopic) {
      const newest = Math.max(0, ...[...versions.keys()].map((v) => Number(v.slice(1))));
      const only = (v: string): boolean => !versions.has(v) && Number(v.slice(1)) < newest;
      try {
        const { removed } = await pruneVersions(this.store, model, policy, { only });
        if (removed.length > 0) this.log(`registry: removed ${removed.length} version(s) of ${model} that the topic no longer holds: ${removed.join(', ')}`);
      } catch (err) {
        this.log(`registry: pruning ${model} failed: ${(err as Error).message}`);
      }
    }
  }
}
