import type { Kafka } from 'kafkajs';
import type { KafkaConfig, TrainingConfig } from '../core/index.js';
import { DeadLetterSink, KafkaSource, ensureTopics } from '../ingest/index.js';
import type { VersionStore } from '../registry/index.js';
import { runSteps } from './step-loop.js';
import { TrainerFleet, type TrainerFleetOptions } from './trainer-fleet.js';

export interface FleetLearningOptions extends Pick<TrainerFleetOptions, 'defaultModel' | 'backend' | 'holdout' | 'onStats' | 'onVersion' | 'onRollback' | 'onModel' | 'log'> {
  kafka: Kafka;
  /** Topics and group of the `kafka` config section. */
  topics: Pick<KafkaConfig, 'labelsTopic' | 'dlqTopic' | 'groupId'> & Partial<Pick<KafkaConfig, 'sessionTimeoutMs'>>;
  /** The `training` config section, whole (see `trainingConfig()` for one with defaults). */
  training: TrainingConfig;
  store: VersionStore;
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
    commit: (offsets) => source.commitOffsets(offsets),
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
