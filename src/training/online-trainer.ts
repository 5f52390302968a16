import type { TrainingConfig } from '../core/index.js';
import { PseudoLabelTracker } from '../evaluation/index.js';
import type { DecodedRecord, GoodRecord } from '../features/index.js';
import { labelTarget, type DeadLetter, type RawRecord, type StructuredLabel } from '../ingest/index.js';
import type { Example, Learner } from '../learners/index.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { LearningTrace } from './learning-trace.js';
import { OffsetTracker } from './offset-tracker.js';
import { PromotionGuardrail, type RollbackRequest } from './promotion-guardrail.js';
import { DedupeFilter, splitFresh } from './dedupe-filter.js';
import { ScoreAndLearn } from './score-and-learn.js';
import type { TrainerStats } from './trainer-stats.js';

/** File in each version directory with the trainer's dedupe filter ({@link DedupeFilter}). */
export const DEDUPE_FILTER_FILE = 'dedupe-filter.bin';
/** The older form of the trainer's state: the dedupe window's ids as JSON (`recentIds`), still read. */
export const TRAINER_STATE_FILE = 'trainer-state.json';

export interface OnlineTrainerOptions {
  model: string;
  learner: Learner;
  store: VersionStore;
  /** The version the learner was restored from (null for a fresh model). */
  parent: VersionMeta | null;
  backend: string;
  topic: string;
  /** Recorded in each version's meta. @defaultValue 'supervised-online' */
  regime?: string;
  /** The `training` config section, whole (see `trainingConfig()` for one with defaults). */
  training: TrainingConfig;
  /** A trusted labelled set the guardrail compares candidates on instead of the stream. */
  holdout?: Example[];
  deadLetters: { send(letters: DeadLetter[]): Promise<void> };
  ack(record: RawRecord): void;
  /** Commits group offsets once the checkpoint that includes them is durable (see {@link CheckpointerOptions.commit}). */
  commit: CheckpointerOptions['commit'];
  commitsBeforeInstall?: boolean;
  fence?: CheckpointerOptions['fence'];
  onStats?(stats: TrainerStats): void;
  /** A checkpoint version was saved; `info` samples when its new events were produced and stepped. */
  onVersion?: CheckpointerOptions['onVersion'];
  /** The serving version degraded after its promotion: serving should go back to `to`. */
  onRollback?(r: RollbackRequest): void;
  /** A checkpoint the brokers did not take: what was learned stays pending, the next try is in `retryMs`. */
  onRetry?: CheckpointerOptions['onRetry'];
  /**
   * Asked before each checkpoint: false holds it back (the learning stays pending),
   * e.g. while the group rebalances and this model's partition may move to another
   * trainer. @defaultValue always true
   */
  mayCheckpoint?(): boolean;
  /** Clock in ms (a parameter so tests control time). @defaultValue Date.now */
  now?: () => number;
}

/**
 * The trainer's step: skip what the checkpoint already includes
 * ({@link OffsetTracker}), dead-letter rejects, drop duplicate ids, score and
 * learn the labelled events ({@link ScoreAndLearn}), let a semi-supervised
 * learner learn the unlabelled ones, ack every record, and checkpoint when due
 * ({@link Checkpointer}: save, then commit offsets). Steps must run one at a
 * time (`concatMap`).
 */
export class OnlineTrainer {
  /** Accuracy of pseudo-labels, checked when the true label of a pseudo-labelled id arrives. */
  readonly pseudoLabels = new PseudoLabelTracker();
  readonly guardrail: PromotionGuardrail;
  private readonly scorer: ScoreAndLearn;
  private readonly offsets: OffsetTracker;
  private readonly checkpoints: Checkpointer;
  private learnerRef: Learner;
  private parent: VersionMeta | null;
  private examplesSeen: number;
  private recentIds: DedupeFilter;
  private refreshRequested = false;
  private readonly traces: LearningTrace;
  /** Totals since start (for summaries and tests). */
  readonly totals = { consumed: 0, learned: 0, rejected: 0, unlabelled: 0, pseudoLabelled: 0, duplicates: 0, skipped: 0, drifts: 0, versions: 0, refreshes: 0 };

  constructor(private readonly opts: OnlineTrainerOptions) {
    this.traces = new LearningTrace(opts.model);
    const { training } = opts;
    this.learnerRef = opts.learner;
    this.parent = opts.parent;
    this.examplesSeen = opts.parent?.examplesSeen ?? 0;
    this.recentIds = new DedupeFilter(training.dedupeWindow, training.dedupeFalsePositiveRate);
    const g = training.guardrail;
    this.guardrail = new PromotionGuardrail(opts.store, opts.model, { ...g, holdout: opts.holdout });
    this.scorer = new ScoreAndLearn(training, this.guardrail);
    this.offsets = new OffsetTracker(opts.parent?.offsets);
    this.checkpoints = new Checkpointer({
      model: opts.model,
      store: opts.store,
      backend: opts.backend,
      regime: opts.regime ?? 'supervised-online',
      training,
      guardrail: this.guardrail,
      commit: opts.commit,
      commitsBeforeInstall: opts.commitsBeforeInstall,
      fence: opts.fence,
      onVersion: opts.onVersion,
      onRollback: opts.onRollback,
      onRetry: opts.onRetry,
      now: opts.now ?? Date.now,
    });
  }

  /** Prequential accuracy over the window. */
  get accuracy(): ScoreAndLearn['accuracy'] {
    return this.scorer.accuracy;
  }

  /** Prequential entity F1 over the window (span models). */
  get spanF1(): ScoreAndLearn['spanF1'] {
    return this.scorer.spanF1;
  }

  /** Prequential MAE over the window (regression learners). */
  get mae(): ScoreAndLearn['mae'] {
    return this.scorer.mae;
  }

  /** The learner being trained (replaced when a newer checkpoint is restored). */
  get learner(): Learner {
    return this.learnerRef;
  }

  /** The newest checkpoint this trainer wrote or restored. */
  get checkpoint(): VersionMeta | null {
    return this.parent;
  }

  /** Examples learned (labelled and pseudo-labelled) that no saved checkpoint holds yet. */
  get unsaved(): number {
    return this.checkpoints.pending;
  }

  /** Whether a checkpoint is due (by steps or time); see {@link Checkpointer.due}. */
  get checkpointDue(): boolean {
    return this.checkpoints.due();
  }

  /** Whether a checkpoint may be taken now to join others that are due (something learned, no retry wait). */
  get mayJoinCheckpoint(): boolean {
    return this.checkpoints.mayJoin();
  }

  /** Next offset per `topic/partition` that this learner has not learned yet. */
  positions(): Record<string, string> {
    return this.offsets.positions();
  }

  /** Restores the dedupe filter from the checkpoint (or the ids of an older one) and loads the serving version for the guardrail. */
  async restoreState(): Promise<void> {
    await this.guardrail.init();
    if (!this.parent) return;
    const { store, model, training } = this.opts;
    const bytes = await store.readExtraBytes(model, this.parent.version, DEDUPE_FILTER_FILE);
    if (bytes) {
      this.recentIds = DedupeFilter.fromBytes(training.dedupeWindow, training.dedupeFalsePositiveRate, bytes);
      return;
    }
    const raw = await store.readExtra(model, this.parent.version, TRAINER_STATE_FILE);
    const ids = raw ? ((JSON.parse(raw) as { recentIds?: string[] }).recentIds ?? []) : [];
    this.recentIds = DedupeFilter.fromIds(training.dedupeWindow, training.dedupeFalsePositiveRate, ids);
  }

  /** Asks the next step to restore the newest checkpoint first (partitions were (re)assigned). */
  requestRefresh(): void {
    this.refreshRequested = true;
  }

  /**
   * Makes the newest checkpoint in the store this trainer's state, if another
   * trainer (the one this standby replaces) wrote a newer one.
   */
  private async refresh(): Promise<void> {
    this.refreshRequested = false;
    const newest = await this.opts.store.newest(this.opts.model);
    if (!newest || newest === this.parent?.version) return;
    const { learner, meta } = await this.opts.store.load(this.opts.model, newest);
    this.learnerRef.dispose();
    this.learnerRef = learner;
    this.parent = meta;
    this.examplesSeen = meta.examplesSeen;
    this.offsets.reset(meta.offsets);
    await this.restoreState();
    this.checkpoints.reset();
    this.totals.refreshes++;
  }

  /** Releases the guardrail's copy of the serving version (the learner is the caller's). */
  dispose(): void {
    this.guardrail.dispose();
  }

  /**
   * Processes one micro-batch; an empty batch is a clock tick. Saves a version when
   * one is due, unless `checkpoint` is false (a fleet saves its models' together).
   */
  async step(batch: readonly DecodedRecord[], opts: { checkpoint?: boolean } = {}): Promise<void> {
    if (this.refreshRequested) await this.refresh();
    const { fresh, skipped } = this.offsets.admit(batch);
    const bad = fresh.filter((d) => !d.ok);
    const rejected: Record<string, number> = {};
    if (bad.length > 0) {
      await this.opts.deadLetters.send(bad.map((b) => ({ record: b.record, reason: b.reason, message: b.message })));
      for (const b of bad) rejected[b.reason] = (rejected[b.reason] ?? 0) + 1;
    }
    const { labelled, unlabelled, duplicates } = splitFresh(this.recentIds, fresh);
    for (const d of labelled) this.pseudoLabels.truth(d.event.id, labelTarget(d.event.label as string | number | StructuredLabel));
    const learnStarted = performance.now();
    let loss: number | null = null;
    let drifts = 0;
    if (labelled.length > 0) {
      ({ loss, drifts } = await this.traces.step(labelled, () => this.scorer.run(this.learnerRef, labelled)));
      this.checkpoints.stepped(labelled);
      this.examplesSeen += labelled.length;
    }
    const stepSeconds = labelled.length > 0 ? (performance.now() - learnStarted) / 1000 : undefined;
    const pseudoLabelled = unlabelled.length > 0 ? await this.learnUnlabelled(unlabelled) : 0;
    for (const d of batch) this.opts.ack(d.record);
    Object.assign(this.totals, {
      consumed: this.totals.consumed + batch.length,
      learned: this.totals.learned + labelled.length,
      rejected: this.totals.rejected + bad.length,
      unlabelled: this.totals.unlabelled + unlabelled.length,
      pseudoLabelled: this.totals.pseudoLabelled + pseudoLabelled,
      duplicates: this.totals.duplicates + duplicates,
      skipped: this.totals.skipped + skipped,
      drifts: this.totals.drifts + drifts,
    });
    if (batch.length > 0) {
      this.opts.onStats?.({
        model: this.opts.model,
        topic: this.opts.topic,
        consumed: batch.length,
        rejected,
        learned: labelled.length,
        duplicates,
        skipped,
        steps: labelled.length > 0 ? 1 : 0,
        drifts,
        loss,
        accuracy: orNull(this.accuracy.value),
        accuracyFaded: orNull(this.accuracy.faded),
        ...(stepSeconds === undefined ? {} : { stepSeconds }),
        mae: orNull(this.mae.value),
        ...(Number.isNaN(this.spanF1.value) ? {} : { spanF1: this.spanF1.value }),
        ...(Number.isNaN(this.scorer.boxMap.value) ? {} : { boxMap: this.scorer.boxMap.value }),
        ...(Number.isNaN(this.scorer.pck.value) ? {} : { pck: this.scorer.pck.value }),
        unlabelled: unlabelled.length,
        pseudoLabelled,
        pseudoLabelAccuracy: orNull(this.pseudoLabels.accuracy),
        ...(labelled.length > 0 && this.learnerRef.candidateScores ? { candidates: this.learnerRef.candidateScores() } : {}),
      });
    }
    if (opts.checkpoint !== false && this.checkpoints.due()) await this.saveVersion();
  }

  /** Lets a semi-supervised learner learn from unlabelled events; returns how many it pseudo-labelled. */
  private async learnUnlabelled(unlabelled: GoodRecord[]): Promise<number> {
    const learner = this.learnerRef;
    if (!learner.learnUnlabelled) return 0;
    const r = await learner.learnUnlabelled(
      unlabelled.map((g) => g.x),
      unlabelled.map((g) => g.event.id),
    );
    this.pseudoLabels.assigned(r.pseudoLabelled);
    this.checkpoints.learned(r.pseudoLabelled.length);
    return r.pseudoLabelled.length;
  }

  /** Saves a checkpoint version now if anything was learned since the last one (see {@link Checkpointer}). */
  async saveVersion(): Promise<VersionMeta | null> {
    if (this.opts.mayCheckpoint && !this.opts.mayCheckpoint()) return null;
    const meta = await this.traces.publish(() =>
      this.checkpoints.save({
        learner: this.learnerRef,
        parent: this.parent,
        examplesSeen: this.examplesSeen,
        metrics: { ...this.scorer.versionMetrics(), ...(this.pseudoLabels.checked > 0 ? { pseudoLabelAccuracy: this.pseudoLabels.accuracy } : {}) },
        offsets: this.positions(),
        extras: this.opts.training.dedupeWindow > 0 ? { [DEDUPE_FILTER_FILE]: this.recentIds.toBytes() } : {},
      }),
    );
    if (meta) {
      this.parent = meta;
      this.totals.versions++;
    }
    return meta;
  }
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);
