import { trace } from '@opentelemetry/api';
import { InvalidInputError, TRACE_ATTR } from '../core/index.js';
import type { EventInput } from '../ingest/index.js';
import { featurize } from '../features/index.js';
import type { Metrics } from '../ops/index.js';
import type { Prediction } from '../learners/index.js';
import type { VersionMeta } from '../registry/index.js';
import type { DynamicBatcher } from './dynamic-batcher.js';
import type { ModelFleet, ServedModel } from './model-fleet.js';

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
}

/**
 * One prediction request from any API (Predict, PredictStream, ModelInfer): check
 * the model, the count and each input's kind and size, borrow the version, run
 * through the dynamic batcher, release. Errors are streamtune errors naming the
 * field; the gRPC edge maps them.
 */
export class PredictionEngine {
  constructor(
    readonly fleet: ModelFleet,
    private readonly batcher: DynamicBatcher,
    private readonly metrics: Metrics,
    private readonly maxInstances = 1024,
    private readonly observer?: PredictionObserver,
  ) {}

  /** The model `name` (empty: the default one); NOT_FOUND naming the served ones when it is not served. */
  model(name: string): ServedModel {
    return this.fleet.get(name);
  }

  async predict(call: PredictCall): Promise<{ model: string; meta: VersionMeta; predictions: Prediction[] }> {
    const { holder } = this.model(call.model);
    const started = performance.now();
    const n = call.inputs.length;
    if (n === 0) throw new InvalidInputError('empty', 'instances', 'instances is empty: send at least one');
    if (n > this.maxInstances) throw new InvalidInputError('too_many', 'instances', `instances has ${n} entries, over the limit of ${this.maxInstances}`);
    const lease = holder.acquire(call.version || undefined);
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
      const res = await this.batcher.submit({ learner: lease.learner, rows, deadlineMs: call.deadlineMs, cancelled: call.cancelled });
      this.metrics.predictions.inc({ model: holder.name }, res.predictions.length);
      this.metrics.modelPredictSeconds.observe({ model: holder.name }, (performance.now() - started) / 1000);
      this.metrics.predictQueueSeconds.observe({ method: call.method }, res.queueSeconds);
      // Every input reached here was featurized, so none is `unsupported`.
      this.observer?.({ inputs: call.inputs as EventInput[], meta: lease.meta, predictions: res.predictions });
      return { model: holder.name, meta: lease.meta, predictions: res.predictions };
    } finally {
      lease.release();
    }
  }
}
