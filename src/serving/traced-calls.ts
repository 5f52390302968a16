import type * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter } from '@opentelemetry/api';
import { tracer } from '../core/index.js';

/** Reads `traceparent`/`tracestate` from gRPC metadata (first value of each key). */
const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (m) => Object.keys(m.getMap()),
  get: (m, key) => {
    const v = m.get(key);
    return v.length > 0 ? String(v[0]) : undefined;
  },
};

/** What a unary handler and a streaming one have in common. */
type AnyCall = NodeJS.EventEmitter & { metadata: grpc.Metadata; cancelled: boolean };
type AnyHandler = (call: AnyCall, cb?: grpc.sendUnaryData<unknown>) => void;

function endWith(span: Span, code: grpc.status, message?: string): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== grpc.status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
}

/**
 * The handlers of `service` with a SERVER span around each call of `methods`
 * (named `service/method`, as OpenTelemetry's RPC conventions say), child of the
 * caller's `traceparent` metadata; the handler runs in the span's context, so the
 * engine and the batcher see it. Unary calls end their span with the status they
 * answer; streaming calls when the stream closes. With tracing off the span is
 * the no-op one and the handler is called as is.
 *
 * @example
 * server.addService(predictorService(), tracedHandlers('streamtune.v1.Predictor', handlers, ['Predict', 'PredictStream']));
 */
export function tracedHandlers<T extends object>(service: string, handlers: T, methods: readonly string[]): T {
  const out: Record<string, unknown> = { ...(handlers as Record<string, unknown>) };
  for (const method of methods) {
    const handler = out[method] as AnyHandler | undefined;
    if (typeof handler !== 'function') continue;
    const wrapped: AnyHandler = (call, cb) => {
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
      const span = tracer.startSpan(
        `${service}/${method}`,
        { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
        parent,
      );
      if (!span.isRecording()) {
        handler.call(handlers, call, cb);
        return;
      }
      const ctx = trace.setSpan(parent, span);
      if (cb) {
        context.with(ctx, () =>
          handler.call(handlers, call, (err, value, ...rest) => {
            endWith(span, err ? (err.code ?? grpc.status.UNKNOWN) : grpc.status.OK, err?.details ?? (err as Error | null)?.message);
            cb(err, value, ...rest);
          }),
        );
        return;
      }
      // A stream: its `data` listeners run in the span's context too.
      context.bind(ctx, call);
      call.once('close', () => endWith(span, call.cancelled ? grpc.status.CANCELLED : grpc.status.OK));
      context.with(ctx, () => handler.call(handlers, call));
    };
    out[method] = wrapped;
  }
  return out as T;
}

/**
 * Wraps the REST server's request handler: a SERVER span `ModelInfer` around each
 * `POST …/infer`, child of the request's `traceparent` header, ended with the
 * response's status. Other routes (health, metadata) are not traced.
 *
 * @example
 * createHttpServer(tracedInferRequests(handler), opts);
 */
export function tracedInferRequests(handler: http.RequestListener): http.RequestListener {
  return (req, res) => {
    if (req.method !== 'POST' || !/\/infer\/?(\?|$)/.test(req.url ?? '')) {
      handler(req, res);
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      'ModelInfer',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': (req.url ?? '').split('?')[0]!, 'rpc.method': 'ModelInfer' } },
      parent,
    );
    if (!span.isRecording()) {
      handler(req, res);
      return;
    }
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => handler(req, res));
  };
}
