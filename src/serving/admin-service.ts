import type * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import { requireBearer, type AdminAuth } from './admin-auth.js';
import type { PredictionEngine } from './prediction-engine.js';
import { unaryHandler } from './unary-handler.js';
import type { AdminResult, VersionControl } from './version-control.js';
import type { WireAdminResponse } from './wire-types.js';

/**
 * Handlers of `streamtune.v1.ModelAdmin` (Pin, Unpin, Rollback). Each checks the
 * bearer token first (refused when none is configured, unless opened), so a call
 * without it changes nothing.
 */
export function adminHandlers(engine: PredictionEngine, control: VersionControl, metrics: Metrics, auth: AdminAuth): grpc.UntypedServiceImplementation {
  const answer = (r: AdminResult): WireAdminResponse => ({ model: control.model, ...r });
  const guard = (call: grpc.ServerUnaryCall<{ model: string }, unknown>): void => {
    requireBearer(call.metadata, auth);
    engine.checkModel(call.request.model);
  };
  return {
    Pin: unaryHandler<{ model: string; version: string }, WireAdminResponse>('Pin', metrics, async (call) => {
      guard(call);
      return answer(await control.pin(call.request.version));
    }),
    Unpin: unaryHandler<{ model: string }, WireAdminResponse>('Unpin', metrics, async (call) => {
      guard(call);
      return answer(await control.unpin());
    }),
    Rollback: unaryHandler<{ model: string; reason: string }, WireAdminResponse>('Rollback', metrics, async (call) => {
      guard(call);
      const result = answer(await control.rollback(call.request.reason));
      metrics.rollbacks.inc({ model: control.model, trigger: 'operator' });
      return result;
    }),
  };
}
