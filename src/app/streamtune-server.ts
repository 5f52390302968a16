import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { LabelRequestPublisher } from '../labelling/index.js';
import { selectBackend, ConfigError, ModelNotFoundError, toLogger, TypedEmitter, type Logger, type LogSink } from '../core/index.js';
import type { Config } from '../core/index.js';
import { createKafka, probeBrokers } from '../ingest/index.js';
import { ensureModelsTopic, ModelFollower, startRegistryMirror, VersionStore, type KafkaRegistryMirror, type VersionMeta } from '../registry/index.js';
import { ConsumerLagMonitor, createMetrics, initCounters, startMetricsServer, type Metrics } from '../ops/index.js';
import { ModelFleet, ModelHolder, PredictionServer, VersionControl, type ServedModel } from '../serving/index.js';
import { applyStats, type TrainerStats } from '../training/trainer-stats.js';
import { OperatorLog } from './operator-log.js';
import { TrainerProcess } from './trainer-process.js';
import { TrainerSupervisor } from './trainer-supervisor.js';
import { needsConv } from '../learners/index.js';


/** Nice value of the trainer process (Unix niceness; higher = lower priority). */
const TRAINER_NICENESS = 19;

/** What a {@link StreamtuneServer} emits. */
export interface StreamtuneServerEvents {
  /** A new version serves. */
  swap: (meta: VersionMeta) => void;
  /** A version could not be loaded or warmed; the current one keeps serving. */
  'swap-failed': (err: unknown) => void;
  /** A training step's counters, from the trainer process. */
  stats: (stats: TrainerStats) => void;
  /** Seconds from event to serving, for the (sampled) events a swap brought in. */
  freshness: (seconds: number[]) => void;
}

/**
 * `streamtune serve`: one process that serves the latest version over gRPC,
 * exports metrics, and runs online learning in a child process whose new
 * versions it hot-swaps in. Its events: {@link StreamtuneServerEvents}.
 *
 * @example
 * const app = new StreamtuneServer(loadConfig({ env: process.env }));
 * await app.start();
 * process.once('SIGINT', () => app.close());
 */
export class StreamtuneServer extends TypedEmitter<StreamtuneServerEvents> {
  readonly metrics: Metrics;
  readonly store: VersionStore;
  /** The served models by name (`config.model` is the default one). */
  readonly fleet: ModelFleet;
  grpc: PredictionServer | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  /** Per model: the newest version waiting to be swapped in, and the event times it brings. */
  private readonly swapQueues = new Map<string, { next: string | null; stamps: number[]; running: boolean }>();
  /** Models being added (one load at a time per model). */
  private readonly adding = new Map<string, Promise<ServedModel | undefined>>();
  private supervisor: TrainerSupervisor | undefined;
  private follower: ModelFollower | undefined;
  private mirror: KafkaRegistryMirror | null = null;
  private lagMonitor: ConsumerLagMonitor | undefined;
  /** Structured logger (STREAMTUNE_LOG_LEVEL / STREAMTUNE_LOG_FORMAT unless one is passed). */
  readonly logger: Logger;
  private readonly log: (line: string) => void;
  private readonly operatorLog: OperatorLog;
  metricsUrl = '';
  backend = '';
  private metricsServer: { close(): Promise<void> } | undefined;
  /** Active learning's publisher, when `activeLearning.enabled`. */
  labelRequests: LabelRequestPublisher | undefined;
  private closing: Promise<void> | undefined;

  /** The trainer process of the current attempt (undefined when the server does not train). */
  get trainer(): TrainerProcess | undefined {
    return this.supervisor?.trainer;
  }

  /** `log`: a Logger, or a function that receives text lines (tests collect them); default from the environment. */
  constructor(
    readonly config: Config,
    log?: Logger | LogSink,
  ) {
    super();
    this.logger = toLogger(log);
    this.log = this.logger.fn;
    this.operatorLog = new OperatorLog(this.logger);
    this.metrics = createMetrics({ tensorCount: () => tf.memory().numTensors });
    // Every counter series exists at 0 from the first scrape, so the first rollback or failed swap is an increase.
    initCounters(this.metrics, { 'labels topic': [config.kafka.labelsTopic], 'dead-letter topic': [config.kafka.dlqTopic] });
    this.store = new VersionStore(config.registryDir);
    this.fleet = new ModelFleet(config.model);
    this.fleet.on('added', () => this.grpc?.refreshHealth());
    this.fleet.on('removed', () => this.grpc?.refreshHealth());
  }

  /** The default model's loaded versions (`config.model`; NOT_FOUND when it is not served). */
  get holder(): ModelHolder {
    return this.fleet.get(this.config.model).holder;
  }

  /** Which loaded version of the default model serves: promotions, pins, rollbacks (see ModelAdmin). */
  get control(): VersionControl {
    return this.fleet.get(this.config.model).control;
  }

  /** Whether this server serves `model` (`serving.models`, or every model when that list is empty). */
  private wants(model: string): boolean {
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
    control.on('model-event', (e) => this.operatorLog.modelEvent(e));
    control.on('swapped', (meta) => {
      this.grpc?.refreshHealth();
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
      this.log(`serving model ${name} ${version ?? '(waiting for an announced version)'}`);
      return m;
    })().finally(() => this.adding.delete(name));
    this.adding.set(name, p);
    return p;
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

  /** Adds models created in the registry since the last scan and removes those deleted from it. */
  private async scanRegistry(): Promise<void> {
    const present = new Set(await this.store.models());
    for (const name of present) if (this.wants(name) && !this.fleet.has(name)) await this.addModel(name).catch((err: unknown) => this.logger.warn(`model ${name} not served: ${(err as Error).message}`));
    // A replica (follow) keeps models it learned of from announcements: its registry may fill later.
    if (!this.config.serving.follow) for (const name of this.fleet.names()) if (!present.has(name) && !this.adding.has(name)) await this.removeModel(name);
  }

  async start(): Promise<void> {
    const { config } = this;
    if (config.serving.follow && config.kafka.brokers.length > 0) {
      // registry.mode kafka: this replica's own directory, filled from the cluster before the first versions are chosen.
      const kafka = createKafka(config.kafka.brokers, `${config.kafka.clientId}-registry`, (l) => this.logger.warn(l));
      this.mirror = await startRegistryMirror(kafka, config, this.store, { log: this.log });
    }
    const names = (await this.store.models()).filter((n) => this.wants(n));
    const missing = config.serving.models.filter((n) => !names.includes(n));
    if (missing.length > 0 && !config.serving.follow) {
      throw new ModelNotFoundError(`model "${missing[0]}" (serving.models) has no version in ${config.registryDir}: run \`streamtune train --model ${missing[0]}\` first`, { model: missing[0] });
    }
    if (names.length === 0 && !config.serving.follow) {
      throw new ModelNotFoundError(`model "${config.model}" has no version in ${config.registryDir}: run \`streamtune train\` first`, { model: config.model });
    }
    const conv = (await Promise.all(names.map(async (n) => needsConv((await this.store.meta(n, (await this.store.newest(n))!)).config)))).some(Boolean);
    const choice = await selectBackend(config.backend, { conv });
    this.backend = choice.backend;
    for (const s of choice.skipped) this.log(`backend ${s.backend} not used: ${s.reason}`);
    this.log(`serving backend: ${choice.backend}`);
    this.metrics.backendInfo.set({ role: 'serving', backend: choice.backend }, 1);

    // Each model: the pinned version when an operator pinned one, else the newest not rolled back.
    for (const name of names) await this.addModel(name);
    // A replica serves the default model as soon as its first version is announced.
    if (config.serving.follow) for (const name of new Set([config.model, ...config.serving.models])) if (this.wants(name)) await this.addModel(name, { waitForVersion: true });
    const version = this.fleet.has(config.model) ? this.fleet.get(config.model).holder.version : null;

    const al = config.activeLearning;
    if (al.enabled && config.kafka.brokers.length > 0) {
      const kafka = createKafka(config.kafka.brokers, `${config.kafka.clientId}-label-requests`, (l) => this.logger.warn(l));
      const count = (outcome: 'published' | 'lost', n: number): void => this.metrics.labelRequests.inc({ outcome }, n);
      this.labelRequests = new LabelRequestPublisher(kafka, al.topic, al, (l) => this.log(l), count);
      await this.labelRequests.start();
      this.log(`active learning: uncertain predictions (${al.strategy} ≥ ${al.threshold}, ≤ ${al.budgetPerMinute}/min) published on ${al.topic}`);
    }
    this.grpc = new PredictionServer(this.fleet, this.metrics, { ...config.serving, backend: choice.backend, onPredictions: this.labelRequests?.observer });
    await this.grpc.start();
    const others = this.fleet.size - (this.fleet.has(config.model) ? 1 : 0);
    this.log(`gRPC Predictor on ${this.grpc.address} (model ${config.model} ${version ?? '(waiting for an announced version)'}${others > 0 ? ` and ${others} more: ${this.fleet.names().filter((n) => n !== config.model).slice(0, 5).join(', ')}${others > 5 ? ', …' : ''}` : ''})`);
    if (this.grpc.rest) this.log(`KServe v2 REST on ${this.grpc.rest.url}/v2`);

    const ms = await startMetricsServer(this.metrics.registry, config.metrics);
    this.metricsServer = ms;
    this.metricsUrl = ms.url;
    this.log(`metrics on ${ms.url}`);

    if (config.serving.modelScanMs > 0) {
      const scan = (): void => {
        this.scanTimer = setTimeout(() => void this.scanRegistry().finally(() => this.closing || scan()), config.serving.modelScanMs);
        this.scanTimer.unref();
      };
      scan();
    }

    if (config.serving.follow) {
      await this.startFollowing();
    } else if (config.training.enabled && config.kafka.brokers.length > 0) {
      await this.startTrainer();
    } else if (config.training.enabled) {
      this.log('online learning off: no Kafka brokers configured');
    }
  }

  /**
   * Serving replica mode: no trainer here; versions announced on the models
   * topic are loaded from the shared registry and hot-swapped in, newest wins.
   */
  private async startFollowing(): Promise<void> {
    const { config } = this;
    if (config.kafka.brokers.length === 0) throw new ConfigError('serving.follow', 'following needs Kafka brokers (kafka.brokers / KAFKA_BROKERS)');
    const kafka = createKafka(config.kafka.brokers, `${config.kafka.clientId}-follower`, (l) => this.logger.warn(l));
    await ensureModelsTopic(kafka, config.kafka.modelsTopic);
    const follower = new ModelFollower(kafka, config.kafka.modelsTopic, `${config.kafka.groupId}-follower-${os.hostname()}-${process.pid}-${Date.now()}`);
    this.follower = follower;
    const num = (v: string | null): number => (v ? Number(v.replace(/^v/, '')) : 0);
    await follower.start(async (a) => {
      if (!this.wants(a.model)) return;
      if (this.mirror) await this.mirror.waitForVersion(a.model, a.version).catch((err: unknown) => this.log(`${a.model}@${a.version}: ${(err as Error).message}`));
      const m = await this.addModel(a.model, { waitForVersion: true }).catch(() => undefined);
      if (!m) return;
      if (a.action === 'rollback') {
        if (a.version !== m.holder.version) await m.control.rollback(a.reason ?? 'announced rollback', a.version).catch(() => undefined);
        return;
      }
      if (num(a.version) <= num(m.holder.version)) return;
      await m.control.offer(a.version).catch(() => undefined);
    }, this.log);
    this.log(`following ${config.kafka.modelsTopic} for ${config.serving.models.length > 0 ? config.serving.models.join(', ') : 'every model'}`);
  }

  /**
   * Runs the trainer under a {@link TrainerSupervisor} and relays its stats and
   * versions. A trainer that dies, or cannot start because the broker is away, is
   * restarted forever with backoff (1 s … 30 s) while serving goes on; it resumes
   * from the offsets of the newest version, so nothing is lost. `streamtune_trainer_up`
   * is 0 whenever no trainer consumes. Resolves after the first attempt, whatever its outcome.
   */
  private async startTrainer(): Promise<void> {
    const { config } = this;
    const model = config.model;
    this.metrics.trainerUp.set({ model }, 0);
    const supervisor = new TrainerSupervisor({
      create: () => new TrainerProcess(config),
      probe: () => probeBrokers(config.kafka.brokers),
      logger: this.logger.child({ model }),
    });
    this.supervisor = supervisor;
    supervisor.on('spawned', (trainer) => this.relay(trainer));
    supervisor.on('up', (trainer) => {
      this.metrics.trainerUp.set({ model }, 1);
      this.log(`trainer consuming ${config.kafka.labelsTopic} from ${config.kafka.brokers.join(',')} (backend ${trainer.backend}, pid ${trainer.pid})`);
      // Serving gets the CPU first when both want it: training may slow down, Predict must not.
      try {
        if (trainer.pid !== undefined) os.setPriority(trainer.pid, TRAINER_NICENESS);
      } catch (err) {
        this.log(`could not lower the trainer's CPU priority: ${(err as Error).message}`);
      }
    });
    supervisor.on('exited', () => {
      this.metrics.trainerUp.set({ model }, 0);
      this.metrics.trainerRestarts.inc();
    });
    void this.startLagMonitor();
    await supervisor.start();
  }

  /** Relays one trainer process's messages to metrics, logs, swaps and rollbacks. */
  private relay(trainer: TrainerProcess): void {
    const { config } = this;
    trainer.on('stats', (m) => {
      applyStats(this.metrics, m.stats);
      // The step awaited the dead-letter producer before it sent its stats: these records are in the topic.
      const dead = Object.values(m.stats.rejected).reduce((a, b) => a + b, 0);
      if (dead > 0) this.metrics.dlqMessages.inc({ topic: config.kafka.dlqTopic }, dead);
      this.operatorLog.stats(m.stats, this.fleet.has(m.stats.model) ? (this.fleet.get(m.stats.model).holder.version ?? '') : '');
      this.emit('stats', m.stats);
    });
    trainer.on('version', (m) => {
      const model = m.meta.model;
      this.metrics.versionsCreated.inc({ model });
      if (!this.wants(model)) return;
      void this.addModel(model, { waitForVersion: true }).then(async (served) => {
        if (!served) return;
        if (m.meta.promotion?.promoted === false) {
          const p = m.meta.promotion;
          if (!p.reason.startsWith('serving version rolled back')) this.metrics.guardrailRejections.inc({ model });
          this.logger.warn(`${model}@${m.meta.version} not promoted (${p.mode}: candidate ${p.candidate.toFixed(3)} vs serving ${p.serving.toFixed(3)}): ${p.reason}`, {
            event: 'rejection',
            model,
            version: m.meta.version,
          });
          served.control.noteRejected(m.meta);
          return;
        }
        await this.swapNewest(served, m.meta.version, m.eventTimestamps ?? []);
      });
    });
    trainer.on('rollback', (m) => {
      const model = m.model ?? config.model;
      if (!this.fleet.has(model)) return;
      this.metrics.rollbacks.inc({ model, trigger: 'guardrail' });
      this.logger.warn(`rolling back ${model} from ${m.from} to ${m.to}: ${m.reason}`, { event: 'rollback_requested', model, version: m.to, previous: m.from });
      this.fleet
        .get(model)
        .control.rollback(m.reason, m.to)
        .catch((err: unknown) => this.logger.error(`rollback failed: ${(err as Error).message}`, { event: 'rollback_failed', model }));
    });
    trainer.on('log', (m) => (m.level === 'warn' ? this.logger.warn(`trainer: ${m.line}`) : this.log(`trainer: ${m.line}`)));
    // A trainer that fails before it consumes is reported by the supervisor, once per kind of failure.
    trainer.on('error-message', (message) => {
      if (trainer.ready) this.logger.error(`trainer error: ${message}`, { event: 'trainer_error', model: config.model });
    });
    trainer.on('ready', (m) => this.metrics.backendInfo.set({ role: 'training', backend: m.backend }, 1));
  }

  /**
   * Swaps in `version` of a model, or a newer one offered while an earlier swap
   * of that model was loading: when versions come faster than they load (many
   * models checkpointing often), the ones already superseded are skipped, so
   * serving catches up with the newest at once instead of loading each in turn.
   * The freshness of a skipped version's events is measured when the version
   * that replaces it serves.
   */
  private async swapNewest(served: ServedModel, version: string, eventTimestamps: number[]): Promise<void> {
    let q = this.swapQueues.get(served.name);
    if (!q) this.swapQueues.set(served.name, (q = { next: null, stamps: [], running: false }));
    q.next = version;
    q.stamps.push(...eventTimestamps);
    if (q.running) return;
    q.running = true;
    try {
      while (q.next) {
        const [next, stamps] = [q.next, q.stamps];
        [q.next, q.stamps] = [null, []];
        const ok = await served.control.offer(next).then(
          () => true,
          () => false,
        );
        if (!ok) continue;
        // Freshness: from each (sampled) event's timestamp to the first served version that learned it.
        const now = Date.now();
        const seconds = stamps.map((ts) => Math.max(0, (now - ts) / 1000));
        for (const sec of seconds) this.metrics.freshness.observe({ model: served.name }, sec);
        this.emit('freshness', seconds);
      }
    } finally {
      q.running = false;
    }
  }

  /** Consumer lag from the broker's offsets; a broker that cannot answer now is retried at each interval. */
  private async startLagMonitor(): Promise<void> {
    const { config } = this;
    // No retries: a broker that is away is asked again at the next interval.
    const kafka = createKafka(config.kafka.brokers, `${config.kafka.clientId}-lag`, (l) => this.logger.debug(l), 0);
    const monitor = new ConsumerLagMonitor(kafka, this.metrics.consumerLag, {
      topic: config.kafka.labelsTopic,
      groupId: config.kafka.groupId,
      intervalMs: config.metrics.consumerLagIntervalMs,
      onError: (err) => this.logger.debug(`consumer lag not measured: ${err.message}`),
    });
    this.lagMonitor = monitor;
    await monitor.start();
  }

  /**
   * Loads a version from the store and hot-swaps it in (or keeps it warm as a
   * candidate while another version is pinned). Swaps are serialized; a version
   * that fails to load or warm up is counted and logged, and the current one keeps
   * serving. See {@link VersionControl.offer}. `model`: default `config.model`.
   */
  swapTo(version: string, model = this.config.model): Promise<VersionMeta> {
    return this.fleet.get(model).control.offer(version);
  }

  /** NOT_SERVING → drain gRPC → stop the trainer (it saves and commits) → close. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const steps: [string, () => Promise<void> | void][] = [
        ['registry scan', () => clearTimeout(this.scanTimer)],
        ['gRPC server', () => this.grpc?.close()],
        ['label requests', () => this.labelRequests?.close()],
        ['trainer', () => this.supervisor?.close()],
        ['follower', () => this.follower?.close()],
        ['registry mirror', () => this.mirror?.close()],
        ['lag monitor', () => this.lagMonitor?.close()],
        ['swaps', () => Promise.all(this.fleet.all().map((m) => m.control.idle())).then(() => undefined)],
        ['operator log', () => this.operatorLog.close()],
        ['metrics server', () => this.metricsServer?.close()],
        ['models', () => this.fleet.all().forEach((m) => m.holder.close())],
      ];
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (err) {
          this.log(`closing ${name} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.closing;
  }
}
