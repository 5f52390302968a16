import { randomUUID } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
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

/** The log record of prediction `i` of a call, as JSON (the schema of docs/feedback.md). */
function encodeRecord(call: AnsweredCall, id: string, i: number, ts: number): string {
  const p = call.predictions[i]!;
  const output = p.label !== undefined ? { label: p.label, confidence: p.confidence } : { value: p.value };
  const record: PredictionRecord = { id, model: call.model, version: call.version, input: call.inputs[i]!, output, ts };
  return JSON.stringify(record);
}

/** A logged call waiting to be sent; `next`: its first prediction not yet taken. */
interface PendingCall {
  call: AnsweredCall;
  ids: string[];
  ts: number;
  next: number;
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
 * key = prediction id), off the request path: `record` only keeps a reference to
 * the answered call in a bounded buffer; one background loop waits up to
 * `lingerMs` for a batch to fill, then encodes each record once and sends up to
 * `maxBatchRecords` in one produce request (kafkajs spends much of its CPU per
 * request, so fewer, larger requests leave more to serving). A full buffer drops
 * the new records and counts them; a broker error counts them as failed. Neither
 * ever slows or fails the call.
 *
 * @example
 * const log = new PredictionLog(kafka, { config: config.feedback.log });
 * await log.start();
 * new PredictionServer(fleet, metrics, { ..., predictionLog: log });
 */
export class PredictionLog implements PredictionLogger {
  private readonly producer: LazyProducer;
  private pending: PendingCall[] = [];
  /** Predictions in `pending` not yet taken for a send. */
  private size = 0;
  private sending: Promise<void> | undefined;
  /** Ends the current linger early (a full batch, or close). */
  private wake: (() => void) | undefined;
  private closed = false;
  /** The topic's partition when it has only one (see `start`); else records are partitioned by key. */
  private partition: number | undefined;
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
    const { topic } = this.o.config;
    await ensureTopics(this.kafka, [{ topic }]);
    // A topic of one partition (ensureTopics' default) gets its records sent to it by
    // number: the partition kafkajs would pick anyway, without a murmur2 hash of each key.
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
      this.partition = partitions.length === 1 ? partitions[0]!.partitionId : undefined;
    } finally {
      await admin.disconnect();
    }
  }

  record(call: AnsweredCall): { id: string; ids: string[] } {
    const { config } = this.o;
    if (this.closed || !logsModel(config, call.model) || (config.sampleRate < 1 && this.random() >= config.sampleRate)) return { id: '', ids: [] };
    const n = call.predictions.length;
    if (config.bufferSize - this.size < n) {
      this.o.count?.('dropped', n);
      return { id: '', ids: [] };
    }
    const id = call.requestId || randomUUID();
    const ids = predictionIds(id, n);
    this.pending.push({ call, ids, ts: this.now(), next: 0 });
    this.size += n;
    if (this.size >= config.maxBatchRecords) this.wake?.();
    this.sending ??= this.drain();
    return { id, ids };
  }

  /** Waits `lingerMs` (at least the rest of this event-loop turn), or less when woken. */
  private linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const ms = this.o.config.lingerMs;
      const timer = ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve);
      this.wake = () => {
        if (ms > 0) clearTimeout(timer as NodeJS.Timeout);
        else clearImmediate(timer as NodeJS.Immediate);
        resolve();
      };
    }).then(() => {
      this.wake = undefined;
    });
  }

  /** Takes up to `max` buffered predictions, encoded as messages. */
  private take(max: number): Message[] {
    const messages: Message[] = [];
    let done = 0;
    for (const p of this.pending) {
      while (p.next < p.ids.length && messages.length < max) {
        const i = p.next++;
        messages.push({ key: p.ids[i]!, value: encodeRecord(p.call, p.ids[i]!, i, p.ts), partition: this.partition });
      }
      if (p.next < p.ids.length) break;
      done++;
    }
    this.pending.splice(0, done);
    this.size -= messages.length;
    return messages;
  }

  /** Sends the buffer in batches until it is empty. */
  private async drain(): Promise<void> {
    const { config } = this.o;
    while (this.size > 0) {
      if (this.size < config.maxBatchRecords && !this.closed) await this.linger();
      const batch = this.take(config.maxBatchRecords);
      try {
        await this.producer.send(config.topic, batch);
        this.o.count?.('logged', batch.length);
      } catch (err) {
        this.o.count?.('failed', batch.length);
        this.o.log?.(`prediction log: ${batch.length} predictions not logged: ${(err as Error).message}`);
      }
    }
    this.sending = undefined;
  }

  /** Sends what is buffered (at once, not waiting out the linger), then closes the producer. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.sending;
    await this.producer.close();
  }
}
