import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { createHttpServer, InvalidInputError, listenError, OverloadedError, type HttpLimits, type TlsFiles } from '../core/index.js';
import type { Metrics } from '../ops/index.js';
import type { AdminAuth } from './admin-auth.js';
import type { FeedbackIntake } from './feedback-intake.js';
import { feedbackAnswer } from './feedback-rest.js';
import { deadlineWithTimeout } from './infer-timeout.js';
import { encodeRestInfer, parseRestInfer, REST_FIELD_NAMES } from './oip-rest-codec.js';
import { loggedAnswer, OIP_SERVER, type OpenInference } from './open-inference.js';
import { toStatus } from './to-status.js';
import type { TritonExtensions } from './triton-extensions.js';
import { tritonRestRoute } from './triton-rest-routes.js';
import { tracedInferRequests } from './traced-calls.js';
import { recordCall } from './unary-handler.js';

export interface InferenceHttpOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** HTTPS with the gRPC port's certificate (and client CA) when set. */
  tls?: TlsFiles;
  /** Largest request body, after decompression (larger: 413). @defaultValue 4 MiB */
  maxBodyBytes?: number;
  /** How long `close()` lets in-flight requests finish. @defaultValue 5000 */
  drainTimeoutMs?: number;
  /** Idle, header, request and keep-alive timeouts and the connection cap. @defaultValue {@link HTTP_LIMITS} */
  limits?: Partial<HttpLimits>;
  /** Answers `POST /v2/models/{name}/feedback`; none: that path is not served. */
  feedback?: FeedbackIntake;
  /** Triton's extensions (configuration, statistics, repository) and who may load and unload; their routes 404 when absent. */
  triton?: { extensions: TritonExtensions; auth: AdminAuth };
}

/** What a route answers: a status, a body (JSON, or JSON and binary tensors) and its headers. */
interface Answer {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
}

const json = (status: number, value: unknown): Answer => ({ status, body: Buffer.from(JSON.stringify(value)), headers: { 'content-type': 'application/json' } });

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer|feedback))?\/?$/;

/** Reads a body up to `limit` bytes (decompressed), or throws RESOURCE_EXHAUSTED after reading the rest (so the client sees the answer). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw new OverloadedError(`request body of ${size} bytes is over the limit of ${limit} bytes (serving.maxReceiveMessageBytes)`, { limitBytes: limit });
  const body = Buffer.concat(chunks);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return body;
  if (encoding !== 'gzip' && encoding !== 'deflate') throw new InvalidInputError('bad_request', 'Content-Encoding', `Content-Encoding: "${encoding}" is not supported (gzip, deflate)`);
  try {
    return encoding === 'gzip' ? zlib.gunzipSync(body, { maxOutputLength: limit }) : zlib.inflateSync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new OverloadedError(`decompressed request body is over the limit of ${limit} bytes (serving.maxReceiveMessageBytes)`, { limitBytes: limit });
    }
    throw new InvalidInputError('bad_request', 'body', `body is not valid ${encoding} data: ${(err as Error).message}`);
  }
}

/**
 * The Open Inference Protocol (KServe v2) over HTTP/REST, beside the gRPC port:
 * `GET /v2`, `/v2/health/live`, `/v2/health/ready`, `/v2/models/{name}[/versions/{v}]`
 * and `…/ready`, `POST …/infer` with JSON tensors or the binary tensor data
 * extension; GET routes answer HEAD too. With `triton`, Triton's configuration,
 * statistics and repository routes ({@link tritonRestRoute}). Validation, errors (as `{"error": "…"}`) and metrics are those of the
 * gRPC `inference.GRPCInferenceService`, so `tritonclient.http`, KServe clients
 * and curl work unchanged.
 *
 * @example
 * const rest = new InferenceHttpServer(oip, metrics, { port: 8000 });
 * await rest.start(); // curl http://127.0.0.1:8000/v2/health/ready
 */
export class InferenceHttpServer {
  private readonly server: http.Server;
  private inflight = 0;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  port = 0;

  constructor(
    private readonly oip: OpenInference,
    private readonly metrics: Metrics,
    private readonly opts: InferenceHttpOptions = {},
  ) {
    const handler = tracedInferRequests((req: http.IncomingMessage, res: http.ServerResponse): void => void this.handle(req, res));
    this.server = createHttpServer(handler, { tls: opts.tls, tlsSection: 'serving.tls', limits: opts.limits });
  }

  /** `http(s)://host:port`. */
  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  async start(): Promise<void> {
    const address = `${this.opts.host ?? '127.0.0.1'}:${this.opts.port ?? 0}`;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => reject(listenError('serving.http.port', address, err));
      this.server.once('error', failed);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    let route: ReturnType<InferenceHttpServer['route']>;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
      route = this.route(req.method ?? 'GET', url.pathname);
    } catch (err) {
      // A malformed path (bad percent-encoding): a client error, never a crash.
      req.resume();
      this.send(res, json(400, { error: `bad request path ${JSON.stringify(req.url)}: ${(err as Error).message}` }));
      return;
    }
    if (!route) {
      req.resume();
      this.send(res, json(404, { error: `no such endpoint: ${req.method} ${url.pathname} (KServe v2: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}[/versions/{version}][/ready|/config|/stats]; POST …/infer, …/feedback; POST /v2/repository/index, /v2/repository/models/{name}/load|unload)` }));
      return;
    }
    if ('allow' in route) {
      req.resume();
      this.send(res, { ...json(405, { error: `${url.pathname} answers ${route.allow} only` }), headers: { 'content-type': 'application/json', allow: route.allow } });
      return;
    }
    const started = process.hrtime.bigint();
    this.inflight++;
    this.metrics.predictInflight.inc({ method: route.method });
    let cancelled = false;
    res.once('close', () => (cancelled = !res.writableFinished));
    let answer: Answer;
    let code = grpc.status.OK;
    try {
      answer = await route.run(req, () => cancelled);
    } catch (err) {
      const s = toStatus(err);
      code = s.code;
      // A body over the size limit is 413 (gRPC says RESOURCE_EXHAUSTED for both).
      const tooLarge = err instanceof OverloadedError && err.context.limitBytes !== undefined;
      answer = json(tooLarge ? 413 : s.httpStatus, { error: s.details });
    }
    this.metrics.predictInflight.dec({ method: route.method });
    recordCall(this.metrics, route.method, started, code);
    this.send(res, answer);
    if (--this.inflight === 0) this.drained?.();
  }

  private send(res: http.ServerResponse, a: Answer): void {
    if (res.destroyed) return;
    res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.length) });
    res.end(a.body);
  }

  /** The handler of a path, `{ allow }` for a known path with the wrong method, or undefined. */
  private route(
    method: string,
    pathname: string,
  ): { method: string; run: (req: http.IncomingMessage, cancelled: () => boolean) => Promise<Answer> } | { allow: string } | undefined {
    const { oip } = this;
    const get = (name: string, fn: () => Answer): { method: string; run: () => Promise<Answer> } | { allow: string } =>
      // HEAD answers as GET does, without the body (node:http leaves it out), as Triton's health routes do.
      method === 'GET' || method === 'HEAD' ? { method: name, run: async () => fn() } : { allow: 'GET, HEAD' };
    if (pathname === '/v2' || pathname === '/v2/') return get('ServerMetadata', () => json(200, OIP_SERVER));
    if (pathname === '/v2/health/live') return get('ServerLive', () => json(200, { live: true }));
    // KServe v2: 200 means ready, a 4xx status means not ready.
    if (pathname === '/v2/health/ready') return get('ServerReady', () => json(oip.ready ? 200 : 400, { ready: oip.ready }));
    const { triton } = this.opts;
    const extension = triton && tritonRestRoute(triton.extensions, triton.auth, method, pathname, (req) => readBody(req, this.opts.maxBodyBytes ?? 4 * 1024 * 1024));
    if (extension) return extension;
    const m = MODEL_PATH.exec(pathname);
    if (!m) return undefined;
    const [name, version] = [decodeURIComponent(m[1]!), m[2] ? decodeURIComponent(m[2]) : ''];
    if (m[3] === 'ready') {
      return get('ModelReady', () => {
        const ready = oip.modelReady(name, version);
        return json(ready ? 200 : 400, { name, ...(version ? { version } : {}), ready });
      });
    }
    if (m[3] === undefined) return get('ModelMetadata', () => json(200, oip.modelMetadata(name, version)));
    if (method !== 'POST') return { allow: 'POST' };
    if (m[3] === 'feedback') {
      const intake = this.opts.feedback;
      if (!intake || version) return undefined;
      return { method: 'Feedback', run: async (req) => json(200, await feedbackAnswer(intake, name, await readBody(req, this.opts.maxBodyBytes ?? 4 * 1024 * 1024))) };
    }
    return {
      method: 'ModelInfer',
      run: async (req, cancelled) => {
        // The model named in the path is checked before the body, as gRPC checks model_name first.
        oip.engine.model(name);
        const body = await readBody(req, this.opts.maxBodyBytes ?? 4 * 1024 * 1024);
        const header = req.headers['inference-header-content-length'];
        const parsed = parseRestInfer(body, header === undefined ? undefined : Number(header), name, version);
        const deadlineMs = deadlineWithTimeout(Infinity, parsed.timeoutUs);
        const { model, meta, outputs, logged } = await oip.infer(parsed.request, { deadlineMs, cancelled, method: 'ModelInfer', names: REST_FIELD_NAMES });
        const { id, predictionIds } = loggedAnswer(parsed.request.id, logged);
        const parameters = predictionIds ? { prediction_ids: predictionIds } : undefined;
        const { body: out, headers } = encodeRestInfer({ model, version: meta.version, id, outputs, parameters }, parsed.binaryOutputs);
        return { status: 200, body: out, headers };
      },
    };
  }

  /** Stops accepting, lets in-flight requests finish (up to `drainTimeoutMs`), then drops the connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      const drained = this.inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.opts.drainTimeoutMs ?? 5000).unref());
      await Promise.race([drained, timeout]);
      this.server.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }
}
