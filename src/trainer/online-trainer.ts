import type { DeadLetter, RawRecord } from '../kafka/index.js';
import type { Learner } from '../models/index.js';
import type { DecodedRecord, GoodRecord } from '../pipeline/decode-records.js';
import { PrequentialAccuracy } from '../pipeline/prequential.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';
import type { TrainerStats } from './trainer-stats.js';

export interface OnlineTrainerOptions {
  model: string;
  learner: Learner;
  store: VersionStore;
  /** The version the learner was restored from (null for a fresh model). */
  parent: VersionMeta | null;
  backend: string;
  topic: string;
  /** @defaultValue 'supervised-online' */
  regime?: string;
  /** Save a candidate version after this many steps. @defaultValue 20 */
  versionEverySteps?: number;
  /** …or once this much time has passed since the last version, if anything was learned. @defaultValue 3000 */
  versionEveryMs?: number;
  /** Prequential window, in labelled events. @defaultValue 500 */
  accuracyWindow?: number;
  deadLetters: { send(letters: DeadLetter[]): Promise<void> };
  ack(record: RawRecord): void;
  /** Next offsets per `topic/partition`, as far as acked. */
  positions(): Record<string, string>;
  onStats?(stats: TrainerStats): void;
  onVersion?(meta: VersionMeta): void;
  /** Clock in ms (a parameter so tests control time). @defaultValue Date.now */
  now?: () => number;
}

/**
 * The trainer's step: dead-letter rejects, score each labelled event before
 * learning it (prequential), learn the micro-batch, ack every record, and save a
 * candidate version every N steps or T ms. Steps must run one at a time
 * (`concatMap`), which keeps acks — and so committed offsets — in order.
 */
export class OnlineTrainer {
  readonly accuracy: PrequentialAccuracy;
  private stepsSinceVersion = 0;
  private learnedSinceVersion = 0;
  private lastVersionAt: number;
  private parent: VersionMeta | null;
  private examplesSeen: number;
  /** Totals since start (for summaries and tests). */
  readonly totals = { consumed: 0, learned: 0, rejected: 0, unlabelled: 0, versions: 0 };
  private readonly now: () => number;

  constructor(private readonly opts: OnlineTrainerOptions) {
    this.accuracy = new PrequentialAccuracy(opts.accuracyWindow ?? 500);
    this.now = opts.now ?? Date.now;
    this.lastVersionAt = this.now();
    this.parent = opts.parent;
    this.examplesSeen = opts.parent?.examplesSeen ?? 0;
  }

  get learner(): Learner {
    return this.opts.learner;
  }

  /** Processes one micro-batch; an empty batch is a clock tick (may save a version). */
  async step(batch: readonly DecodedRecord[]): Promise<void> {
    const { learner } = this.opts;
    const bad = batch.filter((d) => !d.ok);
    const rejected: Record<string, number> = {};
    if (bad.length > 0) {
      await this.opts.deadLetters.send(bad.map((b) => ({ record: b.record, reason: b.reason, message: b.message })));
      for (const b of bad) rejected[b.reason] = (rejected[b.reason] ?? 0) + 1;
    }
    const labelled = batch.filter((d): d is GoodRecord => d.ok && d.event.label !== null);
    let loss: number | null = null;
    if (labelled.length > 0) {
      const xs = labelled.map((g) => g.x);
      const ys = labelled.map((g) => g.event.label as string | number);
      const preds = learner.predict(xs);
      preds.forEach((p, i) => this.accuracy.update(p.label === String(ys[i])));
      const weights = labelled.some((g) => g.event.weight !== undefined) ? labelled.map((g) => g.event.weight ?? 1) : undefined;
      loss = (await learner.learn(xs, ys, weights)).loss;
      this.stepsSinceVersion++;
      this.learnedSinceVersion += labelled.length;
      this.examplesSeen += labelled.length;
    }
    for (const d of batch) this.opts.ack(d.record);
    this.totals.consumed += batch.length;
    this.totals.learned += labelled.length;
    this.totals.rejected += bad.length;
    this.totals.unlabelled += batch.length - bad.length - labelled.length;
    if (batch.length > 0) {
      const acc = this.accuracy.value;
      this.opts.onStats?.({
        model: this.opts.model,
        topic: this.opts.topic,
        consumed: batch.length,
        rejected,
        learned: labelled.length,
        steps: labelled.length > 0 ? 1 : 0,
        loss,
        accuracy: Number.isNaN(acc) ? null : acc,
      });
    }
    const due =
      this.stepsSinceVersion >= (this.opts.versionEverySteps ?? 20) ||
      (this.learnedSinceVersion > 0 && this.now() - this.lastVersionAt >= (this.opts.versionEveryMs ?? 3000));
    if (due) await this.saveVersion();
  }

  /** Saves the learner as a new version if it learned anything since the last one. */
  async saveVersion(): Promise<VersionMeta | null> {
    if (this.learnedSinceVersion === 0) return null;
    const meta = await this.opts.store.save(this.opts.model, this.opts.learner, {
      parent: this.parent?.version ?? null,
      regime: this.opts.regime ?? 'supervised-online',
      backend: this.opts.backend,
      examplesSeen: this.examplesSeen,
      metrics: {
        prequentialAccuracy: Number.isNaN(this.accuracy.value) ? -1 : this.accuracy.value,
        examplesLearnedOnline: this.learnedSinceVersion,
      },
      offsets: { ...(this.parent?.offsets ?? {}), ...this.opts.positions() },
    });
    this.parent = meta;
    this.stepsSinceVersion = 0;
    this.learnedSinceVersion = 0;
    this.lastVersionAt = this.now();
    this.totals.versions++;
    this.opts.onVersion?.(meta);
    return meta;
  }
}
