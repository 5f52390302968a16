import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Metrics } from '../metrics/index.js';
import type { ModelHolder } from './model-holder.js';
import { loadProtos, predictorService } from './proto.js';
import { predictorHandlers } from './predictor-service.js';

export interface PredictionServerOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  backend: string;
  /** Most instances per Predict call. @defaultValue 1024 */
  maxInstances?: number;
  /** Largest request accepted, in bytes. @defaultValue 4 MiB */
  maxReceiveMessageBytes?: number;
  /** How long `close()` lets in-flight calls finish before cancelling them. @defaultValue 5000 */
  drainTimeoutMs?: number;
}

const HEALTH_SERVICE = 'streamtune.v1.Predictor';

/**
 * The gRPC server: `streamtune.v1.Predictor`, standard health checking (NOT_SERVING
 * until a version is loaded, and while shutting down) and server reflection.
 *
 * @example
 * const server = new PredictionServer(holder, metrics, { backend: 'wasm', port: 50051 });
 * await server.start(); // listening on 127.0.0.1:50051
 */
export class PredictionServer {
  private readonly server: grpc.Server;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [HEALTH_SERVICE]: 'NOT_SERVING' });
  private closing: Promise<void> | undefined;
  port = 0;

  constructor(
    private readonly holder: ModelHolder,
    metrics: Metrics,
    private readonly opts: PredictionServerOptions,
  ) {
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024 });
    this.server.addService(predictorService(), predictorHandlers(holder, metrics, opts));
    this.health.addToServer(this.server);
    new ReflectionService(loadProtos().packageDefinition).addToServer(this.server);
  }

  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  async start(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${this.opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    this.refreshHealth();
  }

  /** Reports SERVING once the holder has a warm version. Call after each swap. */
  refreshHealth(): void {
    const status = this.closing === undefined && this.holder.version !== null ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    this.health.setStatus(HEALTH_SERVICE, status);
  }

  /** Graceful shutdown: NOT_SERVING, drain in-flight calls, then force. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.refreshHealth();
      const drained = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.opts.drainTimeoutMs ?? 5000).unref());
      if ((await Promise.race([drained, timeout])) === 'timeout') this.server.forceShutdown();
    })();
    return this.closing;
  }
}
