import type { Kafka, Producer } from 'kafkajs';
import { BrokerError, FencedError, SerialQueue } from '../core/index.js';
import { ensureRegistryTopic, sendVersionRecords, type VersionFiles } from './kafka-registry-publisher.js';
import { DEFAULT_CHUNK_BYTES } from './registry-records.js';

/** A checkpoint complete in its temporary folder, and the offsets (`topic/partition` → next) its weights include. */
export interface StagedVersion extends VersionFiles {
  offsets: Record<string, string>;
}

export interface RegistryTransactionsOptions {
  kafka: Kafka;
  /** The compacted registry topic versions are published to. */
  registryTopic: string;
  /** The labels topic whose partitions the trainers of `groupId` split. */
  labelsTopic: string;
  /** The trainers' consumer group: offsets are committed for it inside each transaction. */
  groupId: string;
  /** @defaultValue 524288 */
  chunkBytes?: number;
  /**
   * How long a transaction may stay open: one cut short by a paused or dead
   * trainer holds back readers of the registry topic at most this long.
   * @defaultValue 30_000
   */
  transactionTimeoutMs?: number;
}

/** Kafka error types that mean another producer with this transactional id took over. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_TXN_STATE']);

/**
 * The fence between trainers of one group when versions travel through the
 * registry topic: one transactional producer per labels partition, with the
 * transactional id `<groupId>.<labelsTopic>.<partition>`. A trainer that is
 * assigned a partition initialises its producer before it restores anything
 * ({@link own}); the broker then aborts whatever the previous owner left open
 * and refuses every later write of it. Each checkpoint goes out as one
 * transaction ({@link commit}): the version's chunks and manifest and the group
 * offsets past its events, all or nothing. Readers of the registry topic read
 * committed records only, so a fenced trainer's version is never loaded, two
 * versions never share a name, and offsets never pass events that the next
 * owner cannot load.
 *
 * @example
 * const tx = new RegistryTransactions({ kafka, registryTopic: 'streamtune.registry', labelsTopic: 'streamtune.labels', groupId: 'streamtune-trainer' });
 * await tx.own([0, 2]);                       // on assignment, before restoring checkpoints
 * await tx.commit(0, [staged], '1234');       // a checkpoint of a model on partition 0
 */
export class RegistryTransactions {
  private readonly producers = new Map<number, { producer: Producer; ready: Promise<void> }>();
  private topicReady: Promise<void> | undefined;
  private owned = new Set<number>();
  /** Partitions whose producer was dropped after a failed transaction: asked again whose they are before a new one starts. */
  private readonly unverified = new Set<number>();
  /** Transactions run one at a time (a producer has at most one open). */
  private readonly queue = new SerialQueue('the registry transactions');

  constructor(private readonly o: RegistryTransactionsOptions) {}

  /** The transactional id of a labels partition. */
  transactionalId(partition: number): string {
    return `${this.o.groupId}.${this.o.labelsTopic}.${partition}`;
  }

  /**
   * Takes these partitions over: initialises their producers (which fences any
   * other holder and aborts its open transaction) and lets go of the others.
   */
  own(partitions: readonly number[]): Promise<void> {
    return this.queue.run(async () => {
      this.owned = new Set(partitions);
      // The assignment is the group's word: a producer made now needs no other check.
      this.unverified.clear();
      for (const [p, { producer }] of [...this.producers]) {
        if (partitions.includes(p)) continue;
        this.producers.delete(p);
        await producer.disconnect().catch(() => undefined);
      }
      for (const p of partitions) await this.producer(p);
    });
  }

  /**
   * One transaction on `partition`'s producer: every version of `versions`
   * (chunks, then manifest), then the group's offset for the partition when
   * given. Throws a {@link FencedError} when another trainer owns the partition
   * now. Any other failure (a broker lost, a coordinator moving) aborts the
   * transaction and throws a retriable {@link BrokerError}: nothing of it counts,
   * and the caller tries again later.
   *
   * The broker also ends a transaction of a trainer that still owns its
   * partition (a coordinator that failed over, a transaction that outlived its
   * timeout meanwhile), with the same error as a fence. Then `owns` — the group
   * coordinator's word — tells the two apart: still the owner, the trainer starts
   * a new producer (asking again once it is made, in case the partition moved
   * meanwhile) and retries; not the owner, it is fenced.
   */
  commit(partition: number, versions: readonly VersionFiles[], offset: string | null, owns?: (partition: number) => Promise<boolean>): Promise<void> {
    return this.queue.run(async () => {
      if (versions.length === 0 && offset === null) return;
      this.topicReady ??= ensureRegistryTopic(this.o.kafka, this.o.registryTopic, this.o.chunkBytes ?? DEFAULT_CHUNK_BYTES).catch((err: unknown) => {
        this.topicReady = undefined;
        throw err;
      });
      await this.topicReady;
      // Only a partition this trainer was given: a producer made for another would fence its owner.
      if (!this.owned.has(partition)) throw new FencedError(`partition ${partition} of ${this.o.labelsTopic} is not this trainer's`, { partition, topic: this.o.labelsTopic });
      const context = { partition, topic: this.o.labelsTopic, transactionalId: this.transactionalId(partition) };
      if (this.unverified.has(partition)) await this.reown(partition, owns);
      const producer = await this.producer(partition).catch((err: unknown) => Promise.reject(new BrokerError(`cannot start the transactional producer of ${context.transactionalId}: ${(err as Error).message}`, context, err)));
      let txn;
      try {
        txn = await producer.transaction();
        for (const v of versions) await sendVersionRecords((messages) => txn!.send({ topic: this.o.registryTopic, acks: -1, messages }), v, this.o.chunkBytes ?? DEFAULT_CHUNK_BYTES);
        if (offset !== null) {
          await txn.sendOffsets({ consumerGroupId: this.o.groupId, topics: [{ topic: this.o.labelsTopic, partitions: [{ partition, offset }] }] });
        }
        await txn.commit();
      } catch (err) {
        // A failed commit, or abort, leaves kafkajs' producer mid-transaction for good: only one aborted cleanly is used again.
        const reusable = txn?.isActive() === true && (await txn.abort().then(() => true, () => false));
        if (isFenced(err) || !reusable) {
          this.producers.delete(partition);
          this.unverified.add(partition);
          await producer.disconnect().catch(() => undefined);
        }
        if (isFenced(err) && !(await this.stillOwner(partition, owns))) {
          this.owned.delete(partition);
          throw new FencedError(`partition ${partition} of ${this.o.labelsTopic} belongs to another trainer now: this trainer's writes for it are refused`, context, err);
        }
        throw new BrokerError(`the checkpoint's transaction on ${context.transactionalId} failed (nothing of it counts; tried again later): ${(err as Error).message}`, context, err);
      }
    });
  }

  /** Whether the group coordinator says this trainer owns `partition` (false when there is no one to ask); throws a BrokerError when it cannot tell. */
  private async stillOwner(partition: number, owns: ((partition: number) => Promise<boolean>) | undefined): Promise<boolean> {
    return owns !== undefined && (await owns(partition));
  }

  /**
   * A new producer for a partition whose last one was dropped, only while this
   * trainer owns the partition, before and after the new producer fences the old
   * one: the check after catches a partition moved meanwhile, whose new owner
   * (fenced by this producer in turn) then goes through the same check itself.
   */
  private async reown(partition: number, owns: ((partition: number) => Promise<boolean>) | undefined): Promise<void> {
    const context = { partition, topic: this.o.labelsTopic, transactionalId: this.transactionalId(partition) };
    const refused = async (): Promise<FencedError> => {
      this.owned.delete(partition);
      this.unverified.delete(partition);
      // A producer made for a partition that moved meanwhile is of no use: the next assignment makes its own.
      const made = this.producers.get(partition);
      this.producers.delete(partition);
      await made?.producer.disconnect().catch(() => undefined);
      return new FencedError(`partition ${partition} of ${this.o.labelsTopic} belongs to another trainer now: this trainer's writes for it are refused`, context);
    };
    if (!(await this.stillOwner(partition, owns))) throw await refused();
    await this.producer(partition).catch((err: unknown) => Promise.reject(new BrokerError(`cannot start the transactional producer of ${context.transactionalId}: ${(err as Error).message}`, context, err)));
    if (!(await this.stillOwner(partition, owns))) throw await refused();
    this.unverified.delete(partition);
  }

  /** Disconnects every producer (open transactions are aborted by the broker). Idempotent. */
  async close(): Promise<void> {
    await this.queue.close();
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(all.map(({ producer }) => producer.disconnect().catch(() => undefined)));
  }

  private async producer(partition: number): Promise<Producer> {
    let entry = this.producers.get(partition);
    if (!entry) {
      const producer = this.o.kafka.producer({
        transactionalId: this.transactionalId(partition),
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: this.o.transactionTimeoutMs ?? 30_000,
      });
      const ready = (async () => {
        await producer.connect();
        // kafkajs initialises a transactional id on its first transaction: an empty one fences the previous holder now.
        const txn = await producer.transaction();
        await txn.abort();
      })();
      entry = { producer, ready };
      this.producers.set(partition, entry);
      ready.catch(() => this.producers.get(partition) === entry && this.producers.delete(partition));
    }
    await entry.ready;
    return entry.producer;
  }

}

/** Whether a kafkajs error (or its cause) says the producer was fenced. */
export function isFenced(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type && FENCED.has(e.type)) return true;
    if (e instanceof FencedError) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}
