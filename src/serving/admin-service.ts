import type * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import { requireBearer, type AdminAuth } from './admin-auth.js';
import type { PredictionEngine } from './prediction-engine.js';
import { unaryHandler } from './unary-handler.js';
import type { AdminResult } from './model-event.js';
import type { VersionControl } from './version-control.js';
import type { WireAdminResponse } from './wire-types.js';

/**
 * Handlers of `streamtune.v1.ModelAdmin` (Pin, Unpin, Rollback). Each checks the
 * bearer token first (refused when none is configured, unless opened), so a call
 * without it changes nothing.
 */
export function adminHandlers(engine: PredictionEngine, metrics: Metrics, auth: AdminAuth): grpc.UntypedServiceImplementation {
  const answer = (control: VersionControl, r: AdminResult): WireAdminResponse => ({ model: control.model, ...r });
  /** Checks the token, then finds the model (NOT_FOUND naming the served ones). */
  const guard = (call: grpc.ServerUnaryCall<{ model: string }, unknown>): VersionControl => {
    requireBearer(call.metadata, auth);
    return engine.model(call.request.model).control;
  };
  return {
    Pin: unaryHandler<{ model: string; version: string }, WireAdminResponse>('Pin', metrics, async (call) => {
      const control = guard(call);
      return answer(control, await control.pin(call.request.version));
    }),
    Unpin: unaryHandler<{ model: string }, WireAdminResponse>('Unpin', metrics, async (call) => {
      const control = guard(call);
      return answer(control, await control.unpin());
    }),
    Rollback: unaryHandler<{ model: string; reason: string }, WireAdminResponse>('Rollback', metrics, async (call) => {
      const control = guard(call);
      const result = answer(control, await control.rollback(call.request.reason));
      metrics.rollbacks.inc({ model: control.model, trigger: 'operator' });
      return result;
    }),
  };
}
