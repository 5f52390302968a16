import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { SerialQueue, TypedEmitter, type FeedbackConfig } from '../core/index.js';
import { deadLetterMessage, decodeLabelMessage, ensureTopics, predictionRecordSchema, type LabelReference, type PredictionRecord } from '../ingest/index.js';
import type { FeedbackMetrics } from '../ops/index.js';
import { JoinState, noEffects, type JoinEffects, type StateRecord } from './join-state.js';
import { ServedScore } from './served-score.js';

export interface FeedbackJoinerOptions {
  kafka: Kafka;
  /** The `feedback` section, whole. */
  feedback: FeedbackConfig;
  labelsTopic: string;
  dlqTopic: string;
  metrics: FeedbackMetrics;
  log?: (line: string) => void;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** What a {@link FeedbackJoiner} emits. */
export interface FeedbackJoinerEvents {
  /** A step's writes were committed. */
  committed: (fx: JoinEffects) => void;
  /** A write failed (or another joiner fenced this one): the joiner has stopped; start a new one. */
  failed: (err: Error) => void;
}

/** Key of the sync marker a starting joiner writes to the state topic, to know when it has read it all. */
const SYNC_KEY = '\u0000sync';

/**
 * Joins labels sent by reference (`prediction_id`) to the logged prediction they
 * judge, and sends each as a complete label event on the labels topic, once.
 *
 * Fence: one transactional producer, id `feedback.groupId`. Starting one fences
 * any joiner before it (its open transaction is aborted, its later writes refused).
 * Each step — the joined events, the dead letters (`no_prediction`,
 * `duplicate_feedback`), the state records and the labels group's offsets — is one
 * transaction, so a joiner killed at any point leaves either all of a step or none.
 * Its memory is rebuilt at start from the compacted state topic (read to a marker
 * it writes itself, read-committed) and the prediction log (re-read from the start;
 * predictions past their window are skipped).
 *
 * @example
 * const j = new FeedbackJoiner({ kafka, feedback: config.feedback, labelsTopic, dlqTopic, metrics: createFeedbackMetrics() });
 * await j.start();
 */
export class FeedbackJoiner extends TypedEmitter<FeedbackJoinerEvents> {
  private readonly state: JoinState;
  private readonly score: ServedScore;
  private readonly queue = new SerialQueue('the feedback joiner');
  private producer: Producer | undefined;
  private readonly consumers: Consumer[] = [];
  private readonly ephemeralGroups: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: FeedbackJoinerOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.state = new JoinState(o.feedback.windowMs, this.now);
    this.score = new ServedScore(o.metrics);
  }

  async start(): Promise<void> {
    const { kafka, feedback } = this.o;
    await ensureTopics(kafka, [
      { topic: feedback.log.topic },
      { topic: this.o.labelsTopic },
      { topic: this.o.dlqTopic },
      { topic: feedback.stateTopic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
    this.producer = kafka.producer({ transactionalId: feedback.groupId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000 });
    // Connecting initialises the transactional id: any joiner before this one is fenced now.
    await this.producer.connect();
    await this.restoreState();
    await this.follow(`${feedback.groupId}-predictions-${randomUUID()}`, feedback.log.topic, true, (b) => this.onPredictions(b));
    await this.follow(feedback.groupId, this.o.labelsTopic, false, (b) => this.onLabels(b));
    this.timer = setInterval(() => void this.step((fx) => this.state.sweep(fx)), feedback.sweepIntervalMs);
    this.timer.unref();
  }

  /** Labels waiting for their prediction, labelled ids and predictions in memory. */
  get sizes(): { pending: number; labelled: number; predictions: number } {
    return { pending: this.state.pending.size, labelled: this.state.labelled.size, predictions: this.state.predictions.size };
  }

  /** Reads the state topic up to a marker written now: everything committed before this joiner started. */
  private async restoreState(): Promise<void> {
    const topic = this.o.feedback.stateTopic;
    const nonce = randomUUID();
    await this.transaction(async (txn) => void (await txn.send({ topic, acks: -1, messages: [{ key: SYNC_KEY, value: nonce }] })));
    const groupId = `${this.o.feedback.groupId}-state-${nonce}`;
    const consumer = this.o.kafka.consumer({ groupId, readUncommitted: false });
    let synced!: () => void;
    const done = new Promise<void>((resolve) => (synced = resolve));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const id = message.key?.toString('utf8') ?? '';
          if (id === SYNC_KEY) {
            if (message.value?.toString('utf8') === nonce) synced();
            return;
          }
          this.state.restore(id, message.value ? (JSON.parse(message.value.toString('utf8')) as StateRecord) : null);
        },
      });
      await done;
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await this.deleteGroups([groupId]);
    }
    this.o.metrics.pending.set(this.state.pending.size);
    this.o.log?.(`feedback joiner: state restored (${this.state.labelled.size} labelled, ${this.state.pending.size} waiting for their prediction)`);
  }

  private async follow(groupId: string, topic: string, ephemeral: boolean, each: (b: EachBatchPayload) => Promise<void>): Promise<void> {
    const consumer = this.o.kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: 10_000 });
    this.consumers.push(consumer);
    if (ephemeral) this.ephemeralGroups.push(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: each });
  }

  private async onPredictions({ batch }: EachBatchPayload): Promise<void> {
    const records: PredictionRecord[] = [];
    for (const m of batch.messages) {
      try {
        const parsed = predictionRecordSchema.safeParse(JSON.parse(m.value?.toString('utf8') ?? 'null'));
        if (parsed.success) records.push(parsed.data as PredictionRecord);
      } catch {
        // Not a prediction record: the log is written by servers only; skip it.
      }
    }
    await this.step((fx) => {
      for (const r of records) this.state.prediction(r, fx);
    });
  }

  private async onLabels({ batch }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    await this.step(
      (fx) => {
        for (const m of batch.messages) {
          let ref: LabelReference;
          try {
            const decoded = decodeLabelMessage(m.value);
            if (!('prediction_id' in decoded)) continue;
            ref = decoded;
          } catch {
            // A bad event is the trainer's to dead-letter (it reads this topic too).
            continue;
          }
          this.state.reference(ref, { topic: batch.topic, partition: batch.partition, offset: m.offset }, fx);
        }
      },
      { topic: batch.topic, partition: batch.partition, offset: next },
    );
  }

  /** One step: changes the state, and writes what it says (and the labels offset) in one transaction. */
  private step(change: (fx: JoinEffects) => void, offset?: { topic: string; partition: number; offset: string }): Promise<void> {
    return this.queue
      .run(async () => {
        const fx = noEffects();
        change(fx);
        if (fx.joined.length + fx.deadLetters.length + fx.state.length > 0 || offset) await this.write(fx, offset);
        this.o.metrics.pending.set(this.state.pending.size);
        this.score.count(fx);
        this.emit('committed', fx);
      })
      .catch((err: unknown) => this.fail(err as Error));
  }

  private async write(fx: JoinEffects, offset?: { topic: string; partition: number; offset: string }): Promise<void> {
    const { feedback, labelsTopic, dlqTopic } = this.o;
    await this.transaction(async (txn) => {
      if (fx.joined.length > 0) await txn.send({ topic: labelsTopic, acks: -1, messages: fx.joined.map((j) => ({ key: j.event.id, value: JSON.stringify(j.event) })) });
      if (fx.deadLetters.length > 0) {
        const messages = fx.deadLetters.map((d) => deadLetterMessage({ record: { ...d.source, key: Buffer.from(d.ref.prediction_id), value: Buffer.from(JSON.stringify(d.ref)), timestamp: '' }, reason: d.reason, message: d.message }));
        await txn.send({ topic: dlqTopic, acks: -1, messages });
      }
      if (fx.state.length > 0) await txn.send({ topic: feedback.stateTopic, acks: -1, messages: fx.state.map((s) => ({ key: s.id, value: s.value && JSON.stringify(s.value) })) });
      if (offset) await txn.sendOffsets({ consumerGroupId: feedback.groupId, topics: [{ topic: offset.topic, partitions: [{ partition: offset.partition, offset: offset.offset }] }] });
    });
  }

  private async transaction(body: (txn: Awaited<ReturnType<Producer['transaction']>>) => Promise<void>): Promise<void> {
    const txn = await this.producer!.transaction();
    try {
      await body(txn);
      await txn.commit();
    } catch (err) {
      if (txn.isActive()) await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  private fail(err: Error): void {
    if (this.closing) return;
    this.o.log?.(`feedback joiner stopped: ${err.message}`);
    void this.close();
    this.emit('failed', err);
  }

  private async deleteGroups(groups: string[]): Promise<void> {
    if (groups.length === 0) return;
    const admin = this.o.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups(groups);
    } catch {
      // An empty group left behind expires on its own (offsets.retention.minutes).
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Stops consuming, lets the step in progress finish, disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      for (const c of this.consumers) await c.disconnect().catch(() => undefined);
      await this.queue.close();
      await this.producer?.disconnect().catch(() => undefined);
      await this.deleteGroups(this.ephemeralGroups);
    })();
    return this.closing;
  }
}
