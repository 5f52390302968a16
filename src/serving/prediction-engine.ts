import { trace } from '@opentelemetry/api';
import { InvalidInputError, ModelNotFoundError, TRACE_ATTR } from '../core/index.js';
import type { EventInput } from '../ingest/index.js';
import { featurize } from '../features/index.js';
import type { Metrics } from '../ops/index.js';
import type { Prediction } from '../learners/index.js';
import type { VersionMeta } from '../registry/index.js';
import type { DynamicBatcher } from './dynamic-batcher.js';
import { InferenceStatistics } from './inference-statistics.js';
import type { ModelFleet, ServedModel } from './model-fleet.js';
import type { PredictionLogger } from './prediction-log.js';

/** An input kind the wire accepts but no served model reads (views), or no input at all. */
export interface UnsupportedInput {
  unsupported: 'views' | 'none';
}

export type RequestInput = EventInput | UnsupportedInput;


/** Called with each answered request; must not throw or block (it runs on the RPC's path). */
export type PredictionObserver = (answered: { inputs: readonly EventInput[]; meta: VersionMeta; predictions: readonly Prediction[] }) => void;

export interface PredictCall {
  /** Model name; empty means the served one. */
  model: string;
  /** Version that must answer; empty means the current one. */
  version: string;
  inputs: RequestInput[];
  /** Absolute deadline, ms since epoch (Infinity: none). */
  deadlineMs: number;
  cancelled?: () => boolean;
  /** Metric label of the RPC. */
  method: string;
  /** Name of input i in error messages. @defaultValue `instances[i]` */
  fieldOf?: (i: number) => string;
  /** The caller's request id, kept as the prediction id when the call is logged. */
  requestId?: string;
}

export interface PredictAnswer {
  model: string;
  meta: VersionMeta;
  predictions: Prediction[];
  /** The call's id in the prediction log ('' when not logged) and each prediction's (empty when not logged). */
  logged: { id: string; ids: string[] };
}

/**
 * One prediction request from any API (Predict, PredictStream, ModelInfer): check
 * the model, the count and each input's kind and size, borrow the version, run
 * through the dynamic batcher, release. Errors are streamtune errors naming the
 * field; the gRPC edge maps them.
 */
export class PredictionEngine {
  /** Per version counts and times (Triton's statistics extension). */
  readonly statistics = new InferenceStatistics();

  constructor(
    readonly fleet: ModelFleet,
    private readonly batcher: DynamicBatcher,
    private readonly metrics: Metrics,
    private readonly maxInstances = 1024,
    private readonly observer?: PredictionObserver,
    /** The prediction log (see {@link PredictionLog}). */
    private readonly log?: PredictionLogger,
  ) {}

  /** The model `name` (empty: the default one); NOT_FOUND naming the served ones when it is not served, or was unloaded. */
  model(name: string): ServedModel {
    const m = this.fleet.get(name);
    if (this.fleet.isUnloaded(m.name)) {
      throw new ModelNotFoundError(`model "${m.name}" is unloaded: a repository load (RepositoryModelLoad, POST /v2/repository/models/${m.name}/load) serves it again`, { model: m.name });
    }
    return m;
  }

  async predict(call: PredictCall): Promise<PredictAnswer> {
    const { holder } = this.model(call.model);
    const started = performance.now();
    const n = call.inputs.length;
    if (n === 0) throw new InvalidInputError('empty', 'instances', 'instances is empty: send at least one');
    if (n > this.maxInstances) throw new InvalidInputError('too_many', 'instances', `instances has ${n} entries, over the limit of ${this.maxInstances}`);
    const lease = holder.acquire(call.version || undefined);
    let featurized = started;
    // The RPC's span (if tracing is on) names the model and the version that answers.
    trace.getActiveSpan()?.setAttributes({ [TRACE_ATTR.model]: holder.name, [TRACE_ATTR.version]: lease.meta.version });
    try {
      const spec = lease.learner.featureSpec;
      const fieldOf = call.fieldOf ?? ((i: number) => `instances[${i}]`);
      const rows = call.inputs.map((input, i) => {
        if ('unsupported' in input && input.unsupported === 'none') {
          throw new InvalidInputError('missing_input', fieldOf(i), `${fieldOf(i)} has no input: set "${spec.kind}"`);
        }
        const kind = 'unsupported' in input ? input.unsupported : Object.keys(input)[0];
        // A media or views input the model does not read is named by its field, with the kinds it reads
        // (a vector/text mismatch keeps featurize's message).
        if (kind !== spec.kind && (kind === 'image' || kind === 'audio' || kind === 'views')) {
          const field = `${fieldOf(i)}.${kind}`;
          throw new InvalidInputError('wrong_kind', field, `${field}: model "${holder.name}" accepts ${spec.kind} input only (input kinds: ${spec.kind})`);
        }
        return featurize(input as EventInput, spec, fieldOf(i));
      });
      featurized = performance.now();
      const res = await this.batcher.submit({ learner: lease.learner, rows, deadlineMs: call.deadlineMs, cancelled: call.cancelled });
      this.statistics.answered({
        model: holder.name,
        version: lease.meta.version,
        rows: rows.length,
        totalSeconds: (performance.now() - started) / 1000,
        queueSeconds: res.queueSeconds,
        inputSeconds: (featurized - started) / 1000,
        computeSeconds: res.computeSeconds,
        batchRows: res.batchRows,
        leadsBatch: res.leadsBatch,
      });
      this.metrics.predictions.inc({ model: holder.name }, res.predictions.length);
      this.metrics.modelPredictSeconds.observe({ model: holder.name }, (performance.now() - started) / 1000);
      this.metrics.predictQueueSeconds.observe({ method: call.method }, res.queueSeconds);
      // Every input reached here was featurized, so none is `unsupported`.
      const inputs = call.inputs as EventInput[];
      this.observer?.({ inputs, meta: lease.meta, predictions: res.predictions });
      const logged = this.log?.record({ requestId: call.requestId ?? '', model: holder.name, version: lease.meta.version, inputs, predictions: res.predictions }) ?? { id: '', ids: [] };
      return { model: holder.name, meta: lease.meta, predictions: res.predictions, logged };
    } catch (err) {
      // Inputs refused before featurizing finished are the caller's mistake, not a failed inference.
      if (featurized !== started) this.statistics.failed(holder.name, lease.meta.version, (performance.now() - started) / 1000);
      throw err;
    } finally {
      lease.release();
    }
  }
}
