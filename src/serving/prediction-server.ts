import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { listenError, TypedEmitter, type HttpLimits, type TlsFiles } from '../core/index.js';
import { initCounters, type Metrics } from '../ops/index.js';
import { adminHandlers } from './admin-service.js';
import { diagnosticsHandlers } from './diagnostics-service.js';
import { DynamicBatcher, type DynamicBatcherOptions } from './dynamic-batcher.js';
import type { ModelFleet } from './model-fleet.js';
import { InferenceHttpServer } from './inference-http-server.js';
import { OpenInference } from './open-inference.js';
import { openInferenceHandlers } from './open-inference-service.js';
import { FeedbackIntake, type FeedbackSink } from './feedback-intake.js';
import { feedbackHandlers } from './feedback-service.js';
import { PredictionEngine, type PredictionObserver } from './prediction-engine.js';
import type { PredictionLogger } from './prediction-log.js';
import { predictorService, serviceConstructor } from './proto.js';
import { reflectionPackageDefinition } from './reflection-descriptors.js';
import { predictorHandlers, type ServingLifecycleEvents } from './predictor-service.js';
import { serverCredentials } from './server-credentials.js';
import { TritonExtensions } from './triton-extensions.js';
import { tritonExtensionHandlers } from './triton-extensions-service.js';
import { tracedHandlers } from './traced-calls.js';

export interface PredictionServerOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  backend: string;
  /** Most instances per Predict call. @defaultValue 1024 */
  maxInstances?: number;
  /** Largest request accepted, in bytes (larger: RESOURCE_EXHAUSTED). @defaultValue 4 MiB */
  maxReceiveMessageBytes?: number;
  /** How long `close()` lets in-flight calls finish before cancelling them. @defaultValue 5000 */
  drainTimeoutMs?: number;
  /** Bearer token of the ModelAdmin RPCs; empty: none (admin refused unless `allowUnauthenticatedAdmin`). @defaultValue '' */
  adminToken?: string;
  /** With no admin token, accept ModelAdmin RPCs anyway. @defaultValue false */
  allowUnauthenticatedAdmin?: boolean;
  /** TLS; plaintext when absent. */
  tls?: TlsFiles;
  /** Dynamic batching (on by default). */
  batching?: Omit<DynamicBatcherOptions, 'onBatch' | 'onDrop' | 'now'>;
  /** Sees every answered prediction (active learning samples the uncertain ones). */
  onPredictions?: PredictionObserver;
  /** Logs answered predictions and gives them ids (see {@link PredictionLog}); none: calls get no prediction id. */
  predictionLog?: PredictionLogger;
  /** Where the Feedback RPC and `POST …/feedback` send labels by reference; none: they answer FAILED_PRECONDITION. */
  feedback?: FeedbackSink;
  /** The Open Inference Protocol over HTTP/REST on its own port (same host and TLS) and its connection limits; off when absent. */
  http?: { enabled: boolean; port: number } & Partial<HttpLimits>;
}

let reflectionCache: ReturnType<typeof reflectionPackageDefinition> | undefined;
/** Built once per process: every server exposes the same protos. */
const reflectionDefinition = (): ConstructorParameters<typeof ReflectionService>[0] =>
  (reflectionCache ??= reflectionPackageDefinition()) as unknown as ConstructorParameters<typeof ReflectionService>[0];

/** Services beside the Predictor whose calls are counted (health and reflection are not). */
const SERVICES = ['streamtune.v1.ModelAdmin', 'streamtune.v1.Diagnostics', 'inference.GRPCInferenceService'];
const GRPC_CODES = Object.keys(grpc.status).filter((k) => Number.isNaN(Number(k)));

const HEALTH_SERVICES = ['', 'streamtune.v1.Predictor', 'inference.GRPCInferenceService'];

/**
 * The gRPC server: `streamtune.v1.Predictor`, `streamtune.v1.ModelAdmin`,
 * `streamtune.v1.Diagnostics`, the Open Inference Protocol's
 * `inference.GRPCInferenceService`, standard health checking (NOT_SERVING until a
 * version is loaded, and while shutting down) and server reflection, on one port;
 * with `http`, the Open Inference Protocol's REST endpoints on a second one.
 *
 * @example
 * const server = new PredictionServer(ModelFleet.of({ name: 'digits', holder, control }), metrics, { backend: 'wasm', port: 50051 });
 * await server.start(); // listening on 127.0.0.1:50051
 */
export class PredictionServer {
  private readonly server: grpc.Server;
  /** KServe v2 REST, when `http.enabled`. */
  readonly rest: InferenceHttpServer | undefined;
  private readonly health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING'])));
  private readonly lifecycle = new TypedEmitter<ServingLifecycleEvents>();
  readonly batcher: DynamicBatcher;
  private closing: Promise<void> | undefined;
  /** Set before the first await of close(): `closing` is only assigned after the async body starts. */
  private shuttingDown = false;
  port = 0;

  /** `fleet`: the served models; each one's VersionControl answers ListVersions, WatchModel and ModelAdmin. */
  constructor(
    readonly fleet: ModelFleet,
    metrics: Metrics,
    private readonly opts: PredictionServerOptions,
  ) {
    this.lifecycle.setMaxListeners(0);
    this.batcher = new DynamicBatcher({
      ...opts.batching,
      onBatch: (rows, s) => {
        metrics.predictBatchSize.observe(rows);
        metrics.predictComputeSeconds.observe(s);
      },
      onDrop: (reason) => metrics.predictDropped.inc({ reason }),
    });
    const engine = new PredictionEngine(fleet, this.batcher, metrics, opts.maxInstances ?? 1024, opts.onPredictions, opts.predictionLog);
    const intake = new FeedbackIntake(engine, opts.feedback);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
      'grpc.max_send_message_length': opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
    });
    // Spans (OpenTelemetry) wrap the prediction RPCs here, in one place; see docs/tracing.md.
    this.server.addService(predictorService(), {
      ...tracedHandlers('streamtune.v1.Predictor', predictorHandlers(engine, metrics, this.lifecycle, opts), ['Predict', 'PredictStream']),
      ...feedbackHandlers(intake, metrics),
    });
    this.server.addService(serviceConstructor('streamtune.v1.ModelAdmin').service, adminHandlers(engine, metrics, { adminToken: opts.adminToken ?? '', allowUnauthenticatedAdmin: opts.allowUnauthenticatedAdmin ?? false }));
    this.server.addService(serviceConstructor('streamtune.v1.Diagnostics').service, diagnosticsHandlers());
    const oip = new OpenInference(engine, () => this.ready, () => !this.shuttingDown);
    const admin = { adminToken: opts.adminToken ?? '', allowUnauthenticatedAdmin: opts.allowUnauthenticatedAdmin ?? false };
    const batching = { enabled: opts.batching?.enabled ?? true, maxBatchSize: opts.batching?.maxBatchSize ?? 64, maxQueueDelayMs: opts.batching?.maxQueueDelayMs ?? 0 };
    const triton = { extensions: new TritonExtensions(engine, { batching }), auth: admin };
    this.server.addService(serviceConstructor('inference.GRPCInferenceService').service, {
      ...tracedHandlers('inference.GRPCInferenceService', openInferenceHandlers(oip, metrics), ['ModelInfer']),
      ...tritonExtensionHandlers(triton.extensions, metrics, admin),
    });
    if (opts.http?.enabled) {
      this.rest = new InferenceHttpServer(oip, metrics, {
        feedback: intake,
        host: opts.host,
        port: opts.http.port,
        tls: opts.tls,
        maxBodyBytes: opts.maxReceiveMessageBytes,
        drainTimeoutMs: opts.drainTimeoutMs,
        limits: opts.http,
        triton,
      });
    }
    // Every RPC's counter series at 0 for every code (as go-grpc-prometheus does), REST included: same method names.
    const methods = [predictorService(), ...SERVICES.map((s) => serviceConstructor(s).service)].flatMap((d) => Object.values(d).map((m) => m.path.split('/').pop()!));
    initCounters(metrics, { 'rpc method': methods, 'grpc code': GRPC_CODES });
    this.health.addToServer(this.server);
    // Descriptors as protoc writes them (one per .proto file, `<Field>Entry` map types), covering
    // health and reflection too: strict clients (grpcurl, protobuf-go) reject proto-loader's.
    new ReflectionService(reflectionDefinition()).addToServer(this.server);
  }

  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Every served model has a version loaded and warm, and the server is not shutting down. */
  get ready(): boolean {
    return !this.shuttingDown && this.fleet.allLoaded;
  }

  async start(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    const credentials = serverCredentials(this.opts.tls);
    const address = `${host}:${this.opts.port ?? 0}`;
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, credentials, (err, port) => (err ? reject(listenError('serving.port', address, err)) : resolve(port))),
    );
    try {
      await this.rest?.start();
    } catch (err) {
      this.server.forceShutdown();
      throw err;
    }
    this.refreshHealth();
  }

  /** Reports SERVING once every model has a warm version. Call after each swap and each model added or removed. */
  refreshHealth(): void {
    const status = this.ready ? 'SERVING' : 'NOT_SERVING';
    for (const s of HEALTH_SERVICES) this.health.setStatus(s, status);
  }

  /** Graceful shutdown: NOT_SERVING, end watch streams, drain in-flight calls, then force. Idempotent. */
  close(): Promise<void> {
    this.shuttingDown = true;
    this.closing ??= (async () => {
      this.refreshHealth();
      this.lifecycle.emit('shutdown');
      const drained = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.opts.drainTimeoutMs ?? 5000).unref());
      const rest = this.rest?.close();
      if ((await Promise.race([drained, timeout])) === 'timeout') this.server.forceShutdown();
      await rest;
      this.batcher.close();
    })();
    return this.closing;
  }
}
