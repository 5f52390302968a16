import * as grpc from '@grpc/grpc-js';
import type { TypedEmitter } from '../core/index.js';
import type { Metrics } from '../ops/index.js';
import type { Prediction } from '../learners/index.js';
import type { ServedModel } from './model-fleet.js';
import type { RequestInput, PredictionEngine } from './prediction-engine.js';
import { toStatus } from './to-status.js';
import { deadlineOf, recordCall, unaryHandler } from './unary-handler.js';
import type { ModelEvent, VersionControlEvents } from './model-event.js';
import type {
  WireInstance,
  WireModelEvent,
  WireModelInfo,
  WirePrediction,
  WirePredictRequest,
  WirePredictResponse,
  WireVersionInfo,
} from './wire-types.js';

/** What the server tells its handlers about its own life. */
export interface ServingLifecycleEvents {
  /** The server is shutting down: end server streams so it can drain. */
  shutdown: () => void;
}

export interface PredictorOptions {
  /** Backend label reported by GetModel. */
  backend: string;
}

/** Wire instance → model input; views (no served model reads them yet) become `unsupported` (rejected naming the field). */
function toInput(inst: WireInstance): RequestInput {
  switch (inst.input) {
    case 'features':
      return { features: inst.features?.values ?? [] };
    case 'text':
      return { text: inst.text ?? '' };
    // Media travel as base64 inside the engine, as in label events, so one decoder checks both paths.
    case 'image':
      return { image: (inst.image ?? Buffer.alloc(0)).toString('base64') };
    case 'audio':
      return { audio: (inst.audio ?? Buffer.alloc(0)).toString('base64') };
    case 'views':
      return { unsupported: inst.input };
    default:
      return { unsupported: 'none' };
  }
}

const toWire = (p: Prediction): WirePrediction => ({ label: p.label ?? '', confidence: p.confidence ?? 0, scores: p.scores ?? {}, value: p.value ?? 0, spans: p.spans ?? [] });

const toWireEvent = (e: ModelEvent): WireModelEvent => ({ ...e });

/**
 * Handlers of `streamtune.v1.Predictor`: validation and batching live in the
 * {@link PredictionEngine}, version state in {@link VersionControl}; this file
 * only speaks gRPC. `lifecycle` emits `shutdown` so server streams end and the
 * server can drain.
 */
export function predictorHandlers(
  engine: PredictionEngine,
  metrics: Metrics,
  lifecycle: TypedEmitter<ServingLifecycleEvents>,
  opts: PredictorOptions,
): grpc.UntypedServiceImplementation {
  const modelInfo = ({ holder, control }: ServedModel): WireModelInfo => {
    const lease = holder.acquire();
    const { meta } = lease;
    lease.release();
    return {
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
      inputKinds: [meta.description.inputKind],
      loadedVersions: holder.loadedVersions,
      pinned: control.pinned ?? '',
    };
  };

  const predict = async (req: WirePredictRequest, call: { getDeadline(): grpc.Deadline; cancelled: boolean }, method: string): Promise<WirePredictResponse> => {
    const { model, meta, predictions, logged } = await engine.predict({
      model: req.model,
      version: req.version,
      inputs: req.instances.map(toInput),
      deadlineMs: deadlineOf(call),
      cancelled: () => call.cancelled,
      method,
      requestId: req.requestId,
    });
    return { model, version: meta.version, predictions: predictions.map((p, i) => ({ ...toWire(p), predictionId: logged.ids[i] ?? '' })), requestId: req.requestId ?? '' };
  };

  return {
    Predict: unaryHandler<WirePredictRequest, WirePredictResponse>('Predict', metrics, (call) => predict(call.request, call, 'Predict')),

    PredictStream(call: grpc.ServerDuplexStream<WirePredictRequest, WirePredictResponse>) {
      let pending = 0;
      let ended = false;
      const maybeEnd = (): void => {
        if (ended && pending === 0) call.end();
      };
      metrics.predictInflight.inc({ method: 'PredictStream' });
      call.once('close', () => metrics.predictInflight.dec({ method: 'PredictStream' }));
      call.on('data', (req: WirePredictRequest) => {
        const started = process.hrtime.bigint();
        pending++;
        predict(req, call, 'PredictStream').then(
          (res) => {
            recordCall(metrics, 'PredictStream', started, grpc.status.OK);
            call.write(res);
          },
          (err: unknown) => {
            const s = toStatus(err);
            recordCall(metrics, 'PredictStream', started, s.code);
            call.write({
              model: req.model || engine.fleet.defaultModel,
              version: '',
              predictions: [],
              requestId: req.requestId ?? '',
              error: { code: s.code, codeName: grpc.status[s.code], message: s.details },
            });
          },
        ).finally(() => {
          pending--;
          maybeEnd();
        });
      });
      call.on('end', () => {
        ended = true;
        maybeEnd();
      });
      call.on('error', () => undefined);
    },

    GetModel: unaryHandler<{ model: string }, WireModelInfo>('GetModel', metrics, (call) => modelInfo(engine.model(call.request.model))),

    ListModels: unaryHandler<Record<string, never>, { models: WireModelInfo[]; defaultModel: string }>('ListModels', metrics, () => ({
      // A model still waiting for its first version (a replica), or unloaded, is not listed until it can answer.
      models: engine.fleet
        .all()
        .filter((m) => m.holder.version !== null && !engine.fleet.isUnloaded(m.name))
        .map(modelInfo),
      defaultModel: engine.fleet.defaultModel,
    })),

    ListVersions: unaryHandler<{ model: string }, { model: string; versions: WireVersionInfo[] }>('ListVersions', metrics, async (call) => {
      const { holder, control } = engine.model(call.request.model);
      const versions = (await control.list()).map(({ meta, state, loaded }) => ({
        version: meta.version,
        createdAt: meta.createdAt,
        parent: meta.parent ?? '',
        regime: meta.regime,
        metrics: meta.metrics,
        state,
        loaded,
        examplesSeen: String(meta.examplesSeen),
      }));
      return { model: holder.name, versions };
    }),

    WatchModel(call: grpc.ServerWritableStream<{ model: string }, WireModelEvent>) {
      const started = process.hrtime.bigint();
      let control: ServedModel['control'];
      try {
        ({ control } = engine.model(call.request.model));
      } catch (err) {
        const s = toStatus(err);
        recordCall(metrics, 'WatchModel', started, s.code);
        // 'error' sets the status the stream ends with (destroy() would end it without one, and the caller would wait for its deadline).
        call.emit('error', Object.assign(new Error(s.details), { code: s.code, details: s.details }));
        return;
      }
      const onEvent: VersionControlEvents['model-event'] = (e) => void call.write(toWireEvent(e));
      const stop = (): void => {
        control.off('model-event', onEvent);
        lifecycle.off('shutdown', end);
      };
      const end = (): void => {
        stop();
        recordCall(metrics, 'WatchModel', started, grpc.status.OK);
        call.end();
      };
      call.write(toWireEvent(control.currentEvent()));
      control.on('model-event', onEvent);
      lifecycle.once('shutdown', end);
      call.once('cancelled', stop);
      call.once('close', stop);
    },
  };
}
