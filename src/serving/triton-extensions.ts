import { InvalidInputError } from '../core/index.js';
import { oipInput, oipOutputs } from './oip-tensors.js';
import { versionName } from './open-inference.js';
import type { PredictionEngine } from './prediction-engine.js';
import type { VersionStatistics } from './inference-statistics.js';

/** Triton's `DataType` name of an Open Inference Protocol datatype (`FP32` → `TYPE_FP32`, `BYTES` → `TYPE_STRING`). */
const dataType = (datatype: string): string => (datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`);

/**
 * A tensor's shape without the batch dimension, as Triton's configuration gives it
 * when `max_batch_size` > 0: `[-1, 64]` is `dims: [64]`; a per-row scalar (`[-1]`)
 * is `dims: [1]` reshaped to `[]`, as Triton writes it.
 */
function dims(shape: number[]): { dims: number[]; reshape?: { shape: number[] } } {
  const rest = shape.slice(1);
  return rest.length > 0 ? { dims: rest } : { dims: [1], reshape: { shape: [] } };
}

/** A streamtune version (`v3`) as Triton's number (3); NaN for another name. */
const versionNumber = (v: string): number => (/^v\d+$/.test(v) ? Number(v.slice(1)) : NaN);

/** Triton's `ModelConfig` as proto-loader writes it (camelCase); REST answers it in snake_case. */
export interface TritonModelConfig {
  name: string;
  platform: string;
  backend: string;
  versionPolicy: { specific: { versions: number[] } };
  maxBatchSize: number;
  input: { name: string; dataType: string; format: string; dims: number[]; reshape?: { shape: number[] } }[];
  output: { name: string; dataType: string; dims: number[]; reshape?: { shape: number[] } }[];
  dynamicBatching?: { preferredBatchSize: number[]; maxQueueDelayMicroseconds: number };
  parameters: Record<string, { stringValue: string }>;
}

export interface RepositoryIndexEntry {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE';
  reason: string;
}

export interface TritonExtensionsOptions {
  /** The dynamic batcher's settings, reported as `max_batch_size` and `dynamic_batching`. */
  batching: { enabled: boolean; maxBatchSize: number; maxQueueDelayMs: number };
}

/**
 * Triton's model configuration, statistics and model repository extensions
 * over the served models, apart from their transport (gRPC in
 * `inference.GRPCInferenceService`, REST under `/v2`). Versions may be named
 * as Triton's clients name them (`1` is `v1`). Unloading a model stops it
 * answering calls (its versions stay loaded and keep following the registry)
 * until it is loaded again; who may do either is the caller's check (the admin
 * token).
 *
 * @example
 * const ext = new TritonExtensions(engine, { batching: { enabled: true, maxBatchSize: 64, maxQueueDelayMs: 0 } });
 * ext.config('digits', '1').maxBatchSize; // 64
 */
export class TritonExtensions {
  constructor(
    private readonly engine: PredictionEngine,
    private readonly opts: TritonExtensionsOptions,
  ) {}

  /** The model's configuration (NOT_FOUND for a model not served or a version not loaded). */
  config(name: string, version: string): TritonModelConfig {
    const { holder } = this.engine.model(name);
    const lease = holder.acquire(versionName(version) || undefined);
    const { meta } = lease;
    const spec = lease.learner.featureSpec;
    lease.release();
    const input = oipInput(spec);
    const { batching } = this.opts;
    return {
      name: holder.name,
      platform: 'tensorflowjs',
      backend: 'streamtune',
      versionPolicy: { specific: { versions: holder.loadedVersions.map(versionNumber).filter((n) => !Number.isNaN(n)) } },
      // One row per request when the batcher is off: Triton's 0 would mean "no batch dimension", which is not so.
      maxBatchSize: batching.enabled ? batching.maxBatchSize : 1,
      input: [{ name: input.name, dataType: dataType(input.datatype), format: 'FORMAT_NONE', ...dims(input.shape) }],
      output: oipOutputs(meta.description.labels.length).map((o) => ({ name: o.name, dataType: dataType(o.datatype), ...dims(o.shape) })),
      ...(batching.enabled ? { dynamicBatching: { preferredBatchSize: [], maxQueueDelayMicroseconds: Math.round(batching.maxQueueDelayMs * 1000) } } : {}),
      parameters: {
        serving_version: { stringValue: meta.version },
        task: { stringValue: meta.description.task },
        input_kind: { stringValue: meta.description.inputKind },
        labels: { stringValue: JSON.stringify(meta.description.labels) },
      },
    };
  }

  /** Statistics of one model (empty name: every served model) and version (empty: every loaded one). */
  statistics(name: string, version: string): VersionStatistics[] {
    const { engine } = this;
    if (!name) return engine.fleet.all().flatMap(({ holder }) => engine.statistics.of(holder.name, holder.loadedVersions));
    const { holder } = engine.model(name);
    if (!version) return engine.statistics.of(holder.name, holder.loadedVersions);
    const v = versionName(version);
    holder.acquire(v).release(); // NOT_FOUND naming the loaded versions
    return engine.statistics.of(holder.name, [v]);
  }

  /** Every served model with its serving version and state (`ready`: only the ready ones). */
  repositoryIndex(ready = false): RepositoryIndexEntry[] {
    const { fleet } = this.engine;
    const all = fleet.all().map(({ holder }): RepositoryIndexEntry => {
      const reason = fleet.isUnloaded(holder.name) ? 'unloaded' : holder.version === null ? 'no version loaded yet' : '';
      return { name: holder.name, version: holder.version ?? '', state: reason ? 'UNAVAILABLE' : 'READY', reason };
    });
    return ready ? all.filter((m) => m.state === 'READY') : all;
  }

  /** Serves `name` again after an unload (nothing to do for a model that serves). NOT_FOUND for a model not served here. */
  load(name: string, parameters: Record<string, unknown>, field: string): void {
    if (!name) throw new InvalidInputError('bad_request', field, `${field} is empty: name the model to load`);
    // Triton's `config` and `file:` parameters load a model from what the request carries: streamtune's models come from the registry.
    const given = Object.keys(parameters);
    if (given.length > 0) throw new InvalidInputError('bad_request', `parameters.${given[0]}`, `parameters.${given[0]}: streamtune loads models from its registry only; load takes no parameters`);
    this.engine.fleet.setUnloaded(name, false);
  }

  /** Stops answering calls for `name` until it is loaded again. */
  unload(name: string, field: string): void {
    if (!name) throw new InvalidInputError('bad_request', field, `${field} is empty: name the model to unload`);
    this.engine.fleet.setUnloaded(name, true);
  }
}
