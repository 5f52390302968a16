import type * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import { decodeInferInputs, encodeInferOutputs, OIP_OUTPUTS, oipInput, type OipInferRequest, type OipInferResponse } from './oip-tensors.js';
import type { PredictionEngine } from './prediction-engine.js';
import { deadlineOf, unaryHandler } from './unary-handler.js';

/** Server name and version reported by `ServerMetadata`. */
export const OIP_SERVER = { name: 'streamtune', version: '0.1.0' };

/**
 * Handlers of the Open Inference Protocol (KServe v2) `inference.GRPCInferenceService`,
 * so KServe and Triton clients can call streamtune unchanged. `ModelInfer` goes
 * through the same engine (validation, dynamic batching, versions) as `Predict`.
 */
export function openInferenceHandlers(engine: PredictionEngine, metrics: Metrics, isReady: () => boolean): grpc.UntypedServiceImplementation {
  const { holder } = engine;
  const modelReady = (name: string, version: string): boolean =>
    isReady() && (!name || name === holder.name) && (version ? holder.has(version) : holder.version !== null);
  return {
    ServerLive: unaryHandler('ServerLive', metrics, () => ({ live: true })),
    ServerReady: unaryHandler('ServerReady', metrics, () => ({ ready: isReady() })),
    ModelReady: unaryHandler<{ name: string; version: string }, { ready: boolean }>('ModelReady', metrics, (call) => ({
      ready: modelReady(call.request.name, call.request.version),
    })),
    ServerMetadata: unaryHandler('ServerMetadata', metrics, () => ({ ...OIP_SERVER, extensions: [] })),
    ModelMetadata: unaryHandler<{ name: string; version: string }, unknown>('ModelMetadata', metrics, (call) => {
      engine.checkModel(call.request.name);
      const lease = holder.acquire(call.request.version || undefined);
      const { meta } = lease;
      const spec = lease.learner.featureSpec;
      lease.release();
      const k = meta.description.labels.length;
      return {
        name: holder.name,
        versions: holder.loadedVersions,
        platform: 'tensorflowjs',
        inputs: [oipInput(spec)],
        outputs: OIP_OUTPUTS.map((name) =>
          name === 'probabilities' ? { name, datatype: 'FP32', shape: [-1, k] } : { name, datatype: name === 'label' ? 'BYTES' : 'FP32', shape: [-1] },
        ),
      };
    }),
    ModelInfer: unaryHandler<OipInferRequest, OipInferResponse>('ModelInfer', metrics, async (call) => {
      const req = call.request;
      engine.checkModel(req.modelName);
      const lease = holder.acquire(req.modelVersion || undefined);
      const spec = lease.learner.featureSpec;
      lease.release();
      const { meta, predictions } = await engine.predict({
        model: req.modelName,
        version: req.modelVersion,
        inputs: decodeInferInputs(req, spec),
        deadlineMs: deadlineOf(call),
        cancelled: () => call.cancelled,
        method: 'ModelInfer',
        fieldOf: (i) => `inputs[0] row ${i}`,
      });
      const out = encodeInferOutputs(predictions, meta.description.labels, req.outputs, req.rawInputContents.length > 0);
      return { modelName: holder.name, modelVersion: meta.version, id: req.id, ...out };
    }),
  };
}
