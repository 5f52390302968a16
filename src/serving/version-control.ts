import { ModelNotFoundError, PreconditionError, TypedEmitter } from '../core/index.js';
import type { Metrics } from '../ops/index.js';
import type { VersionMeta, VersionState, VersionStore } from '../registry/index.js';
import type { AdminResult, ModelEvent, OperatorChange, VersionControlEvents } from './model-event.js';
import type { ModelHolder } from './model-holder.js';

export type VersionStateName = 'serving' | 'pinned' | 'candidate' | 'rejected' | 'retired';

export interface VersionInfo {
  meta: VersionMeta;
  state: VersionStateName;
  loaded: boolean;
}

/**
 * Decides which loaded version serves: new versions are promoted unless a version
 * is pinned (then they are loaded as candidates); operators pin, unpin and roll
 * back. Every change is serialized (one at a time), loads and warms before it
 * switches, persists the operator state in the version store and is announced as
 * a `model-event`; an operator's change made here then goes to {@link share}
 * (the other replicas), and one made on any replica comes in by
 * {@link applyState}. `swapped` (meta) fires whenever the serving version
 * changes, `swap-failed` (error) when a version could not be loaded.
 *
 * @example
 * const control = new VersionControl(holder, store, metrics);
 * await control.offer(await control.initialVersion() ?? 'v1');
 * control.on('model-event', (e) => console.log(e.type, e.version));
 */
export class VersionControl extends TypedEmitter<VersionControlEvents> {
  private state: VersionState = { pinned: null, rejected: [] };
  private readonly failed = new Set<string>();
  private readonly metas = new Map<string, VersionMeta>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Backend label for `streamtune_model_info`. */
  backend = '';
  /**
   * Where a pin, unpin or rollback made here goes once its state is saved (the
   * models topic, so every replica applies it); its failure is the caller's.
   * Unset: the change stays on this server.
   */
  share: ((change: OperatorChange) => Promise<void>) | undefined;
  /** The `streamtune_model_info` series this model set last. */
  private infoLabels: { model: string; version: string; backend: string } | undefined;

  constructor(
    readonly holder: ModelHolder,
    readonly store: VersionStore,
    private readonly metrics: Metrics,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    super();
  }

  get model(): string {
    return this.holder.name;
  }

  /** Drops this model's gauges (it is no longer served); its counters keep their totals. */
  dropGauges(): void {
    if (this.infoLabels) this.metrics.modelInfo.remove(this.infoLabels);
    this.infoLabels = undefined;
    this.metrics.versionsLoaded.remove({ model: this.model });
  }

  get pinned(): string | null {
    return this.state.pinned;
  }

  /** Reads the operator state and returns the version to serve first: the pinned one, else LATEST unless rejected, else the newest not rejected. */
  async initialVersion(): Promise<string | null> {
    this.state = await this.store.readState(this.model);
    if (this.state.pinned) return this.state.pinned;
    const latest = await this.store.latest(this.model);
    if (latest && !this.state.rejected.includes(latest)) return latest;
    return (await this.store.list(this.model)).filter((v) => !this.state.rejected.includes(v)).at(-1) ?? latest;
  }

  /** Runs `fn` after every earlier change has finished (changes never interleave). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * A new version exists (from the trainer, or asked for): load and warm it, then
   * serve it, or keep it warm as a candidate while another version is pinned. A
   * version that fails to load is counted, logged and announced; the current one
   * keeps serving.
   */
  offer(version: string): Promise<VersionMeta> {
    return this.serialized(async () => {
      const activate = this.state.pinned === null || this.state.pinned === version;
      const previous = this.holder.version;
      const meta = await this.install(version, activate, true);
      if (activate && previous !== version) this.metrics.promotions.inc({ model: this.model });
      if (!activate) this.announce('candidate', version, this.holder.version ?? '', `held back: ${this.state.pinned} is pinned`);
      return meta;
    });
  }

  /**
   * Loads (unless warm) and optionally activates one version, with metrics and events.
   * `offered`: a new version from the trainer or the models topic, counted in
   * `streamtune_model_swaps_total`; operator pins, unpins and rollbacks have their own counters.
   */
  private async install(version: string, activate: boolean, offered: boolean): Promise<VersionMeta> {
    const model = this.model;
    const previous = this.holder.version ?? '';
    const started = process.hrtime.bigint();
    try {
      if (this.holder.has(version)) {
        if (activate) this.holder.activate(version);
      } else {
        const { learner, meta } = await this.store.load(model, version);
        this.holder.add(learner, meta, { activate });
      }
    } catch (err) {
      this.failed.add(version);
      if (offered) this.metrics.modelSwaps.inc({ model, result: 'failed' });
      this.log(`swap to ${model}@${version} failed, still serving ${this.holder.version ?? 'nothing'}: ${(err as Error).message}`);
      this.announce('swap_failed', version, previous, (err as Error).message);
      this.emit('swap-failed', err);
      throw err;
    }
    this.failed.delete(version);
    this.metrics.swapDuration.observe({ model }, Number(process.hrtime.bigint() - started) / 1e9);
    if (offered) this.metrics.modelSwaps.inc({ model, result: 'ok' });
    this.metrics.versionsLoaded.set({ model }, this.holder.loadedVersions.length);
    const meta = (await this.metaOf(version)) ?? this.holder.meta!;
    if (activate && previous !== version) {
      // Only this model's series changes: other models share the gauge.
      if (this.infoLabels) this.metrics.modelInfo.remove(this.infoLabels);
      this.infoLabels = { model, version, backend: this.backend };
      this.metrics.modelInfo.set(this.infoLabels, 1);
      this.metrics.lastSwapTimestamp.set({ model }, Date.now() / 1000);
      this.announce('promotion', version, previous, '');
      this.emit('swapped', meta);
    }
    return meta;
  }

  /** Serves `version` (loading it first) and keeps it whatever the trainer makes, until `unpin`. */
  pin(version: string): Promise<AdminResult> {
    return this.serialized(async () => {
      if (!(await this.metaOf(version))) {
        // The newest few only: the answer goes to any admin caller, and a long history makes a long message.
        const all = await this.store.list(this.model);
        const newest = all.length > 5 ? `newest of ${all.length}: ${all.slice(-5).join(', ')}` : `versions: ${all.join(', ') || 'none'}`;
        throw new ModelNotFoundError(`model "${this.model}" has no version "${version}" (${newest})`, {
          model: this.model,
          version,
        });
      }
      const previous = this.holder.version ?? '';
      await this.install(version, true, false);
      await this.saveState({ pinned: version, rejected: this.state.rejected.filter((v) => v !== version) });
      this.metrics.pins.inc({ model: this.model, action: 'pin' });
      this.announce('pin', version, previous, '');
      return this.result(previous);
    }).then((r) => this.shared('pin', r));
  }

  /** A candidate the trainer's guardrail did not promote: recorded and announced, never served. */
  noteRejected(meta: VersionMeta): void {
    this.metas.set(meta.version, meta);
    this.announce('rejected', meta.version, this.holder.version ?? '', meta.promotion?.reason ?? 'not promoted');
  }

  /** Rejected by an operator's rollback, by the guardrail, or failed to load. */
  private async isBad(version: string): Promise<boolean> {
    if (this.state.rejected.includes(version) || this.failed.has(version)) return true;
    return (await this.metaOf(version))?.promotion?.promoted === false;
  }

  /** Follows the newest good version again (promoting it now if it is not serving). */
  unpin(): Promise<AdminResult> {
    return this.serialized(async () => {
      const previous = this.holder.version ?? '';
      await this.saveState({ ...this.state, pinned: null });
      const newest = await this.newestGood();
      if (newest && newest !== previous) await this.install(newest, true, false);
      this.metrics.pins.inc({ model: this.model, action: 'unpin' });
      this.announce('unpin', this.holder.version ?? '', previous, '');
      return this.result(previous);
    }).then((r) => this.shared('unpin', r));
  }

  private async newestGood(): Promise<string | undefined> {
    for (const v of (await this.store.list(this.model)).reverse()) if (!(await this.isBad(v))) return v;
    return undefined;
  }

  /**
   * Rejects the serving version and serves and pins the previous good one (or
   * `to`, e.g. the version the trainer's guardrail chose). `share: false`: a
   * rollback every replica carries out itself (a trainer's announced request).
   */
  rollback(reason = '', to?: string, opts: { share?: boolean } = {}): Promise<AdminResult> {
    const done = this.serialized(async () => {
      const current = this.holder.version;
      if (!current) throw new PreconditionError(`model "${this.model}" serves nothing to roll back`);
      const bad = async (v: string): Promise<boolean> => v === current || (await this.isBad(v));
      let target = to && to !== current ? to : undefined;
      for (const v of [...this.holder.served].reverse()) if (!target && !(await bad(v))) target = v;
      for (const v of (await this.store.list(this.model)).reverse()) {
        if (!target && Number(v.slice(1)) < Number(current.slice(1)) && !(await bad(v))) target = v;
      }
      if (!target) throw new PreconditionError(`model "${this.model}" has no good version before ${current} to roll back to`, { version: current });
      await this.install(target, true, false);
      await this.saveState({ pinned: target, rejected: [...new Set([...this.state.rejected, current])] });
      this.log(`rolled back ${this.model} from ${current} to ${target}${reason ? `: ${reason}` : ''}`);
      this.announce('rollback', target, current, reason);
      return this.result(current);
    });
    return opts.share === false ? done : done.then((r) => this.shared('rollback', r, reason));
  }

  /**
   * An operator changed this model's state on a replica (this one, or another):
   * `state` is what this replica's registry holds now. Serves the pinned version,
   * else the newest good one, and announces `type` as a `model-event` when
   * anything changed here. Nothing is saved: the state came from the registry.
   */
  applyState(state: VersionState, type: OperatorChange['type'], reason: string): Promise<AdminResult> {
    return this.serialized(async () => {
      const previous = this.holder.version ?? '';
      const same = state.pinned === this.state.pinned && state.rejected.join() === this.state.rejected.join();
      this.state = state;
      const target = state.pinned ?? (await this.newestGood());
      if (target && target !== previous) await this.install(target, true, false);
      if (!same || target !== previous) this.announce(type, this.holder.version ?? '', previous, reason);
      return this.result(previous);
    });
  }

  /** Hands a change made here to {@link share}; resolves with its result once shared. */
  private async shared(type: OperatorChange['type'], r: AdminResult, reason = ''): Promise<AdminResult> {
    await this.share?.({ type, model: this.model, version: r.version, reason, state: { pinned: this.state.pinned, rejected: [...this.state.rejected] } });
    return r;
  }

  /** Every saved version with its state, oldest first. */
  async list(): Promise<VersionInfo[]> {
    const current = this.holder.version;
    const currentN = current ? Number(current.slice(1)) : 0;
    const out: VersionInfo[] = [];
    for (const version of await this.store.list(this.model)) {
      const meta = await this.metaOf(version);
      if (!meta) continue;
      let state: VersionStateName = 'retired';
      if (version === current) state = this.state.pinned === version ? 'pinned' : 'serving';
      else if (this.state.rejected.includes(version) || this.failed.has(version) || meta.promotion?.promoted === false) state = 'rejected';
      else if (Number(version.slice(1)) > currentN && !this.holder.served.includes(version)) state = 'candidate';
      out.push({ meta, state, loaded: this.holder.has(version) });
    }
    return out;
  }

  private async metaOf(version: string): Promise<VersionMeta | null> {
    const cached = this.metas.get(version);
    if (cached) return cached;
    try {
      const meta = await this.store.meta(this.model, version);
      this.metas.set(version, meta);
      return meta;
    } catch (err) {
      if (err instanceof ModelNotFoundError) return null;
      throw err;
    }
  }

  private async saveState(state: VersionState): Promise<void> {
    await this.store.writeState(this.model, state);
    this.state = state;
  }

  private result(previous: string): AdminResult {
    return { version: this.holder.version ?? '', previous, pinned: this.state.pinned ?? '' };
  }

  private announce(type: ModelEvent['type'], version: string, previous: string, reason: string): void {
    const event: ModelEvent = { type, model: this.model, version, previous, time: new Date().toISOString(), reason };
    this.emit('model-event', event);
  }

  /** The event a new watcher starts with. */
  currentEvent(): ModelEvent {
    return { type: 'current', model: this.model, version: this.holder.version ?? '', previous: '', time: new Date().toISOString(), reason: this.state.pinned ? 'pinned' : '' };
  }

  /** Waits for the change in progress, if any. */
  async idle(): Promise<void> {
    await this.chain;
  }
}
