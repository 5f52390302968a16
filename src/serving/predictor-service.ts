import * as grpc from '@grpc/grpc-js';
import { InvalidInputError, ModelNotFoundError, StreamtuneError } from '../errors/index.js';
import type { EventInput } from '../events/index.js';
import { featurize } from '../features/index.js';
import type { Metrics } from '../metrics/index.js';
import type { ModelHolder } from './model-holder.js';
import type { WireInstance, WireModelInfo, WirePredictRequest, WirePredictResponse } from './wire-types.js';

export interface PredictorOptions {
  /** Most instances one Predict call may carry. @defaultValue 1024 */
  maxInstances?: number;
  /** Backend label reported by GetModel. */
  backend: string;
}

/** Maps an error to the gRPC status the caller sees; only this edge knows gRPC codes. */
export function toStatus(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof InvalidInputError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof ModelNotFoundError) return { code: grpc.status.NOT_FOUND, details: err.message };
  if (err instanceof StreamtuneError && err.code === 'closed') return { code: grpc.status.UNAVAILABLE, details: err.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${(err as Error).message ?? String(err)}` };
}

function toInput(inst: WireInstance, i: number): EventInput {
  if (inst.input === 'features' && inst.features) return { features: inst.features.values };
  if (inst.input === 'text') return { text: inst.text ?? '' };
  throw new InvalidInputError('missing_input', `instances[${i}]`, `instances[${i}] has no input: set "features" or "text"`);
}

/**
 * Handlers of `streamtune.v1.Predictor` over one {@link ModelHolder}: validate the
 * request, borrow the current version, predict, release, answer with the version.
 */
export function predictorHandlers(holder: ModelHolder, metrics: Metrics, opts: PredictorOptions): grpc.UntypedServiceImplementation {
  const maxInstances = opts.maxInstances ?? 1024;

  const checkModel = (name: string): void => {
    if (name && name !== holder.name) {
      throw new ModelNotFoundError(`model "${name}" is not served here (serving "${holder.name}")`, { model: name });
    }
  };

  const finish = <T>(method: string, started: bigint, cb: grpc.sendUnaryData<T>, err: unknown, value?: T): void => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.predictLatency.observe({ method }, seconds);
    if (err) {
      const s = toStatus(err);
      metrics.predictRequests.inc({ method, code: grpc.status[s.code] });
      cb({ code: s.code, details: s.details });
      return;
    }
    metrics.predictRequests.inc({ method, code: 'OK' });
    cb(null, value);
  };

  return {
    Predict(call: grpc.ServerUnaryCall<WirePredictRequest, WirePredictResponse>, cb: grpc.sendUnaryData<WirePredictResponse>) {
      const started = process.hrtime.bigint();
      try {
        const req = call.request;
        checkModel(req.model);
        if (req.instances.length === 0) throw new InvalidInputError('empty', 'instances', 'instances is empty: send at least one');
        if (req.instances.length > maxInstances) {
          throw new InvalidInputError('too_many', 'instances', `instances has ${req.instances.length} entries, over the limit of ${maxInstances}`);
        }
        const lease = holder.acquire();
        try {
          if (req.version && req.version !== lease.meta.version) {
            throw new ModelNotFoundError(`version "${req.version}" of "${holder.name}" is not loaded (loaded: ${lease.meta.version})`, {
              model: holder.name,
              version: req.version,
            });
          }
          const x = req.instances.map((inst, i) => featurize(toInput(inst, i), lease.learner.featureSpec, `instances[${i}]`));
          const preds = lease.learner.predict(x);
          metrics.predictions.inc({ model: holder.name }, preds.length);
          finish('Predict', started, cb, null, {
            model: holder.name,
            version: lease.meta.version,
            predictions: preds.map((p) => ({
              label: p.label ?? '',
              confidence: p.confidence ?? 0,
              scores: p.scores ?? {},
              value: p.value ?? 0,
            })),
          });
        } finally {
          lease.release();
        }
      } catch (err) {
        finish('Predict', started, cb, err);
      }
    },

    GetModel(call: grpc.ServerUnaryCall<{ model: string }, WireModelInfo>, cb: grpc.sendUnaryData<WireModelInfo>) {
      const started = process.hrtime.bigint();
      try {
        checkModel(call.request.model);
        const lease = holder.acquire();
        const { meta } = lease;
        lease.release();
        finish('GetModel', started, cb, null, {
          name: holder.name,
          version: meta.version,
          task: meta.description.task,
          labels: meta.description.labels,
          inputKind: meta.description.inputKind,
          inputDim: meta.description.inputDim,
          backend: opts.backend,
          parent: meta.parent ?? '',
          examplesSeen: String(meta.examplesSeen),
          createdAt: meta.createdAt,
        });
      } catch (err) {
        finish('GetModel', started, cb, err);
      }
    },
  };
}
