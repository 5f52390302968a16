import { activeTraceparent, BrokerError, type TrainingConfig } from '../core/index.js';
import type { GoodRecord } from '../features/index.js';
import type { Learner } from '../learners/index.js';
import type { StagedVersion, VersionMeta, VersionStore } from '../registry/index.js';
import type { PromotionGuardrail, RollbackRequest } from './promotion-guardrail.js';

const MAX_TS_SAMPLE = 1000;
/** Wait before the first retry of a checkpoint the brokers did not take, doubled after each failure up to the longest. */
const RETRY_FIRST_MS = 1000;
const RETRY_LONGEST_MS = 30_000;

/**
 * A checkpoint's share of freshness, in ms since the epoch: when its (sampled)
 * events were produced and when each was stepped (the same sample, in order),
 * and when its save began and ended (guardrail, write, fence, commit).
 */
export interface VersionTimes {
  eventTimestamps: number[];
  steppedAt: number[];
  saveStartedAt: number;
  savedAt: number;
}

/** What a checkpoint holds besides the weights. */
export interface CheckpointState {
  learner: Learner;
  parent: VersionMeta | null;
  examplesSeen: number;
  metrics: Record<string, number>;
  /** Next offset per `topic/partition` the weights do not include. */
  offsets: Record<string, string>;
  /** Extra files saved in the version directory (the trainer's dedupe filter). */
  extras: Record<string, string | Buffer>;
}

export interface CheckpointerOptions {
  model: string;
  store: VersionStore;
  backend: string;
  regime: string;
  training: Pick<TrainingConfig, 'versionEverySteps' | 'versionEveryMs'>;
  guardrail: PromotionGuardrail;
  /**
   * Commits group offsets once the checkpoint that includes them is durable; with
   * `commitsBeforeInstall`, it gets the version (still in its temporary folder)
   * to publish with them, and the version is installed only once it resolves.
   */
  commit(offsets: Record<string, string>, staged?: StagedVersion): Promise<void>;
  /** The registry topic is where the next owner reads versions: publish and commit before the local install. */
  commitsBeforeInstall?: boolean;
  /** Otherwise: checks, just before a version is installed, that this trainer still owns what it learned from (throws if not). */
  fence?(): Promise<void>;
  /** A checkpoint version was saved; `info` samples when its new events were produced and stepped. */
  onVersion?(meta: VersionMeta, info: VersionTimes): void;
  /** The serving version degraded after its promotion: serving should go back to `to`. */
  onRollback?(r: RollbackRequest): void;
  /** A checkpoint the brokers did not take (see {@link Checkpointer.save}); the next try is in `retryMs`. */
  onRetry?(err: BrokerError, retryMs: number): void;
  now: () => number;
}

/**
 * When to checkpoint, and how: every `versionEverySteps` steps, or once
 * `versionEveryMs` passed with something learned, a version is saved with the
 * guardrail's promotion decision and the offsets it includes — and only once it
 * is durable are those offsets committed to the group.
 *
 * @example
 * cp.learned(labelled);                 // after each step
 * if (cp.due()) meta = await cp.save(state);
 */
export class Checkpointer {
  private steps = 0;
  private examples = 0;
  private tsSample: number[] = [];
  /** When each sampled event was stepped (same index as `tsSample`). */
  private stepSample: number[] = [];
  private lastAt: number;
  /** Checkpoints in a row the brokers did not take, and when the next may be tried. */
  private failures = 0;
  private retryAt = 0;
  versions = 0;

  constructor(private readonly o: CheckpointerOptions) {
    this.lastAt = o.now();
  }

  /** Examples learned since the last checkpoint (labelled and pseudo-labelled). */
  get pending(): number {
    return this.examples;
  }

  /** Counts a learning step and samples when its events were produced (freshness). */
  stepped(labelled: readonly GoodRecord[]): void {
    const at = this.o.now();
    for (const g of labelled) {
      const ts = g.event.ts ?? Number(g.record.timestamp);
      const i = this.tsSample.length < MAX_TS_SAMPLE ? this.tsSample.length : Math.floor(Math.random() * MAX_TS_SAMPLE);
      this.tsSample[i] = ts;
      this.stepSample[i] = at;
    }
    this.steps++;
    this.examples += labelled.length;
  }

  /** Counts examples learned outside a labelled step (pseudo-labels). */
  learned(n: number): void {
    this.examples += n;
  }

  /** Whether a checkpoint may be taken now, due or not (something learned, no retry wait): one that joins other models' checkpoints. */
  mayJoin(): boolean {
    return this.examples > 0 && this.o.now() >= this.retryAt;
  }

  due(): boolean {
    if (this.o.now() < this.retryAt) return false;
    return this.steps >= this.o.training.versionEverySteps || (this.examples > 0 && this.o.now() - this.lastAt >= this.o.training.versionEveryMs);
  }

  /**
   * Saves a checkpoint version if anything was learned since the last one, with
   * the guardrail's promotion decision, then commits its offsets. A rejected
   * candidate is still a checkpoint: training goes on from it, serving does not.
   *
   * When the brokers do not take it (a {@link BrokerError}: a broker lost, a
   * coordinator moving) nothing was installed or committed: it returns null and
   * keeps what was learned pending, and the next checkpoint (not before 1 s,
   * 2 s, … at most 30 s) holds it. A fence and every other failure throw.
   */
  async save(s: CheckpointState): Promise<VersionMeta | null> {
    if (this.examples === 0) return null;
    try {
      const meta = await this.saveNow(s);
      this.failures = 0;
      this.retryAt = 0;
      return meta;
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err;
      const retryMs = Math.min(RETRY_LONGEST_MS, RETRY_FIRST_MS * 2 ** this.failures++);
      this.retryAt = this.o.now() + retryMs;
      this.o.onRetry?.(err, retryMs);
      return null;
    }
  }

  private async saveNow(s: CheckpointState): Promise<VersionMeta> {
    const { guardrail } = this.o;
    const saveStartedAt = this.o.now();
    const rollback = await guardrail.rollbackDue();
    const promotion = guardrail.decide(s.learner, rollback);
    // The publish span (see LearningTrace) travels with the version, so serving's swap joins the label's trace.
    const traceparent = activeTraceparent();
    const meta = await this.o.store.save(
      this.o.model,
      s.learner,
      {
        parent: s.parent?.version ?? null,
        regime: this.o.regime,
        backend: this.o.backend,
        examplesSeen: s.examplesSeen,
        metrics: { ...s.metrics, examplesLearnedOnline: this.examples },
        offsets: s.offsets,
        promotion,
        ...(traceparent ? { traceparent } : {}),
      },
      s.extras,
      // The version and the offsets past its events reach the registry topic in one transaction, before the version is installed here.
      this.o.commitsBeforeInstall
        ? { beforeInstall: (staged, m) => this.o.commit(m.offsets, { ...staged, offsets: m.offsets }) }
        : { beforeInstall: async () => this.o.fence?.() },
    );
    // The weights that include these events are durable: only now may the group move past them.
    if (!this.o.commitsBeforeInstall) await this.o.commit(meta.offsets);
    await guardrail.decided(meta, promotion);
    if (rollback) {
      await guardrail.rolledBack(rollback);
      this.o.onRollback?.(rollback);
    }
    const times: VersionTimes = { eventTimestamps: this.tsSample, steppedAt: this.stepSample, saveStartedAt, savedAt: this.o.now() };
    this.reset();
    this.versions++;
    this.o.onVersion?.(meta, times);
    return meta;
  }

  /** Forgets what was learned since the last checkpoint (a newer one was restored). */
  reset(): void {
    this.steps = 0;
    this.examples = 0;
    this.tsSample = [];
    this.stepSample = [];
    this.lastAt = this.o.now();
  }
}
