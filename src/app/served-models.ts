import { contextFromTraceparent, ModelNotFoundError, TRACE_ATTR, tracer, TypedEmitter, type Config, type Logger } from '../core/index.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';
import { initCounters, type Metrics } from '../ops/index.js';
import { ModelFleet, ModelHolder, VersionControl, type OperatorChange, type ServedModel } from '../serving/index.js';
import { stageSeconds, FRESHNESS_STAGES, type FreshnessSample, type FreshnessStage } from './freshness-stages.js';
import type { OperatorLog } from './operator-log.js';

/** What {@link ServedModels} emits. */
export interface ServedModelsEvents {
  /** A new version of a model serves. */
  swap: (meta: VersionMeta) => void;
  /** A version could not be loaded or warmed; the current one keeps serving. */
  'swap-failed': (err: unknown) => void;
  /** Seconds from event to serving, for the (sampled) events a swap brought in. */
  freshness: (seconds: number[]) => void;
  /** The same events' seconds per stage (see `streamtune_freshness_stage_seconds`). */
  'freshness-stages': (stages: Record<FreshnessStage, number[]>) => void;
  /** A version loaded, or a model was added or removed: health may change. */
  changed: () => void;
}

/**
 * The models a server serves, kept in step with the registry: each model gets
 * its own {@link ModelHolder} and {@link VersionControl}; models created in the
 * registry are added and deleted ones removed (`scan`, every
 * `serving.modelScanMs`); a model's new versions swap in newest first.
 *
 * @example
 * const models = new ServedModels({ config, store, metrics, operatorLog, logger });
 * await models.addModel('digits');
 * models.fleet.get('digits').holder.acquire();
 */
export class ServedModels extends TypedEmitter<ServedModelsEvents> {
  /** The served models by name (`config.model` is the default one). */
  readonly fleet: ModelFleet;
  /** Backend label for `streamtune_model_info`. */
  backend = '';
  /** Where every model's pins, unpins and rollbacks made here go (see `VersionControl.share`); unset: nowhere. */
  share: ((change: OperatorChange) => Promise<void>) | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Per model: the newest version waiting to be swapped in, and the sampled events it brings. */
  private readonly swapQueues = new Map<string, { next: string | null; samples: FreshnessSample[]; running: boolean }>();
  /** Models being added (one load at a time per model). */
  private readonly adding = new Map<string, Promise<ServedModel | undefined>>();
  private readonly config: Config;
  private readonly store: VersionStore;
  private readonly metrics: Metrics;
  private readonly operatorLog: OperatorLog;
  private readonly logger: Logger;

  constructor(o: { config: Config; store: VersionStore; metrics: Metrics; operatorLog: OperatorLog; logger: Logger }) {
    super();
    ({ config: this.config, store: this.store, metrics: this.metrics, operatorLog: this.operatorLog, logger: this.logger } = o);
    this.fleet = new ModelFleet(o.config.model);
    this.fleet.on('added', () => this.emit('changed'));
    this.fleet.on('removed', () => this.emit('changed'));
  }

  private log(line: string): void {
    this.logger.fn(line);
  }

  /** The models of the registry to serve at start; fails naming the model when one that `serving.models` lists has no version. */
  async atStart(): Promise<string[]> {
    const { config } = this;
    const names = (await this.store.models()).filter((n) => this.wants(n));
    const missing = config.serving.models.filter((n) => !names.includes(n));
    if (missing.length > 0 && !config.serving.follow) {
      throw new ModelNotFoundError(`model "${missing[0]}" (serving.models) has no version in ${config.registryDir}: run \`streamtune train --model ${missing[0]}\` first`, { model: missing[0] });
    }
    if (names.length === 0 && !config.serving.follow) {
      throw new ModelNotFoundError(`model "${config.model}" has no version in ${config.registryDir}: run \`streamtune train\` first`, { model: config.model });
    }
    return names;
  }

  /** Scans the registry every `serving.modelScanMs` (0: never) until `close()`. */
  startScanning(): void {
    const ms = this.config.serving.modelScanMs;
    if (ms <= 0) return;
    const scan = (): void => {
      this.scanTimer = setTimeout(() => void this.scan().finally(() => this.closed || scan()), ms);
      this.scanTimer.unref();
    };
    scan();
  }

  /** Waits for swaps under way, then releases every model's versions. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.scanTimer);
    await Promise.all(this.fleet.all().map((m) => m.control.idle()));
    for (const m of this.fleet.all()) m.holder.close();
  }

  /** Whether this server serves `model` (`serving.models`, or every model when that list is empty). */
  wants(model: string): boolean {
    const only = this.config.serving.models;
    return only.length === 0 || only.includes(model);
  }

  /** A served model with its own versions, version control and metrics (not loaded yet). */
  private served(name: string): ServedModel {
    initCounters(this.metrics, { model: [name] });
    const holder = new ModelHolder(name, { keepWarmVersions: this.config.serving.keepWarmVersions });
    // No line function here: every change is logged once, from its model event.
    const control = new VersionControl(holder, this.store, this.metrics);
    control.backend = this.backend;
    control.share = async (change) => this.share?.(change);
    control.on('model-event', (e) => this.operatorLog.modelEvent(e));
    control.on('swapped', (meta) => {
      // The version's publish span (trainer) is the parent: the label's trace reaches serving here.
      if (meta.traceparent) tracer.startSpan('streamtune.version.swap', { attributes: { [TRACE_ATTR.model]: meta.model, [TRACE_ATTR.version]: meta.version } }, contextFromTraceparent(meta.traceparent)).end();
      this.emit('changed');
      this.emit('swap', meta);
    });
    control.on('swap-failed', (err) => this.emit('swap-failed', err));
    return { name, holder, control };
  }

  /**
   * Serves `name` from now on: loads its first version (the pinned one, else the
   * newest not rolled back) and adds it to the fleet. A model with no version yet
   * is added empty only when `waitForVersion` (a replica waiting for announcements).
   * Concurrent calls for one model share one load.
   */
  addModel(name: string, opts: { waitForVersion?: boolean } = {}): Promise<ServedModel | undefined> {
    if (this.fleet.has(name)) return Promise.resolve(this.fleet.get(name));
    const pending = this.adding.get(name);
    if (pending) return pending;
    const p = (async () => {
      const m = this.served(name);
      const version = await m.control.initialVersion();
      if (version) await m.control.offer(version);
      else if (!opts.waitForVersion) return undefined;
      this.fleet.add(m);
      this.log(`serving model ${name} ${version ?? '(waiting for its first version in the registry)'}`);
      return m;
    })().finally(() => this.adding.delete(name));
    this.adding.set(name, p);
    return p;
  }

  /**
   * Serves the first version of `name` once the registry has one: a model this
   * server waits for (a replica adds its models empty) loads the version a restart
   * would (the pinned one, else the newest not rolled back), so a model created
   * with `streamtune models create` serves without waiting for a trainer's
   * announcement, and so does one whose announcements were compacted away.
   * A model that serves a version already is left to its announcements.
   */
  async serveFirstVersion(name: string): Promise<void> {
    if (!this.wants(name) || this.closed) return;
    if (!this.fleet.has(name)) {
      await this.addModel(name);
      return;
    }
    const m = this.fleet.get(name);
    if (m.holder.version !== null) return;
    const version = await m.control.initialVersion();
    if (version && m.holder.version === null) await m.control.offer(version);
  }

  /** Stops serving `name`: calls under way finish on their lease, then its versions are released. */
  async removeModel(name: string): Promise<void> {
    const m = this.fleet.remove(name);
    if (!m) return;
    this.log(`model ${name} removed from the registry: no longer served`);
    await m.control.idle();
    m.control.dropGauges();
    m.holder.close();
  }

  /** Adds models created in the registry since the last scan (and serves the first version of those waiting for one) and removes those deleted from it. */
  async scan(): Promise<void> {
    const present = new Set(await this.store.models());
    const waiting = (name: string): boolean => !this.fleet.has(name) || this.fleet.get(name).holder.version === null;
    for (const name of present) if (this.wants(name) && waiting(name)) await this.serveFirstVersion(name).catch((err: unknown) => this.logger.warn(`model ${name} not served: ${(err as Error).message}`));
    // A replica (follow) keeps models it learned of from announcements while its registry may fill later,
    // but not one it served a version of: that one was deleted (`models delete`, or a mirror following it).
    const gone = (name: string): boolean => !present.has(name) && !this.adding.has(name) && (!this.config.serving.follow || this.fleet.get(name).holder.version !== null);
    for (const name of this.fleet.names()) if (gone(name)) await this.removeModel(name);
  }

  /**
   * Swaps in `version` of a model, or a newer one offered while an earlier swap
   * of that model was loading: when versions come faster than they load (many
   * models checkpointing often), the ones already superseded are skipped, so
   * serving catches up with the newest at once instead of loading each in turn.
   * The freshness of a skipped version's events is measured when the version
   * that replaces it serves.
   */
  async swapNewest(served: ServedModel, version: string, samples: FreshnessSample[]): Promise<void> {
    let q = this.swapQueues.get(served.name);
    if (!q) this.swapQueues.set(served.name, (q = { next: null, samples: [], running: false }));
    q.next = version;
    q.samples.push(...samples);
    if (q.running) return;
    q.running = true;
    try {
      while (q.next) {
        const [next, taken] = [q.next, q.samples];
        [q.next, q.samples] = [null, []];
        const ok = await served.control.offer(next).then(
          () => true,
          () => false,
        );
        if (!ok) continue;
        // Freshness: from each (sampled) event's timestamp to the first served version that learned it, and per stage.
        const now = Date.now();
        const seconds = taken.map((s) => Math.max(0, (now - s.ts) / 1000));
        for (const sec of seconds) this.metrics.freshness.observe({ model: served.name }, sec);
        const stages = stageSeconds(taken, now);
        for (const stage of FRESHNESS_STAGES) for (const sec of stages[stage]) this.metrics.freshnessStage.observe({ stage }, sec);
        this.emit('freshness', seconds);
        this.emit('freshness-stages', stages);
      }
    } finally {
      q.running = false;
    }
  }
}
