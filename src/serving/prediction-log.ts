import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { logsModel, type FeedbackConfig } from '../core/index.js';
import { ensureTopics, LazyProducer, type EventInput, type PredictionRecord } from '../ingest/index.js';
import type { Prediction } from '../learners/index.js';

/** One answered call, as the engine hands it to the log. */
export interface AnsweredCall {
  /** The caller's request id (`request_id`, KServe's `id`); empty: none. */
  requestId: string;
  model: string;
  version: string;
  inputs: readonly EventInput[];
  predictions: readonly Prediction[];
}

/** What the engine asks of a prediction log: ids for a call it logged, or none. Never throws, never waits. */
export interface PredictionLogger {
  /** `id`: the call's id ('' when not logged); `ids`: each prediction's id (empty when not logged). */
  record(call: AnsweredCall): { id: string; ids: string[] };
}

/**
 * The ids of a logged call's predictions: the call's id when it has one
 * prediction, else `<id>/<index>`.
 *
 * @example
 * predictionIds('req-7', 2); // ['req-7/0', 'req-7/1']
 */
export function predictionIds(id: string, n: number): string[] {
  return n === 1 ? [id] : Array.from({ length: n }, (_, i) => `${id}/${i}`);
}

export interface PredictionLogOptions {
  /** `feedback.log`, whole. */
  config: FeedbackConfig['log'];
  /** Counts outcomes (`streamtune_prediction_log_records_total`). */
  count?: (outcome: 'logged' | 'dropped' | 'failed', n: number) => void;
  log?: (line: string) => void;
  /** Uniform in [0, 1), for sampling. @defaultValue Math.random */
  random?: () => number;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * Appends sampled predictions to the prediction log topic (`feedback.log.topic`,
 * key = prediction id), off the request path: `record` only pushes onto a bounded
 * buffer, which one background loop sends in batches. A full buffer drops the new
 * records and counts them; a broker error counts them as failed. Neither ever
 * slows or fails the call.
 *
 * @example
 * const log = new PredictionLog(kafka, { config: config.feedback.log });
 * await log.start();
 * new PredictionServer(fleet, metrics, { ..., predictionLog: log });
 */
export class PredictionLog implements PredictionLogger {
  private readonly producer: LazyProducer;
  private buffer: PredictionRecord[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly kafka: Kafka,
    private readonly o: PredictionLogOptions,
  ) {
    this.producer = new LazyProducer(kafka);
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    await ensureTopics(this.kafka, [{ topic: this.o.config.topic }]);
  }

  record(call: AnsweredCall): { id: string; ids: string[] } {
    const { config } = this.o;
    if (this.closed || !logsModel(config, call.model) || (config.sampleRate < 1 && this.random() >= config.sampleRate)) return { id: '', ids: [] };
    const id = call.requestId || randomUUID();
    const ids = predictionIds(id, call.predictions.length);
    const room = config.bufferSize - this.buffer.length;
    if (room < ids.length) {
      this.o.count?.('dropped', ids.length);
      return { id: '', ids: [] };
    }
    const ts = this.now();
    call.predictions.forEach((p, i) => {
      const output = p.label !== undefined ? { label: p.label, confidence: p.confidence } : { value: p.value };
      this.buffer.push({ id: ids[i]!, model: call.model, version: call.version, input: call.inputs[i]!, output, ts });
    });
    this.sending ??= this.drain();
    return { id, ids };
  }

  /** Sends the buffer in batches until it is empty. */
  private async drain(): Promise<void> {
    // Let the rest of this event-loop turn add to the batch.
    await new Promise((r) => setImmediate(r));
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.o.config.maxBatchRecords);
      try {
        await this.producer.send(this.o.config.topic, batch.map((r) => ({ key: r.id, value: JSON.stringify(r) })));
        this.o.count?.('logged', batch.length);
      } catch (err) {
        this.o.count?.('failed', batch.length);
        this.o.log?.(`prediction log: ${batch.length} predictions not logged: ${(err as Error).message}`);
      }
    }
    this.sending = undefined;
  }

  /** Sends what is buffered, then closes the producer. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.sending;
    await this.producer.close();
  }
}
