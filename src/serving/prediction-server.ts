import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { TypedEmitter } from '../core/index.js';
import type { Metrics } from '../ops/index.js';
import { adminHandlers } from './admin-service.js';
import { diagnosticsHandlers } from './diagnostics-service.js';
import { DynamicBatcher, type DynamicBatcherOptions } from './dynamic-batcher.js';
import type { ModelHolder } from './model-holder.js';
import { openInferenceHandlers } from './open-inference-service.js';
import { PredictionEngine, type PredictionObserver } from './prediction-engine.js';
import { loadProtos, predictorService, serviceConstructor } from './proto.js';
import { predictorHandlers, type ServingLifecycleEvents } from './predictor-service.js';
import { serverCredentials, type TlsFiles } from './server-credentials.js';
import type { VersionControl } from './version-control.js';

export interface PredictionServerOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  backend: string;
  /** Decides which version serves; answers ListVersions, WatchModel and ModelAdmin. */
  control: VersionControl;
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
}

const HEALTH_SERVICES = ['', 'streamtune.v1.Predictor', 'inference.GRPCInferenceService'];

/**
 * The gRPC server: `streamtune.v1.Predictor`, `streamtune.v1.ModelAdmin`,
 * `streamtune.v1.Diagnostics`, the Open Inference Protocol's
 * `inference.GRPCInferenceService`, standard health checking (NOT_SERVING until a
 * version is loaded, and while shutting down) and server reflection, on one port.
 *
 * @example
 * const server = new PredictionServer(holder, metrics, { backend: 'wasm', port: 50051, control });
 * await server.start(); // listening on 127.0.0.1:50051
 */
export class PredictionServer {
  private readonly server: grpc.Server;
  private readonly health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING'])));
  private readonly lifecycle = new TypedEmitter<ServingLifecycleEvents>();
  readonly batcher: DynamicBatcher;
  private closing: Promise<void> | undefined;
  /** Set before the first await of close(): `closing` is only assigned after the async body starts. */
  private shuttingDown = false;
  port = 0;

  constructor(
    private readonly holder: ModelHolder,
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
    const engine = new PredictionEngine(holder, this.batcher, metrics, opts.maxInstances ?? 1024, opts.onPredictions);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
      'grpc.max_send_message_length': opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
    });
    this.server.addService(predictorService(), predictorHandlers(engine, opts.control, metrics, this.lifecycle, opts));
    this.server.addService(serviceConstructor('streamtune.v1.ModelAdmin').service, adminHandlers(engine, opts.control, metrics, { adminToken: opts.adminToken ?? '', allowUnauthenticatedAdmin: opts.allowUnauthenticatedAdmin ?? false }));
    this.server.addService(serviceConstructor('streamtune.v1.Diagnostics').service, diagnosticsHandlers());
    this.server.addService(serviceConstructor('inference.GRPCInferenceService').service, openInferenceHandlers(engine, metrics, () => this.ready));
    this.health.addToServer(this.server);
    new ReflectionService(loadProtos().packageDefinition).addToServer(this.server);
  }

  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** A version is loaded and warm, and the server is not shutting down. */
  get ready(): boolean {
    return !this.shuttingDown && this.holder.version !== null;
  }

  async start(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    const credentials = serverCredentials(this.opts.tls);
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${this.opts.port ?? 0}`, credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.refreshHealth();
  }

  /** Reports SERVING once the holder has a warm version. Call after each swap. */
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
      if ((await Promise.race([drained, timeout])) === 'timeout') this.server.forceShutdown();
      this.batcher.close();
    })();
    return this.closing;
  }
}
