import type { Kafka } from 'kafkajs';
import { DeadLetterSink, KafkaSource, ensureTopics } from '../ingest/index.js';
import type { KafkaConfig, TrainingConfig } from '../core/index.js';
import type { Example, Learner } from '../learners/index.js';
import { batchDecoder } from '../features/index.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';
import { OnlineTrainer } from './online-trainer.js';
import { runSteps } from './step-loop.js';
import type { RollbackRequest } from './promotion-guardrail.js';
import type { TrainerStats } from './trainer-stats.js';

export interface OnlineLearningOptions {
  kafka: Kafka;
  /** Topics and group of the `kafka` config section. */
  topics: Pick<KafkaConfig, 'labelsTopic' | 'dlqTopic' | 'groupId'> & Partial<Pick<KafkaConfig, 'sessionTimeoutMs'>>;
  /** The `training` config section, whole (see `trainingConfig()` for one with defaults). */
  training: TrainingConfig;
  model: string;
  store: VersionStore;
  learner: Learner;
  parent: VersionMeta | null;
  backend: string;
  /** Recorded in each version's meta. @defaultValue 'supervised-online' */
  regime?: string;
  /** A trusted labelled set the guardrail compares candidates on instead of the stream. */
  holdout?: Example[];
  onStats?(stats: TrainerStats): void;
  onVersion?(meta: VersionMeta, info: { eventTimestamps: number[] }): void;
  onRollback?(r: RollbackRequest): void;
}

/** A running online-learning pipeline. */
export interface OnlineLearning {
  trainer: OnlineTrainer;
  source: KafkaSource;
  /** Settles when the pipeline ends (after `close()`, or rejects on a fatal error). */
  done: Promise<void>;
  /** Stops consuming, finishes the step under way, saves a last checkpoint and commits it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wires the pipeline: Kafka → micro-batch → decode/validate → train step
 * (`concatMap`: one at a time; a batch is decoded as its step starts) →
 * checkpoint versions in the store. Whenever
 * this member is assigned partitions (start, restart, standby takeover), it
 * restores the newest checkpoint and reads from that checkpoint's offsets, so
 * every event ends up learned exactly once in the version history.
 */
export async function startOnlineLearning(o: OnlineLearningOptions): Promise<OnlineLearning> {
  const { topics, training } = o;
  await ensureTopics(o.kafka, [{ topic: topics.labelsTopic }, { topic: topics.dlqTopic }]);
  const dlq = new DeadLetterSink(o.kafka, topics.dlqTopic);
  // The callbacks below reach `source` only once records flow, after it exists.
  const trainer: OnlineTrainer = new OnlineTrainer({
    model: o.model,
    learner: o.learner,
    store: o.store,
    parent: o.parent,
    backend: o.backend,
    regime: o.regime,
    topic: topics.labelsTopic,
    training,
    holdout: o.holdout,
    deadLetters: dlq,
    ack: (r) => source.ack(r),
    commit: (offsets): Promise<void> => source.commitOffsets(offsets),
    onStats: o.onStats,
    onVersion: o.onVersion,
    onRollback: o.onRollback,
  });
  const source: KafkaSource = new KafkaSource(o.kafka, {
    topic: topics.labelsTopic,
    groupId: topics.groupId,
    maxInFlight: training.maxInFlight,
    sessionTimeoutMs: topics.sessionTimeoutMs,
    onAssigned: (): Record<string, string> => {
      // Read from where this trainer's checkpoint ends, at once; if another trainer
      // (the one this standby replaces) wrote a newer checkpoint, move there too.
      trainer.requestRefresh();
      void (async () => {
        const newest = await o.store.newest(o.model);
        if (newest && newest !== trainer.checkpoint?.version) source.seekTo((await o.store.meta(o.model, newest)).offsets);
      })().catch(() => undefined);
      return trainer.positions();
    },
  });
  await trainer.restoreState();
  const t = trainer;
  const desc = o.learner.describe();
  const decode = batchDecoder({ featureSpec: o.learner.featureSpec, labels: desc.task === 'classification' ? desc.labels : undefined, model: o.model });
  // Each batch is decoded when its step starts, not on arrival (see batchDecoder); ticks save versions on time when the stream goes quiet.
  const done = runSteps(source.records(), training, Math.max(100, Math.floor(training.versionEveryMs / 2)), (b) => t.step(decode(b)));
  let closing: Promise<void> | undefined;
  return {
    trainer: t,
    source,
    done,
    close: () =>
      (closing ??= (async () => {
        await source.stop();
        await done.catch(() => undefined);
        await t.saveVersion();
        await source.close();
        await dlq.close();
        t.dispose();
      })()),
  };
}
