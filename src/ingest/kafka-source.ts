import kafkajs, { type Consumer, type Kafka } from 'kafkajs';
import { Observable } from 'rxjs';
import { BrokerError } from '../core/index.js';
import { headerText, type RawRecord, parseTpKey } from './raw-record.js';

export interface KafkaSourceOptions {
  topic: string;
  groupId: string;
  /** Where a group with no committed offset starts. @defaultValue true (earliest) */
  fromBeginning?: boolean;
  /** Records emitted but not yet acked before the partition is paused. @defaultValue 2000 */
  maxInFlight?: number;
  /** Longest time the broker holds a fetch open when no data is there. @defaultValue 100 */
  maxWaitTimeMs?: number;
  /** Group session timeout (the broker's minimum is 6000). @defaultValue 10000 */
  sessionTimeoutMs?: number;
  /**
   * Called each time this member is given partitions (start, rebalance,
   * standby takeover); returns where to read from (`topic/partition` → next
   * offset), e.g. the offsets of the newest checkpoint.
   */
  onAssigned?: () => Promise<Record<string, string>> | Record<string, string>;
  /**
   * Called each time the group gives this member its partitions of the topic
   * (an empty list too), before `onAssigned`: until then records of partitions
   * it lost may still be in flight.
   */
  onPartitions?: (partitions: number[]) => void;
  /** Called when the group starts a rebalance: this member may lose partitions. */
  onRebalancing?: () => void;
  /** How often a topic the brokers do not know yet is asked for again. @defaultValue 1000 */
  topicRetryMs?: number;
}

/**
 * Kafka as an RxJS source. Records are emitted in partition order and `ack`ed
 * by the caller when the step that used them is done; when `maxInFlight`
 * records are unacked, consumption pauses (the fetch loop waits, heartbeating)
 * and resumes once half have been acked, so memory stays bounded however fast
 * producers are. Offsets are never
 * auto-committed: the caller commits the offsets of a durable checkpoint with
 * {@link KafkaSource.commitOffsets}.
 *
 * @example
 * const source = new KafkaSource(kafka, { topic: 'streamtune.labels', groupId: 'trainer' });
 * source.records().pipe(concatMap(async (r) => { await learn(r); source.ack(r); })).subscribe();
 */
export class KafkaSource {
  private readonly consumer: Consumer;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stopped = false;
  private complete: (() => void) | undefined;
  /** Emitted and acked counts (for tests and stats). */
  emitted = 0;
  ackedCount = 0;
  /** Times consumption paused because `maxInFlight` records were unacked. */
  paused = 0;
  /** Times partitions were assigned to this member. */
  assignments = 0;
  private assigned: number[] = [];
  /** This member's id in the group, from its last join. */
  private memberId: string | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: KafkaSourceOptions,
  ) {
    const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 1024 * 1024,
      // Short broker-side waits: a resumed partition and a fresh label are fetched within ~100 ms.
      maxWaitTimeInMs: opts.maxWaitTimeMs ?? 100,
      // A trainer that dies without leaving the group holds its partitions until
      // this expires; 10 s (kafkajs: 30 s) lets a restarted or standby trainer take over sooner.
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    });
    this.maxInFlight = opts.maxInFlight ?? 2000;
  }

  /** Subscribing connects and starts consuming; `stop()` completes it. */
  records(): Observable<RawRecord> {
    return new Observable<RawRecord>((subscriber) => {
      const { topic } = this.opts;
      this.complete = () => subscriber.complete();
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
        this.memberId = payload.memberId;
        const mine = payload.memberAssignment[topic] ?? [];
        this.opts.onPartitions?.(mine);
        if (mine.length === 0) return;
        this.assignments++;
        this.assigned = mine;
        if (!this.opts.onAssigned) return;
        // Seek where the checkpoint ends. A synchronous answer seeks before the first
        // fetch; records fetched before a later seek are dropped by kafkajs (stale
        // batch) or skipped by the trainer's offset check.
        const offsets = this.opts.onAssigned();
        if (offsets instanceof Promise) offsets.then((o) => this.seekTo(o)).catch((err: unknown) => subscriber.error(err));
        else this.seekTo(offsets);
      });
      this.consumer.on(this.consumer.events.REBALANCING, () => this.opts.onRebalancing?.());
      // kafkajs restarts a crashed consumer itself unless the error is not retriable; then it stops
      // for good, and the stream must end with that error (the trainer exits and is restarted).
      this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart && !this.stopped) subscriber.error(payload.error);
      });
      (async () => {
        await this.consumer.connect();
        if (!(await this.subscribeWhenKnown())) return;
        await this.consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            for (const m of batch.messages) {
              if (this.inFlight >= this.maxInFlight) {
                // Backpressure: hold this partition's fetch loop (no new fetches, nothing
                // dropped or re-fetched) until the trainer has acked half of what it holds.
                this.paused++;
                while (this.inFlight > this.maxInFlight / 2 && isRunning() && !isStale() && !this.stopped) {
                  await new Promise<void>((resolve) => {
                    this.drained = resolve;
                    setTimeout(resolve, 1000).unref();
                  });
                  await heartbeat();
                }
              }
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
                ...(m.headers?.traceparent ? { traceparent: headerText(m.headers, 'traceparent'), tracestate: headerText(m.headers, 'tracestate') } : {}),
              });
              resolveOffset(m.offset);
            }
          },
        });
      })().catch((err: unknown) => subscriber.error(err));
    });
  }

  /**
   * Subscribes once the brokers know the topic: on a fresh cluster the broker asked
   * may hear of a topic just created a little after the one that created it, and a
   * topic someone else creates may come later still. Waits (one warning, then a
   * try every `topicRetryMs`) until then or until `stop()`; false when stopped first.
   */
  private async subscribeWhenKnown(): Promise<boolean> {
    const { topic } = this.opts;
    for (let told = false; ; told = true) {
      try {
        await this.consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
        return true;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
        if (!told) this.consumer.logger().warn(`topic ${topic} not known to the brokers yet (${type}): waiting for it`, { topic });
      }
      await new Promise((r) => setTimeout(r, this.opts.topicRetryMs ?? 1000));
      if (this.stopped) return false;
    }
  }

  /** Marks a record done, so the consumer may fetch more. */
  ack(_record: RawRecord): void {
    this.inFlight--;
    this.ackedCount++;
    if (this.drained && this.inFlight <= this.maxInFlight / 2) {
      const resume = this.drained;
      this.drained = undefined;
      resume();
    }
  }

  /** Moves the read position of assigned partitions (`topic/partition` → next offset). */
  seekTo(offsets: Record<string, string>): void {
    for (const [key, offset] of Object.entries(offsets)) {
      const { topic, partition } = parseTpKey(key);
      if (topic === this.opts.topic && this.assigned.includes(partition) && !this.stopped) {
        quietly(() => this.consumer.seek({ topic, partition, offset }));
      }
    }
  }

  /**
   * Asks the group coordinator whether this member owns `partition` of the topic
   * now: the group is stable and its current assignment gives the partition to
   * this member. False for a member the group has dropped (paused past the
   * session timeout) or that has the partition no more. Throws a retriable
   * {@link BrokerError} when it cannot tell (a rebalance under way, the
   * coordinator unreachable).
   */
  async owns(partition: number): Promise<boolean> {
    const { groupId, topic } = this.opts;
    if (!this.memberId) return false;
    const admin = this.kafka.admin();
    let group;
    try {
      await admin.connect();
      [group] = (await admin.describeGroups([groupId])).groups;
    } catch (err) {
      throw new BrokerError(`cannot ask the coordinator of group ${groupId} who owns ${topic}/${partition}: ${(err as Error).message}`, { groupId, topic, partition }, err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // Not a member at all (dropped after its session timed out): not the owner, whatever the group is doing.
    const me = group?.members.find((m) => m.memberId === this.memberId);
    if (!me) return false;
    if (group!.state !== 'Stable') throw new BrokerError(`group ${groupId} is ${group!.state}: who owns ${topic}/${partition} is not settled`, { groupId, topic, partition });
    // kafkajs is CommonJS: Node sees this export on its default object only.
    const assignment = kafkajs.AssignerProtocol.MemberAssignment.decode(me.memberAssignment)?.assignment ?? {};
    return (assignment[topic] ?? []).includes(partition);
  }

  /** Commits group offsets (`topic/partition` → next offset), e.g. those of a durable checkpoint. */
  async commitOffsets(offsets: Record<string, string>): Promise<void> {
    const list = Object.entries(offsets)
      .map(([key, offset]) => ({ ...parseTpKey(key), offset }))
      .filter((o) => o.topic === this.opts.topic);
    if (list.length > 0) await this.consumer.commitOffsets(list);
  }

  /**
   * Stops emitting and completes the observable, so downstream stages drain.
   * The consumer stays in its group (paused) so a last checkpoint can still be
   * committed before `close()`. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      quietly(() => this.consumer.pause([{ topic: this.opts.topic }]));
      this.complete?.();
    })();
    return this.stopping;
  }

  /** Stops, leaves the group and disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stop();
      await this.consumer.disconnect();
    })();
    return this.closing;
  }
}


/** Runs a consumer control call that may throw only because the consumer is not running. */
function quietly(f: () => void): void {
  try {
    f();
  } catch {
    /* not running: nothing to pause or resume */
  }
}
