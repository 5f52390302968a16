import type { TrainingConfig } from '../core/index.js';
import type { DecodedRecord, DecodeTarget } from '../features/index.js';
import type { DeadLetter, RawRecord } from '../ingest/index.js';
import { type Example, type Learner } from '../learners/index.js';
import { SelfTrainingLearner } from '../regimes/index.js';
import type { StagedVersion, VersionMeta, VersionStore } from '../registry/index.js';
import { OnlineTrainer, type OnlineTrainerOptions } from './online-trainer.js';
import type { RollbackRequest } from './promotion-guardrail.js';
import type { TrainerStats } from './trainer-stats.js';

/** One model a trainer fleet learns: its trainer, what its events are decoded against, and its events waiting to step. */
export interface Member {
  trainer: OnlineTrainer;
  target: DecodeTarget;
  lastEventAt: number;
  /** When the registry last showed the model still there. */
  checkedAt: number;
  /** Events held for the model's next step (`training.modelBatchWaitMs`), and when the oldest came. */
  pending: DecodedRecord[];
  pendingSince: number;
}

/** What every member of a fleet shares (a TrainerFleet's options are these and more). */
export interface MemberDeps {
  store: VersionStore;
  training: TrainingConfig;
  backend: string;
  /** The labels topic (for stats). */
  topic: string;
  /** A trusted labelled set for a model's guardrail (loaded once per model load). */
  holdout?(model: string, learner: Learner): Promise<Example[] | undefined>;
  deadLetters: { send(letters: DeadLetter[]): Promise<void> };
  ack(record: RawRecord): void;
  onStats?(stats: TrainerStats): void;
  onVersion?: OnlineTrainerOptions['onVersion'];
  /** Checkpoints are published with their offsets before they are installed locally (registry on Kafka). */
  commitsBeforeInstall?: boolean;
}

/** A rollback the guardrail of one model asks for. */
export interface ModelRollback extends RollbackRequest {
  model: string;
}

export interface TrainerFleetOptions extends MemberDeps {
  /** The `training` section, whole: batching and checkpoints per model, `models` (allowed models), `idleUnloadMs`. */
  training: TrainingConfig;
  /** The model of events that name none (the `model` config key). */
  defaultModel: string;
  /**
   * Commits group offsets (`topic/partition` → next offset; see `CommitFloor`),
   * with the versions to publish first when `commitsBeforeInstall` (one transaction
   * per partition on the registry topic).
   */
  commit(offsets: Record<string, string>, versions: StagedVersion[]): Promise<void>;
  /**
   * Runs when the group gave this member its partitions, before any model restores
   * a checkpoint: fence the previous owner, catch the local registry up.
   */
  owned?(partitions: number[]): Promise<void>;
  onRollback?(r: ModelRollback): void;
  /** A model was loaded from the registry (first event for it), or unloaded. */
  onModel?(e: { model: string; action: 'loaded' | 'unloaded' | 'dropped'; version: string | null; reason: string }): void;
  log?(line: string, level?: 'info' | 'warn'): void;
  /** Clock in ms. @defaultValue Date.now */
  now?: () => number;
}

/** What the fleet decides for a member: when its checkpoints count, whether one may be written, where its rollbacks go. */
export interface MemberHooks {
  /** A checkpoint of this model is durable, or (`commitsBeforeInstall`) is to be published: `staged`. */
  commit(staged?: StagedVersion): Promise<void>;
  mayCheckpoint(): boolean;
  /** Just before a checkpoint is installed (see CheckpointerOptions.fence). */
  fence(): Promise<void>;
  onRollback(r: RollbackRequest): void;
  /** A checkpoint of this model the brokers did not take (it is tried again in `retryMs`). */
  onRetry(err: Error, retryMs: number): void;
  now: () => number;
}

/**
 * A model's online trainer from its restored newest version: as trained, or
 * wrapped in self-training when `training.regime` asks for it; its dedupe state
 * restored from the checkpoint.
 */
export async function openMember(
  model: string,
  restored: { learner: Learner; meta: VersionMeta },
  o: MemberDeps,
  hooks: MemberHooks,
): Promise<Member> {
  const { training } = o;
  const { meta } = restored;
  const learner: Learner =
    training.regime === 'self-training' && restored.learner.className !== SelfTrainingLearner.className
      ? new SelfTrainingLearner({ base: { className: restored.learner.className, config: restored.learner.getConfig() }, ...training.selfTraining }, restored.learner)
      : restored.learner;
  const regime = training.regime === 'self-training' ? 'self-training' : meta.regime.replace(/-(batch|online)$/, '');
  const trainer = new OnlineTrainer({
    model,
    learner,
    store: o.store,
    parent: meta,
    backend: o.backend,
    regime: `${regime}-online`,
    topic: o.topic,
    training,
    holdout: await o.holdout?.(model, learner),
    deadLetters: o.deadLetters,
    ack: (r) => o.ack(r),
    commit: (_offsets, staged) => hooks.commit(staged),
    commitsBeforeInstall: o.commitsBeforeInstall,
    fence: hooks.fence,
    mayCheckpoint: hooks.mayCheckpoint,
    onStats: o.onStats,
    onVersion: o.onVersion,
    onRollback: hooks.onRollback,
    onRetry: hooks.onRetry,
    now: hooks.now,
  });
  await trainer.restoreState();
  const desc = learner.describe();
  const now = hooks.now();
  return {
    trainer,
    target: { featureSpec: learner.featureSpec, labels: desc.task === 'regression' ? undefined : desc.labels, ...(desc.task === 'spans' || desc.task === 'boxes' || desc.task === 'keypoints' ? { structured: desc.task } : {}) },
    lastEventAt: now,
    checkedAt: now,
    pending: [],
    pendingSince: 0,
  };
}

/**
 * The newest version of `model` from the registry, after removing partial
 * folders of interrupted saves; `'none'` when the registry has no version, or
 * the error (naming model and version) when it cannot be loaded.
 */
export async function restoreNewest(store: VersionStore, model: string, log: (line: string) => void): Promise<{ learner: Learner; meta: VersionMeta } | 'none' | Error> {
  const version = await store.newest(model);
  if (!version) return 'none';
  const abandoned = await store.removeAbandoned(model);
  if (abandoned.length > 0) log(`${model}: removed ${abandoned.length} partial version folder(s) of interrupted saves: ${abandoned.join(', ')}`);
  try {
    return await store.load(model, version);
  } catch (err) {
    return new Error(`${model}@${version} cannot be loaded: ${(err as Error).message}`);
  }
}
