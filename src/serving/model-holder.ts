import { ClosedError, ModelNotFoundError } from '../core/index.js';
import type { Learner } from '../learners/index.js';
import type { VersionMeta } from '../registry/index.js';

/** A loaded version plus the count of calls using it. */
class LoadedVersion {
  refs = 0;
  retired = false;
  disposed = false;
  constructor(
    readonly learner: Learner,
    readonly meta: VersionMeta,
  ) {}

  release(): void {
    this.refs--;
    if (this.retired && this.refs === 0) this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.learner.dispose();
  }
}

/** A version borrowed for one call; `release()` exactly once when done. */
export interface Lease {
  readonly learner: Learner;
  readonly meta: VersionMeta;
  release(): void;
}

export interface ModelHolderOptions {
  /** Versions kept loaded and warm, the current one included; requests may name any of them. @defaultValue 1 */
  keepWarmVersions?: number;
}

/**
 * Holds the loaded versions of one model and which of them is current, and swaps
 * atomically. Calls borrow a version with `acquire()`; `swap()` warms the new
 * version first, then replaces one reference. The last `keepWarmVersions` versions
 * stay loaded so requests may pin one; an evicted version is disposed when its last
 * in-flight call releases it. No call ever waits for a load.
 *
 * @example
 * const lease = holder.acquire();
 * try { lease.learner.predict(x); } finally { lease.release(); }
 */
export class ModelHolder {
  private current: LoadedVersion | null = null;
  /** Loaded versions, least recently made current (or added) first. */
  private readonly loaded = new Map<string, LoadedVersion>();
  private closed = false;
  private readonly keepWarm: number;
  /** Every version that has served, oldest first. */
  readonly served: string[] = [];

  constructor(
    readonly name: string,
    opts: ModelHolderOptions = {},
  ) {
    this.keepWarm = Math.max(1, opts.keepWarmVersions ?? 1);
  }

  get version(): string | null {
    return this.current?.meta.version ?? null;
  }

  get meta(): VersionMeta | null {
    return this.current?.meta ?? null;
  }

  /** Versions loaded and warm, newest first. */
  get loadedVersions(): string[] {
    return [...this.loaded.keys()].reverse();
  }

  has(version: string): boolean {
    return this.loaded.has(version);
  }

  /** Borrows the current version, or `version` when given (NOT_FOUND naming the loaded ones if it is not warm). */
  acquire(version?: string): Lease {
    if (this.closed) throw new ClosedError(`model "${this.name}"`);
    const v = version ? this.loaded.get(version) : this.current;
    if (!v) {
      if (version) {
        throw new ModelNotFoundError(
          `version "${version}" of "${this.name}" is not loaded (loaded: ${this.loadedVersions.join(', ') || 'none'})`,
          { model: this.name, version },
        );
      }
      throw new ModelNotFoundError(`model "${this.name}" has no version loaded yet`, { model: this.name });
    }
    v.refs++;
    let released = false;
    return {
      learner: v.learner,
      meta: v.meta,
      release: () => {
        if (released) return;
        released = true;
        v.release();
      },
    };
  }

  /**
   * Warms up `learner` (one prediction, so the first real call pays no kernel
   * compilation), then makes it current. A learner that fails to warm up is
   * disposed and the error thrown; the old version keeps serving.
   */
  swap(learner: Learner, meta: VersionMeta): void {
    this.add(learner, meta, { activate: true });
  }

  /** Warms up and loads a version; makes it current only with `activate`. */
  add(learner: Learner, meta: VersionMeta, opts: { activate: boolean }): void {
    if (this.closed) {
      learner.dispose();
      throw new ClosedError(`model "${this.name}"`);
    }
    try {
      learner.predict([new Array<number>(learner.featureSpec.dim).fill(0)]);
    } catch (err) {
      learner.dispose();
      throw err;
    }
    const replaced = this.loaded.get(meta.version);
    const next = new LoadedVersion(learner, meta);
    this.loaded.delete(meta.version);
    this.loaded.set(meta.version, next);
    if (opts.activate || this.current === replaced) this.makeCurrent(next);
    if (replaced) this.retire(replaced);
    this.evict();
  }

  /** Makes an already loaded version current (pin, rollback) without loading anything. */
  activate(version: string): void {
    const v = this.loaded.get(version);
    if (!v || this.closed) throw new ModelNotFoundError(`version "${version}" of "${this.name}" is not loaded`, { model: this.name, version });
    this.loaded.delete(version);
    this.loaded.set(version, v);
    this.makeCurrent(v);
  }

  private makeCurrent(v: LoadedVersion): void {
    if (this.current === v) return;
    this.current = v;
    this.served.push(v.meta.version);
  }

  /** Unloads the least recently used versions beyond `keepWarmVersions`, never the current one. */
  private evict(): void {
    for (const [version, v] of this.loaded) {
      if (this.loaded.size <= this.keepWarm) break;
      if (v === this.current) continue;
      this.loaded.delete(version);
      this.retire(v);
    }
  }

  private retire(v: LoadedVersion): void {
    v.retired = true;
    if (v.refs === 0) v.dispose();
  }

  /** Stops serving; every loaded version is disposed once its calls finish. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const v of this.loaded.values()) this.retire(v);
    this.loaded.clear();
    this.current = null;
  }
}
