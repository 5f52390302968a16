import type { Prediction } from '../learners/index.js';
import type { VersionMeta } from '../registry/index.js';
import { decodeInferInputs, GRPC_FIELD_NAMES, oipInput, oipOutputs, outputTensors, requestedOutputs, type OipFieldNames, type OipInferRequest, type OutputTensor } from './oip-tensors.js';
import type { PredictionEngine } from './prediction-engine.js';

/** Server name and version reported by `ServerMetadata` (gRPC) and `GET /v2` (REST). */
export const OIP_SERVER = { name: 'streamtune', version: '0.1.0', extensions: ['binary_tensor_data'] };

/**
 * A version as Triton's clients name it: `1` (Triton's versions are numbers) is
 * streamtune's `v1`; any other name is taken as it is.
 *
 * @example
 * versionName('3'); // 'v3'
 */
export function versionName(version: string): string {
  return /^[1-9]\d*$/.test(version) ? `v${version}` : version;
}

export interface OipModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}

export interface OipInferCall {
  /** Absolute deadline, ms since epoch (Infinity: none). */
  deadlineMs: number;
  cancelled: () => boolean;
  /** Metric label of the call (`ModelInfer`). */
  method: string;
  /** How the caller's protocol names the request's fields in errors. @defaultValue gRPC's */
  names?: OipFieldNames;
}

export interface OipInferResult {
  /** The model that answered. */
  model: string;
  meta: VersionMeta;
  predictions: Prediction[];
  outputs: OutputTensor[];
  /** The call's id in the prediction log ('' when not logged) and each prediction's. */
  logged: { id: string; ids: string[] };
}

/**
 * A ModelInfer answer's id and parameters with the prediction log: the caller's
 * `id` (else the logged call's), and `prediction_ids` (comma-separated) when logged.
 */
export function loggedAnswer(requestId: string, logged: { id: string; ids: string[] }): { id: string; predictionIds?: string } {
  return { id: requestId || logged.id, ...(logged.ids.length > 0 ? { predictionIds: logged.ids.join(',') } : {}) };
}

/**
 * The Open Inference Protocol (KServe v2) apart from its transport: liveness,
 * readiness, metadata and inference, with one validation and one set of errors
 * for the gRPC service and the REST endpoints. Inference goes through the same
 * engine (validation, dynamic batching, versions) as `Predict`.
 *
 * @example
 * const oip = new OpenInference(engine, () => server.ready);
 * const { outputs } = await oip.infer(request, { deadlineMs: Infinity, cancelled: () => false, method: 'ModelInfer' });
 */
export class OpenInference {
  constructor(
    readonly engine: PredictionEngine,
    private readonly isReady: () => boolean,
    /** The server is up and not shutting down (whatever its models). @defaultValue isReady */
    private readonly isLive: () => boolean = isReady,
  ) {}

  /** Every served model has a version loaded and the server is not shutting down. */
  get ready(): boolean {
    return this.isReady();
  }

  /** The model (empty: the default one) is served, and the version (empty: the current one) is warm. */
  modelReady(name: string, rawVersion: string): boolean {
    const version = versionName(rawVersion);
    let holder;
    try {
      ({ holder } = this.engine.model(name));
    } catch {
      return false;
    }
    return this.isLive() && (version ? holder.has(version) : holder.version !== null);
  }

  /** NOT_FOUND for another model or a version that is not warm. */
  modelMetadata(name: string, rawVersion: string): OipModelMetadata {
    const version = versionName(rawVersion);
    const { holder } = this.engine.model(name);
    const lease = holder.acquire(version || undefined);
    const { meta } = lease;
    const spec = lease.learner.featureSpec;
    lease.release();
    return {
      name: holder.name,
      versions: holder.loadedVersions,
      platform: 'tensorflowjs',
      inputs: [oipInput(spec)],
      outputs: oipOutputs(meta.description.labels.length, meta.description.task),
    };
  }

  /** Decodes the input tensor, predicts, and returns the requested outputs' values. */
  async infer(req: OipInferRequest, call: OipInferCall): Promise<OipInferResult> {
    const { engine } = this;
    const { holder } = engine.model(req.modelName);
    const version = versionName(req.modelVersion);
    const lease = holder.acquire(version || undefined);
    const spec = lease.learner.featureSpec;
    const { task } = lease.meta.description;
    lease.release();
    const names = requestedOutputs(req.outputs, task);
    const { model, meta, predictions, logged } = await engine.predict({
      model: req.modelName,
      version,
      inputs: decodeInferInputs(req, spec, call.names ?? GRPC_FIELD_NAMES),
      deadlineMs: call.deadlineMs,
      cancelled: call.cancelled,
      method: call.method,
      fieldOf: (i) => `inputs[0] row ${i}`,
      requestId: req.id,
    });
    return { model, meta, predictions, logged, outputs: outputTensors(predictions, meta.description.labels, names) };
  }
}
