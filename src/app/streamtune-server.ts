import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { LabelRequestPublisher } from '../labelling/index.js';
import { checkPortsFree, selectBackend, ConfigError, toLogger, TypedEmitter, type Logger, type LogSink } from '../core/index.js';
import type { Config } from '../core/index.js';
import { checkBrokers, createKafka, kafkaSecurity } from '../ingest/index.js';
import { startRegistryMirror, VersionStore, type KafkaRegistryMirror, type VersionMeta } from '../registry/index.js';
import { createMetrics, initCounters, startMetricsServer, type Metrics } from '../ops/index.js';
import { KafkaFeedbackSink, ModelFleet, ModelHolder, PredictionLog, PredictionServer, VersionControl } from '../serving/index.js';
import type { TrainerStats } from '../training/trainer-stats.js';
import type { FreshnessStage } from './freshness-stages.js';
import { OperatorLog } from './operator-log.js';
import { ReplicaSync } from './replica-sync.js';
import { ServedModels } from './served-models.js';
import { TrainerProcess } from './trainer-process.js';
import { TrainerSupervisor } from './trainer-supervisor.js';
import { relayTrainer } from './trainer-relay.js';
import { startLagMonitor } from './trainer-metrics.js';
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
  /** The same events' seconds per stage (see `streamtune_freshness_stage_seconds`). */
  'freshness-stages': (stages: Record<FreshnessStage, number[]>) => void;
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
  /** The served models, kept in step with the registry. */
  readonly models: ServedModels;
  grpc: PredictionServer | undefined;
  private supervisor: TrainerSupervisor | undefined;
  private replicas: ReplicaSync | undefined;
  private mirror: KafkaRegistryMirror | null = null;
  private lagMonitor: { close(): Promise<void> } | undefined;
  /** Structured logger (STREAMTUNE_LOG_LEVEL / STREAMTUNE_LOG_FORMAT unless one is passed). */
  readonly logger: Logger;
  private readonly log: (line: string) => void;
  private readonly operatorLog: OperatorLog;
  metricsUrl = '';
  backend = '';
  private metricsServer: { close(): Promise<void> } | undefined;
  /** Active learning's publisher, when `activeLearning.enabled`. */
  labelRequests: LabelRequestPublisher | undefined;
  /** The prediction log, when `feedback.log` logs any model (and brokers are configured). */
  predictionLog: PredictionLog | undefined;
  private feedbackSink: KafkaFeedbackSink | undefined;
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
    this.models = new ServedModels({ config, store: this.store, metrics: this.metrics, operatorLog: this.operatorLog, logger: this.logger });
    this.models.on('changed', () => this.grpc?.refreshHealth());
    this.models.on('swap', (meta) => this.emit('swap', meta));
    this.models.on('swap-failed', (err) => this.emit('swap-failed', err));
    this.models.on('freshness', (seconds) => this.emit('freshness', seconds));
    this.models.on('freshness-stages', (stages) => this.emit('freshness-stages', stages));
  }

  /** The served models by name (`config.model` is the default one). */
  get fleet(): ModelFleet {
    return this.models.fleet;
  }

  /** The default model's loaded versions (`config.model`; NOT_FOUND when it is not served). */
  get holder(): ModelHolder {
    return this.fleet.get(this.config.model).holder;
  }

  /** Which loaded version of the default model serves: promotions, pins, rollbacks (see ModelAdmin). */
  get control(): VersionControl {
    return this.fleet.get(this.config.model).control;
  }

  async start(): Promise<void> {
    const { config } = this;
    // A port that is taken stops the start before any model loads or any start line is logged.
    const { serving, metrics } = config;
    await checkPortsFree([
      { key: 'serving.port', host: serving.host, port: serving.port },
      ...(serving.http.enabled ? [{ key: 'serving.http.port', host: serving.host, port: serving.http.port }] : []),
      { key: 'metrics.port', host: metrics.host, port: metrics.port },
    ]);
    // A TLS or SASL file that cannot be used stops the start, naming its key (clients made later would only log it).
    if (config.kafka.brokers.length > 0) kafkaSecurity(config.kafka);
    if (config.serving.follow && config.kafka.brokers.length > 0) {
      // registry.mode kafka: this replica's own directory, filled from the cluster before the first versions are chosen.
      const kafka = createKafka(config.kafka, `${config.kafka.clientId}-registry`, (l) => this.logger.warn(l));
      // A model still waiting for its first version serves it as soon as the mirror writes one (once started; the scan catches any missed).
      const onVersion = (model: string): void => {
        if (this.grpc) void this.models.serveFirstVersion(model).catch((err: unknown) => this.logger.warn(`model ${model} not served: ${(err as Error).message}`));
      };
      this.mirror = await startRegistryMirror(kafka, config, this.store, { log: this.log, models: config.serving.models, onVersion });
    }
    const names = await this.models.atStart();
    const conv = (await Promise.all(names.map(async (n) => needsConv((await this.store.meta(n, (await this.store.newest(n))!)).config)))).some(Boolean);
    const choice = await selectBackend(config.backend, { conv });
    this.backend = choice.backend;
    this.models.backend = choice.backend;
    for (const s of choice.skipped) this.log(`backend ${s.backend} not used: ${s.reason}`);
    this.log(`serving backend: ${choice.backend}`);
    this.metrics.backendInfo.set({ role: 'serving', backend: choice.backend }, 1);

    // Each model: the pinned version when an operator pinned one, else the newest not rolled back.
    for (const name of names) await this.models.addModel(name);
    // A replica serves the default model as soon as its registry has a version (mirrored, or announced).
    if (config.serving.follow) for (const name of new Set([config.model, ...config.serving.models])) if (this.models.wants(name)) await this.models.addModel(name, { waitForVersion: true });
    const version = this.fleet.has(config.model) ? this.fleet.get(config.model).holder.version : null;

    const al = config.activeLearning;
    if (al.enabled && config.kafka.brokers.length > 0) {
      const kafka = createKafka(config.kafka, `${config.kafka.clientId}-label-requests`, (l) => this.logger.warn(l));
      const count = (outcome: 'published' | 'lost', n: number): void => this.metrics.labelRequests.inc({ outcome }, n);
      this.labelRequests = new LabelRequestPublisher(kafka, al.topic, al, (l) => this.log(l), count);
      await this.labelRequests.start();
      this.log(`active learning: uncertain predictions (${al.strategy} ≥ ${al.threshold}, ≤ ${al.budgetPerMinute}/min) published on ${al.topic}`);
    }
    await this.startFeedback();
    this.grpc = new PredictionServer(this.fleet, this.metrics, {
      ...config.serving,
      backend: choice.backend,
      onPredictions: this.labelRequests?.observer,
      predictionLog: this.predictionLog,
      feedback: this.feedbackSink,
    });
    await this.grpc.start();
    // Pins, unpins and rollbacks made here reach the other servers, and theirs reach this one.
    if (config.kafka.brokers.length > 0) this.replicas = new ReplicaSync({ config, models: this.models, store: this.store, mirror: this.mirror, by: `${os.hostname()}:${this.grpc.port}`, logger: this.logger });
    const others = this.fleet.size - (this.fleet.has(config.model) ? 1 : 0);
    this.log(`gRPC Predictor on ${this.grpc.address} (model ${config.model} ${version ?? '(waiting for its first version in the registry)'}${others > 0 ? ` and ${others} more: ${this.fleet.names().filter((n) => n !== config.model).slice(0, 5).join(', ')}${others > 5 ? ', …' : ''}` : ''})`);
    if (this.grpc.rest) this.log(`KServe v2 REST on ${this.grpc.rest.url}/v2`);

    const ms = await startMetricsServer(this.metrics.registry, config.metrics);
    this.metricsServer = ms;
    this.metricsUrl = ms.url;
    this.log(`metrics on ${ms.url}`);

    this.models.startScanning();

    if (config.serving.follow) {
      if (!this.replicas) throw new ConfigError('serving.follow', 'following needs Kafka brokers (kafka.brokers / KAFKA_BROKERS)');
      await this.replicas.start();
    } else if (config.training.enabled && config.kafka.brokers.length > 0) {
      await this.startTrainer();
    } else if (config.training.enabled) {
      this.log('online learning off: no Kafka brokers configured');
    }
    if (!config.serving.follow) this.replicas?.startInBackground();
  }

  /** With brokers: the Feedback RPC's sink, and the prediction log when it logs any model (see docs/feedback.md). */
  private async startFeedback(): Promise<void> {
    const { config } = this;
    if (config.kafka.brokers.length === 0) return;
    const kafka = createKafka(config.kafka, `${config.kafka.clientId}-feedback`, (l) => this.logger.warn(l));
    this.feedbackSink = new KafkaFeedbackSink(kafka, config.kafka.labelsTopic);
    const log = config.feedback.log;
    if (!log.enabled && !Object.values(log.models).some(Boolean)) return;
    const count = (outcome: 'logged' | 'dropped' | 'failed', n: number): void => this.metrics.predictionLog.inc({ outcome }, n);
    this.predictionLog = new PredictionLog(kafka, { config: log, count, log: (l) => this.logger.warn(l) });
    await this.predictionLog.start();
    this.log(`prediction log: ${log.sampleRate * 100}% of calls${log.enabled ? '' : ` to ${Object.keys(log.models).filter((m) => log.models[m]).join(', ')}`} on ${log.topic}`);
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
      probe: () => checkBrokers(config.kafka),
      logger: this.logger.child({ model }),
    });
    this.supervisor = supervisor;
    supervisor.on('spawned', (trainer) =>
      relayTrainer(trainer, { config, metrics: this.metrics, logger: this.logger, operatorLog: this.operatorLog, models: this.models, onStats: (st) => this.emit('stats', st) }),
    );
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
    this.lagMonitor = startLagMonitor(config, this.metrics, this.logger);
    await supervisor.start();
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
        ['gRPC server', () => this.grpc?.close()],
        ['label requests', () => this.labelRequests?.close()],
        ['prediction log', () => this.predictionLog?.close()],
        ['feedback', () => this.feedbackSink?.close()],
        ['trainer', () => this.supervisor?.close()],
        ['replicas', () => this.replicas?.close()],
        ['registry mirror', () => this.mirror?.close()],
        ['lag monitor', () => this.lagMonitor?.close()],
        ['models', () => this.models.close()],
        ['operator log', () => this.operatorLog.close()],
        ['metrics server', () => this.metricsServer?.close()],
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
