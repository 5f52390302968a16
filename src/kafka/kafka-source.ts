import type { Consumer, Kafka } from 'kafkajs';
import { Observable } from 'rxjs';
import { type RawRecord, tpKey } from './raw-record.js';

export interface KafkaSourceOptions {
  topic: string;
  groupId: string;
  /** Where a group with no committed offset starts. @defaultValue true (earliest) */
  fromBeginning?: boolean;
  /** Records emitted but not yet acked before the partition is paused. @defaultValue 2000 */
  maxInFlight?: number;
  /** How often acked offsets are committed. @defaultValue 1000 */
  commitIntervalMs?: number;
  /** Longest time the broker holds a fetch open when no data is there. @defaultValue 100 */
  maxWaitTimeMs?: number;
  /** Group session timeout. @defaultValue 10000 */
  sessionTimeoutMs?: number;
  /** Offsets to start from (`topic/partition` → next offset), e.g. from a saved version. */
  startOffsets?: Record<string, string>;
}

/**
 * Kafka as an RxJS source. Records are emitted in partition order; the caller
 * `ack`s each record once the step that used it is done, and only acked offsets
 * are committed (manual commits, never auto-commit). When `maxInFlight` records
 * are unacked the partition is paused, and resumed once half have been acked, so
 * memory stays bounded however fast producers are.
 *
 * @example
 * const source = new KafkaSource(kafka, { topic: 'streamtune.labels', groupId: 'trainer' });
 * source.records().pipe(concatMap(async (r) => { await learn(r); source.ack(r); })).subscribe();
 */
export class KafkaSource {
  private readonly consumer: Consumer;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly resumes = new Map<number, () => void>();
  /** Next offset to commit per partition (last acked + 1). */
  private readonly acked = new Map<number, string>();
  private readonly committed = new Map<number, string>();
  private commitTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stopped = false;
  private complete: (() => void) | undefined;
  /** Emitted and acked counts (for tests and stats). */
  emitted = 0;
  ackedCount = 0;

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaSourceOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 1024 * 1024,
      // Short broker-side waits: a resumed partition and a fresh label are fetched within ~100 ms.
      maxWaitTimeInMs: opts.maxWaitTimeMs ?? 100,
      // A trainer that dies without leaving the group holds its partitions until
      // this expires; 10 s (kafkajs: 30 s) makes a restarted or standby trainer take over sooner.
      sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.min(3000, Math.floor((opts.sessionTimeoutMs ?? 10_000) / 3)),
    });
    this.maxInFlight = opts.maxInFlight ?? 2000;
  }

  /** Subscribing connects and starts consuming; unsubscribing stops (without commit; call `close`). */
  records(): Observable<RawRecord> {
    return new Observable<RawRecord>((subscriber) => {
      const { topic } = this.opts;
      let seeked = false;
      this.complete = () => subscriber.complete();
      (async () => {
        await this.consumer.connect();
        await this.consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
        if (this.opts.startOffsets) {
          // Seeking is only allowed once partitions are assigned: do it on the first join.
          this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
            if (seeked) return;
            seeked = true;
            for (const [key, offset] of Object.entries(this.opts.startOffsets ?? {})) {
              const [t, p] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
              if (t === topic) this.consumer.seek({ topic, partition: p, offset });
            }
          });
        }
        await this.consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, pause, isRunning, isStale }) => {
            for (const m of batch.messages) {
              if (!isRunning() || isStale() || subscriber.closed || this.stopped) break;
              this.inFlight++;
              this.emitted++;
              subscriber.next({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                key: m.key,
                value: m.value,
                timestamp: m.timestamp,
              });
              resolveOffset(m.offset);
              if (this.inFlight >= this.maxInFlight) {
                // The rest of this batch is dropped by kafkajs and fetched again on resume.
                this.resumes.set(batch.partition, pause());
                break;
              }
            }
          },
        });
        this.commitTimer = setInterval(() => void this.commit().catch(() => undefined), this.opts.commitIntervalMs ?? 1000);
      })().catch((err: unknown) => subscriber.error(err));
      return () => {
        if (this.commitTimer) clearInterval(this.commitTimer);
      };
    });
  }

  /** Marks a record done: its offset may be committed. Acks must come in partition order. */
  ack(record: RawRecord): void {
    this.inFlight--;
    this.ackedCount++;
    this.acked.set(record.partition, (BigInt(record.offset) + 1n).toString());
    if (this.inFlight <= this.maxInFlight / 2 && this.resumes.size > 0 && !this.stopped) {
      for (const resume of this.resumes.values()) resume();
      this.resumes.clear();
    }
  }

  /** Next offsets to read per `topic/partition`, as far as records have been acked. */
  positions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [p, o] of this.acked) out[tpKey(this.opts.topic, p)] = o;
    return out;
  }

  /** Commits acked offsets that are not committed yet. */
  async commit(): Promise<void> {
    const offsets = [...this.acked]
      .filter(([p, o]) => this.committed.get(p) !== o)
      .map(([partition, offset]) => ({ topic: this.opts.topic, partition, offset }));
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets);
    for (const o of offsets) this.committed.set(o.partition, o.offset);
  }

  /**
   * Stops emitting and completes the observable, so downstream stages drain.
   * The consumer stays in its group (paused) so that `close()` can still commit
   * what the drained stages ack. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      try {
        this.consumer.pause([{ topic: this.opts.topic }]);
      } finally {
        this.complete?.();
      }
    })();
    return this.stopping;
  }

  /** Stops, commits what was acked, then leaves the group and disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.commitTimer) clearInterval(this.commitTimer);
      try {
        await this.stop();
        await this.commit();
      } finally {
        await this.consumer.disconnect();
      }
    })();
    return this.closing;
  }
}
