import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { BrokerError, InvalidInputError, PreconditionError } from '../core/index.js';
import { LazyProducer, type LabelReference } from '../ingest/index.js';
import type { PredictionEngine } from './prediction-engine.js';

/** Where labels by reference go: the labels topic (key = prediction id). */
export interface FeedbackSink {
  readonly topic: string;
  send(ref: LabelReference): Promise<void>;
}

/** A {@link FeedbackSink} on Kafka: an idempotent producer, acks=all. */
export class KafkaFeedbackSink implements FeedbackSink {
  private readonly producer: LazyProducer;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = new LazyProducer(kafka);
  }

  async send(ref: LabelReference): Promise<void> {
    try {
      await this.producer.send(this.topic, [{ key: ref.prediction_id, value: JSON.stringify(ref) }]);
    } catch (err) {
      throw new BrokerError(`feedback not sent to ${this.topic}: ${(err as Error).message}`, { topic: this.topic }, err);
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

/** One piece of feedback as any API receives it; `field` names its parts in errors as the caller's protocol does. */
export interface FeedbackCall {
  model: string;
  predictionId: string;
  /** A class label (classification) or a value (regression); undefined: none given. */
  label: string | number | undefined;
  field: { predictionId: string; label: string };
}

/**
 * Feedback from any API (the Feedback RPC, `POST /v2/models/{m}/feedback`):
 * checks the model, the id and the label against the served model's task and
 * labels, then sends a label by reference for the joiner to complete.
 *
 * @example
 * await new FeedbackIntake(engine, sink).submit({ model: 'digits', predictionId: 'p1', label: '7', field: { predictionId: 'prediction_id', label: 'label' } });
 */
export class FeedbackIntake {
  constructor(
    private readonly engine: PredictionEngine,
    private readonly sink: FeedbackSink | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async submit(call: FeedbackCall): Promise<{ eventId: string; topic: string }> {
    const { holder } = this.engine.model(call.model);
    const { predictionId, label, field } = call;
    if (predictionId === '') throw new InvalidInputError('missing', field.predictionId, `${field.predictionId} is empty: send the prediction id the server returned`);
    if (predictionId.length > 256) throw new InvalidInputError('too_long', field.predictionId, `${field.predictionId} is ${predictionId.length} characters, over the limit of 256`);
    const lease = holder.acquire();
    const { task, labels } = lease.meta.description;
    lease.release();
    if (task === 'classification') {
      if (typeof label !== 'string' || label === '') throw new InvalidInputError('missing', field.label, `${field.label}: set the true class label (one of ${labels.join(', ')})`);
      if (!labels.includes(label)) throw new InvalidInputError('unknown_label', field.label, `${field.label}: "${label.slice(0, 64)}" is not one of the model's labels (${labels.join(', ')})`);
    } else if (typeof label !== 'number' || !Number.isFinite(label)) {
      throw new InvalidInputError('missing', field.label, `${field.label}: set the true value (a finite number) of this regression model`);
    }
    if (!this.sink) throw new PreconditionError('feedback needs Kafka brokers (kafka.brokers / KAFKA_BROKERS): this server has none');
    const ref: LabelReference = { id: `feedback-${randomUUID()}`, model: holder.name, prediction_id: predictionId, label, ts: this.now() };
    await this.sink.send(ref);
    return { eventId: ref.id, topic: this.sink.topic };
  }
}
