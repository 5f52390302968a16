import type * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import { deadlineWithTimeout, timeoutMicros } from './infer-timeout.js';
import { rawTensorBytes, type OipInferRequest, type OipInferResponse, type OipTensor } from './oip-tensors.js';
import { loggedAnswer, OIP_SERVER, type OpenInference } from './open-inference.js';
import { deadlineOf, unaryHandler } from './unary-handler.js';

/**
 * Handlers of the Open Inference Protocol (KServe v2) `inference.GRPCInferenceService`,
 * so KServe and Triton clients can call streamtune unchanged. A request with
 * `raw_input_contents` gets `raw_output_contents`; a typed one gets typed `contents`.
 */
export function openInferenceHandlers(oip: OpenInference, metrics: Metrics): grpc.UntypedServiceImplementation {
  return {
    ServerLive: unaryHandler('ServerLive', metrics, () => ({ live: true })),
    ServerReady: unaryHandler('ServerReady', metrics, () => ({ ready: oip.ready })),
    ModelReady: unaryHandler<{ name: string; version: string }, { ready: boolean }>('ModelReady', metrics, (call) => ({
      ready: oip.modelReady(call.request.name, call.request.version),
    })),
    ServerMetadata: unaryHandler('ServerMetadata', metrics, () => OIP_SERVER),
    ModelMetadata: unaryHandler<{ name: string; version: string }, unknown>('ModelMetadata', metrics, (call) => oip.modelMetadata(call.request.name, call.request.version)),
    ModelInfer: unaryHandler<OipInferRequest, OipInferResponse>('ModelInfer', metrics, async (call) => {
      const req = call.request;
      const deadlineMs = deadlineWithTimeout(deadlineOf(call), timeoutMicros(req.parameters?.timeout, 'parameters.timeout.int64_param'));
      const { model, meta, outputs, logged } = await oip.infer(req, { deadlineMs, cancelled: () => call.cancelled, method: 'ModelInfer' });
      const raw = req.rawInputContents.length > 0;
      const { id, predictionIds } = loggedAnswer(req.id, logged);
      return {
        modelName: model,
        modelVersion: meta.version,
        id,
        ...(predictionIds ? { parameters: { prediction_ids: { stringParam: predictionIds } } } : {}),
        outputs: outputs.map((t): OipTensor => {
          const contents = t.datatype === 'BYTES' ? { bytesContents: t.data as Buffer[] } : { fp32Contents: t.data as number[] };
          return { name: t.name, datatype: t.datatype, shape: t.shape, ...(raw ? {} : { contents }) };
        }),
        rawOutputContents: raw ? outputs.map(rawTensorBytes) : [],
      };
    }),
  };
}
