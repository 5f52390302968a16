import * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import { toStatus } from './to-status.js';

/** Records one answered RPC (or one message of a stream): latency and status code. */
export function recordCall(metrics: Metrics, method: string, started: bigint, code: grpc.status): void {
  metrics.predictLatency.observe({ method }, Number(process.hrtime.bigint() - started) / 1e9);
  metrics.predictRequests.inc({ method, code: grpc.status[code] });
}

/**
 * Wraps an async unary implementation: counts it in flight, maps a thrown error to
 * its status at this edge, records latency and code, and calls back exactly once.
 *
 * @example
 * GetModel: unaryHandler('GetModel', metrics, async (call) => describe(call.request.model)),
 */
export function unaryHandler<Req, Res>(
  method: string,
  metrics: Metrics,
  fn: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    const started = process.hrtime.bigint();
    metrics.predictInflight.inc({ method });
    const done = (err: unknown, value?: Res): void => {
      metrics.predictInflight.dec({ method });
      if (err) {
        const s = toStatus(err);
        recordCall(metrics, method, started, s.code);
        cb({ code: s.code, details: s.details });
        return;
      }
      recordCall(metrics, method, started, grpc.status.OK);
      cb(null, value);
    };
    let result: Promise<Res> | Res;
    try {
      result = fn(call);
    } catch (err) {
      done(err);
      return;
    }
    Promise.resolve(result).then(
      (value) => done(null, value),
      (err: unknown) => done(err),
    );
  };
}

/** The call's deadline in ms since epoch; Infinity when the caller set none. */
export function deadlineOf(call: { getDeadline(): grpc.Deadline }): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : Number.isFinite(d) ? d : Infinity;
}
