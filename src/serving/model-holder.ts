import { ClosedError, ModelNotFoundError } from '../errors/index.js';
import type { Learner } from '../models/index.js';
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

/**
 * Holds the serving version of one model and swaps it atomically. Calls borrow
 * the current version with `acquire()`; `swap()` warms the new version first,
 * then replaces one reference; the old version is disposed when its last
 * in-flight call releases it. No call ever waits for a load.
 *
 * @example
 * const lease = holder.acquire();
 * try { lease.learner.predict(x); } finally { lease.release(); }
 */
export class ModelHolder {
  private current: LoadedVersion | null = null;
  private closed = false;
  /** Every version that has served, oldest first. */
  readonly served: string[] = [];

  constructor(readonly name: string) {}

  get version(): string | null {
    return this.current?.meta.version ?? null;
  }

  get meta(): VersionMeta | null {
    return this.current?.meta ?? null;
  }

  acquire(): Lease {
    const v = this.current;
    if (this.closed) throw new ClosedError(`model "${this.name}"`);
    if (!v) throw new ModelNotFoundError(`model "${this.name}" has no version loaded yet`, { model: this.name });
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
    const next = new LoadedVersion(learner, meta);
    const old = this.current;
    this.current = next;
    this.served.push(meta.version);
    if (old) this.retire(old);
  }

  private retire(v: LoadedVersion): void {
    v.retired = true;
    if (v.refs === 0) v.dispose();
  }

  /** Stops serving; the current version is disposed once its calls finish. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.current) this.retire(this.current);
    this.current = null;
  }
}
