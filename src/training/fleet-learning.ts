import type { Kafka } from 'kafkajs';
import type { KafkaConfig, TrainingConfig } from '../core/index.js';
import { DeadLetterSink, KafkaSource, ensureTopics } from '../ingest/index.js';
import type { RegistryTransactions, StagedVersion, VersionStore } from '../registry/index.js';
import { runSteps } from './step-loop.js';
import { TrainerFleet, type TrainerFleetOptions } from './trainer-fleet.js';

/** Longest wait for the local registry to catch up with the topic after a failed transaction. */
const SYNC_AFTER_FAILURE_MS = 30_000;

export interface FleetLearningOptions extends Pick<TrainerFleetOptions, 'defaultModel' | 'backend' | 'holdout' | 'onStats' | 'onVersion' | 'onRollback' | 'onModel' | 'log'> {
  kafka: Kafka;
  /** Topics and group of the `kafka` config section. */
  topics: Pick<KafkaConfig, 'labelsTopic' | 'dlqTopic' | 'groupId'> & Partial<Pick<KafkaConfig, 'sessionTimeoutMs'>>;
  /** The `training` config section, whole (see `trainingConfig()` for one with defaults). */
  training: TrainingConfig;
  store: VersionStore;
  /**
   * The registry on Kafka: checkpoints and the offsets past their events go to the
   * registry topic in one transaction per labels partition, fenced per partition;
   * `sync` catches the local registry up with the topic (a new owner restores from it).
   * Absent: the local registry is the bar, offsets are committed by the consumer.
   */
  registry?: { transactions: RegistryTransactions; sync(): Promise<void> };
}

/** A running trainer of many models. */
export interface FleetLearning {
  fleet: TrainerFleet;
  source: KafkaSource;
  /** Settles when the pipeline ends (after `close()`, or rejects on a fatal error). */
  done: Promise<void>;
  /** Stops consuming, finishes the step under way, saves a last checkpoint of every model and commits. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wires one consumer of the labels topic to a {@link TrainerFleet}: Kafka →
 * micro-batch → route by model, decode, train step per model (`concatMap`: one
 * at a time) → checkpoint versions per model. Members of one group split the
 * partitions; with events partitioned by model, each model is learned by one
 * trainer at a time and moves, with its checkpoint, when its partition does.
 * On each assignment the consumer reads from the group's committed offsets,
 * which never pass a record some model has not saved.
 *
 * @example
 * const fl = await startFleetLearning({ kafka, topics: config.kafka, training: config.training, store, defaultModel: config.model, backend });
 * // … later
 * await fl.close();
 */
export async function startFleetLearning(o: FleetLearningOptions): Promise<FleetLearning> {
  const { topics, training } = o;
  await ensureTopics(o.kafka, [{ topic: topics.labelsTopic }, { topic: topics.dlqTopic }]);
  const dlq = new DeadLetterSink(o.kafka, topics.dlqTopic);
  // The callbacks below reach `source` only once records flow, after it exists.
  const fleet: TrainerFleet = new TrainerFleet({
    ...o,
    topic: topics.labelsTopic,
    deadLetters: dlq,
    ack: (r) => source.ack(r),
    commitsBeforeInstall: o.registry !== undefined,
    commit: (offsets, versions) => (o.registry ? commitInRegistry(o.registry, topics.labelsTopic, offsets, versions, (p) => source.owns(p)) : source.commitOffsets(offsets)),
    owned: async (partitions) => {
      if (!o.registry) return;
      // Fence first, then read the registry: whatever the previous owner committed before the fence is seen.
      await o.registry.transactions.own(partitions);
      await o.registry.sync();
    },
  });
  const source: KafkaSource = new KafkaSource(o.kafka, {
    topic: topics.labelsTopic,
    groupId: topics.groupId,
    maxInFlight: training.maxInFlight,
    sessionTimeoutMs: topics.sessionTimeoutMs,
    onRebalancing: () => fleet.revoke(),
    onPartitions: (partitions) => fleet.assign(topics.labelsTopic, partitions),
  });
  // Ticks save versions on time when the stream goes quiet, and let events held for a model's own batch go once they have waited modelBatchWaitMs.
  const tickMs = Math.max(training.modelBatchWaitMs > 0 ? 50 : 100, Math.floor(Math.min(training.versionEveryMs / 2, training.modelBatchWaitMs || Infinity)));
  const done = runSteps(source.records(), training, tickMs, (b) => fleet.step(b));
  let closing: Promise<void> | undefined;
  return {
    fleet,
    source,
    done,
    close: () =>
      (closing ??= (async () => {
        await source.stop();
        await done.catch(() => undefined);
        await fleet.saveAll();
        await source.close();
        await dlq.close();
        fleet.dispose();
      })()),
  };
}

/**
 * {@link commitInTransactions}; when they fail, the local registry catches up
 * with the topic before the error goes on: a transaction whose commit the
 * broker finished after this trainer heard it fail holds a version, which the
 * next checkpoint must not name again.
 */
async function commitInRegistry(
  registry: NonNullable<FleetLearningOptions['registry']>,
  labelsTopic: string,
  offsets: Record<string, string>,
  versions: readonly StagedVersion[],
  owns: (partition: number) => Promise<boolean>,
): Promise<void> {
  try {
    await commitInTransactions(registry.transactions, labelsTopic, offsets, versions, owns);
  } catch (err) {
    // Bounded: with the brokers away the catch-up waits for them, and the checkpoint is tried again anyway.
    if (versions.length > 0) await Promise.race([registry.sync().catch(() => undefined), new Promise((r) => setTimeout(r, SYNC_AFTER_FAILURE_MS).unref())]);
    throw err;
  }
}

/**
 * Commits per labels partition, one transaction each: a version goes with the
 * lowest partition its offsets name (models are keyed to one partition), and
 * every partition's group offset with its own transaction.
 */
async function commitInTransactions(
  tx: RegistryTransactions,
  labelsTopic: string,
  offsets: Record<string, string>,
  versions: readonly StagedVersion[],
  owns: (partition: number) => Promise<boolean>,
): Promise<void> {
  const partitionOf = (key: string): number | null => (key.startsWith(`${labelsTopic}/`) ? Number(key.slice(labelsTopic.length + 1)) : null);
  const byPartition = new Map<number, { versions: StagedVersion[]; offset: string | null }>();
  const entry = (p: number) => byPartition.get(p) ?? byPartition.set(p, { versions: [], offset: null }).get(p)!;
  for (const [key, offset] of Object.entries(offsets)) {
    const p = partitionOf(key);
    if (p !== null) entry(p).offset = offset;
  }
  for (const v of versions) {
    const parts = Object.keys(v.offsets).map(partitionOf).filter((p): p is number => p !== null);
    entry(parts.length > 0 ? Math.min(...parts) : ([...byPartition.keys()][0] ?? 0)).versions.push(v);
  }
  for (const [p, { versions: vs, offset }] of [...byPartition].sort((a, b) => a[0] - b[0])) await tx.commit(p, vs, offset, owns);
}
