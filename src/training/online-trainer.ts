import type { DeadLetter, RawRecord } from '../ingest/index.js';
import { tpKey } from '../ingest/raw-record.js';
import type { Learner, StepResult } from '../learners/index.js';
import type { DecodedRecord, GoodRecord } from '../features/index.js';
import { PrequentialAccuracy } from '../evaluation/prequential-accuracy.js';
import { PrequentialError } from '../evaluation/prequential-error.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';
import { DriftReaction, type DriftOptions } from './drift-reaction.js';
import { PromotionGuardrail, type GuardrailOptions, type RollbackRequest } from './promotion-guardrail.js';
import { RecentIds } from './recent-ids.js';
import { PseudoLabelTracker } from '../evaluation/pseudo-label-tracker.js';
import { ReplayBuffer } from './replay-buffer.js';
import type { TrainerStats } from './trainer-stats.js';

/** File in each version directory with the trainer's own state (dedupe window). */
export const TRAINER_STATE_FILE = 'trainer-state.json';


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
  /** Save a checkpoint version after this many steps. @defaultValue 20 */
  versionEverySteps?: number;
  /** …or once this much time has passed since the last one, if anything was learned. @defaultValue 3000 */
  versionEveryMs?: number;
  /** Prequential window, in labelled events. @defaultValue 500 */
  accuracyWindow?: number;
  /** Ids remembered to drop duplicates (producer retries); 0 turns it off. @defaultValue 100000 */
  dedupeWindow?: number;
  /** Reservoir of past examples mixed into each step; capacity 0 turns it off. @defaultValue { capacity: 1000, mixRatio: 0.25 } */
  replay?: { capacity?: number; mixRatio?: number };
  drift?: DriftOptions;
  /** Which candidates may serve, and when serving rolls back. @defaultValue enabled, prequential */
  guardrail?: GuardrailOptions;
  deadLetters: { send(letters: DeadLetter[]): Promise<void> };
  ack(record: RawRecord): void;
  /** Commits group offsets once the checkpoint that includes them is durable. */
  commit(offsets: Record<string, string>): Promise<void>;
  onStats?(stats: TrainerStats): void;
  /** A checkpoint version was saved; `eventTimestamps` samples when its new events were produced. */
  onVersion?(meta: VersionMeta, info: { eventTimestamps: number[] }): void;
  /** The serving version degraded after its promotion: serving should go back to `to`. */
  onRollback?(r: RollbackRequest): void;
  /** Clock in ms (a parameter so tests control time). @defaultValue Date.now */
  now?: () => number;
}

interface Example {
  x: number[];
  y: string | number;
  w: number;
}

const MAX_TS_SAMPLE = 1000;

/**
 * The trainer's step: skip what the checkpoint already includes, dead-letter
 * rejects, drop duplicate ids, score each labelled event before learning it
 * (prequential), learn the micro-batch (plus a few replayed examples), watch
 * the error for drift, ack every record, and save a checkpoint version every
 * N steps or T ms — whose offsets are committed only once it is durable. Steps
 * must run one at a time (`concatMap`).
 */
export class OnlineTrainer {
  readonly accuracy: PrequentialAccuracy;
  /** Prequential MAE (regression learners). */
  readonly mae: PrequentialError;
  /** Accuracy of pseudo-labels, checked when the true label of a pseudo-labelled id arrives. */
  readonly pseudoLabels = new PseudoLabelTracker();
  private learnerRef: Learner;
  /** The learner's task, read once per learner rather than on every step. */
  private regression: boolean;
  private parent: VersionMeta | null;
  private examplesSeen: number;
  private next = new Map<string, bigint>();
  private recentIds: RecentIds;
  private readonly replay: ReplayBuffer<Example>;
  private readonly drift: DriftReaction;
  readonly guardrail: PromotionGuardrail;
  private stepsSinceVersion = 0;
  private learnedSinceVersion = 0;
  private tsSample: number[] = [];
  private lastVersionAt: number;
  private refreshRequested = false;
  /** Totals since start (for summaries and tests). */
  readonly totals = { consumed: 0, learned: 0, rejected: 0, unlabelled: 0, pseudoLabelled: 0, duplicates: 0, skipped: 0, drifts: 0, versions: 0, refreshes: 0 };
  private readonly now: () => number;

  constructor(private readonly opts: OnlineTrainerOptions) {
    this.accuracy = new PrequentialAccuracy(opts.accuracyWindow ?? 500);
    this.mae = new PrequentialError(opts.accuracyWindow ?? 500);
    this.now = opts.now ?? Date.now;
    this.lastVersionAt = this.now();
    this.learnerRef = opts.learner;
    this.regression = opts.learner.describe().task === 'regression';
    this.parent = opts.parent;
    this.examplesSeen = opts.parent?.examplesSeen ?? 0;
    this.recentIds = new RecentIds(opts.dedupeWindow ?? 100_000);
    this.replay = new ReplayBuffer(opts.replay?.capacity ?? 1000);
    this.drift = new DriftReaction(opts.drift);
    this.guardrail = new PromotionGuardrail(opts.store, opts.model, opts.guardrail);
    this.resetPositions();
  }

  /** The learner being trained (replaced when a newer checkpoint is restored). */
  get learner(): Learner {
    return this.learnerRef;
  }

  /** The newest checkpoint this trainer wrote or restored. */
  get checkpoint(): VersionMeta | null {
    return this.parent;
  }

  /** Next offset per `topic/partition` that this learner has not learned yet. */
  positions(): Record<string, string> {
    const out: Record<string, string> = { ...(this.parent?.offsets ?? {}) };
    for (const [k, v] of this.next) out[k] = v.toString();
    return out;
  }

  private resetPositions(): void {
    this.next = new Map(Object.entries(this.parent?.offsets ?? {}).map(([k, v]) => [k, BigInt(v)]));
  }

  /** Restores the dedupe window from the checkpoint's state file and loads the serving version for the guardrail. */
  async restoreState(): Promise<void> {
    await this.guardrail.init();
    if (!this.parent) return;
    const raw = await this.opts.store.readExtra(this.opts.model, this.parent.version, TRAINER_STATE_FILE);
    const ids = raw ? ((JSON.parse(raw) as { recentIds?: string[] }).recentIds ?? []) : [];
    this.recentIds = new RecentIds(this.opts.dedupeWindow ?? 100_000, ids);
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
    this.regression = learner.describe().task === 'regression';
    this.parent = meta;
    this.examplesSeen = meta.examplesSeen;
    this.resetPositions();
    await this.restoreState();
    this.stepsSinceVersion = 0;
    this.learnedSinceVersion = 0;
    this.tsSample = [];
    this.totals.refreshes++;
  }

  /** Releases the guardrail's copy of the serving version (the learner is the caller's). */
  dispose(): void {
    this.guardrail.dispose();
  }

  /** Processes one micro-batch; an empty batch is a clock tick (may save a version). */
  async step(batch: readonly DecodedRecord[]): Promise<void> {
    if (this.refreshRequested) await this.refresh();
    const fresh: DecodedRecord[] = [];
    let skipped = 0;
    for (const d of batch) {
      const key = tpKey(d.record.topic, d.record.partition);
      const offset = BigInt(d.record.offset);
      const next = this.next.get(key);
      if (next !== undefined && offset < next) skipped++;
      else {
        this.next.set(key, offset + 1n);
        fresh.push(d);
      }
    }
    const bad = fresh.filter((d) => !d.ok);
    const rejected: Record<string, number> = {};
    if (bad.length > 0) {
      await this.opts.deadLetters.send(bad.map((b) => ({ record: b.record, reason: b.reason, message: b.message })));
      for (const b of bad) rejected[b.reason] = (rejected[b.reason] ?? 0) + 1;
    }
    let duplicates = 0;
    const labelled: GoodRecord[] = [];
    const unlabelled: GoodRecord[] = [];
    for (const d of fresh) {
      if (!d.ok) continue;
      // An unlabelled event and the true label that comes for it later share the id: both are learned.
      const key = d.event.label === null ? `${d.event.id}\u0000unlabelled` : d.event.id;
      if (this.recentIds.has(key)) {
        duplicates++;
        continue;
      }
      this.recentIds.add(key);
      if (d.event.label === null) unlabelled.push(d);
      else labelled.push(d);
    }
    for (const d of labelled) this.pseudoLabels.truth(d.event.id, d.event.label as string | number);
    const learnStarted = performance.now();
    const { loss, drifts } = labelled.length > 0 ? await this.learn(labelled) : { loss: null, drifts: 0 };
    const stepSeconds = labelled.length > 0 ? (performance.now() - learnStarted) / 1000 : undefined;
    const pseudoLabelled = unlabelled.length > 0 ? await this.learnUnlabelled(unlabelled) : 0;
    for (const d of batch) this.opts.ack(d.record);
    this.totals.consumed += batch.length;
    this.totals.learned += labelled.length;
    this.totals.rejected += bad.length;
    this.totals.unlabelled += unlabelled.length;
    this.totals.pseudoLabelled += pseudoLabelled;
    this.totals.duplicates += duplicates;
    this.totals.skipped += skipped;
    if (batch.length > 0) {
      const acc = this.accuracy.value;
      const faded = this.accuracy.faded;
      const mae = this.mae.value;
      const pseudoAcc = this.pseudoLabels.accuracy;
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
        accuracy: Number.isNaN(acc) ? null : acc,
        accuracyFaded: Number.isNaN(faded) ? null : faded,
        ...(stepSeconds === undefined ? {} : { stepSeconds }),
        mae: Number.isNaN(mae) ? null : mae,
        unlabelled: unlabelled.length,
        pseudoLabelled,
        pseudoLabelAccuracy: Number.isNaN(pseudoAcc) ? null : pseudoAcc,
      });
    }
    const due =
      this.stepsSinceVersion >= (this.opts.versionEverySteps ?? 20) ||
      (this.learnedSinceVersion > 0 && this.now() - this.lastVersionAt >= (this.opts.versionEveryMs ?? 3000));
    if (due) await this.saveVersion();
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
    this.learnedSinceVersion += r.pseudoLabelled.length;
    return r.pseudoLabelled.length;
  }

  private async learn(labelled: GoodRecord[]): Promise<{ loss: number; drifts: number }> {
    const learner = this.learnerRef;
    const fresh: Example[] = labelled.map((g) => ({ x: g.x, y: g.event.label as string | number, w: g.event.weight ?? 1 }));
    const mix = this.replay.sample(Math.round(fresh.length * (this.opts.replay?.mixRatio ?? 0.25)));
    const all = [...fresh, ...mix];
    const weighted = all.some((e) => e.w !== 1);
    const xs = all.map((e) => e.x);
    const ys = all.map((e) => e.y);
    // Prequential: predictions must come from the weights before this step. Learners
    // that report their step's own forward pass save a second one.
    const beforePreds = learner.predictsWhileLearning ? undefined : learner.predict(fresh.map((e) => e.x));
    const result = await learner.learn(xs, ys, weighted ? all.map((e) => e.w) : undefined);
    if (this.regression) return this.learnedRegression(labelled, fresh, result, beforePreds?.map((p) => p.value ?? Number.NaN));
    const predicted = beforePreds?.map((p) => p.label) ?? result.predicted;
    this.guardrail.observe(
      fresh.map((e) => e.x),
      fresh.map((e) => e.y),
      predicted ?? [],
    );
    const hits = fresh.map((e, i) => predicted?.[i] === String(e.y));
    for (const ok of hits) this.accuracy.update(ok);
    const drifts = this.drift.observe(learner, hits);
    this.totals.drifts += drifts;
    this.drift.stepDone(learner);
    this.afterStep(labelled, fresh);
    return { loss: result.loss, drifts };
  }

  /**
   * Regression: prequential MAE instead of accuracy. Drift detection and the
   * guardrail's comparison work on class hits, so they do not see regression steps.
   */
  private learnedRegression(labelled: GoodRecord[], fresh: Example[], result: StepResult, before: number[] | undefined): { loss: number; drifts: number } {
    const predicted = before ?? result.predictedValues;
    fresh.forEach((e, i) => {
      const p = predicted?.[i];
      if (p !== undefined && Number.isFinite(p)) this.mae.update(p, Number(e.y));
    });
    this.afterStep(labelled, fresh);
    return { loss: result.loss, drifts: 0 };
  }

  private afterStep(labelled: GoodRecord[], fresh: Example[]): void {
    for (const e of fresh) this.replay.add(e);
    for (const g of labelled) {
      const ts = g.event.ts ?? Number(g.record.timestamp);
      if (this.tsSample.length < MAX_TS_SAMPLE) this.tsSample.push(ts);
      else this.tsSample[Math.floor(Math.random() * MAX_TS_SAMPLE)] = ts;
    }
    this.stepsSinceVersion++;
    this.learnedSinceVersion += labelled.length;
    this.examplesSeen += labelled.length;
  }

  /**
   * Saves a checkpoint version if anything was learned since the last one, with
   * the guardrail's promotion decision, then commits its offsets. A rejected
   * candidate is still a checkpoint: training goes on from it, serving does not.
   */
  async saveVersion(): Promise<VersionMeta | null> {
    if (this.learnedSinceVersion === 0) return null;
    const rollback = await this.guardrail.rollbackDue();
    const promotion = this.guardrail.decide(this.learnerRef, rollback);
    const meta = await this.opts.store.save(
      this.opts.model,
      this.learnerRef,
      {
        parent: this.parent?.version ?? null,
        regime: this.opts.regime ?? 'supervised-online',
        backend: this.opts.backend,
        examplesSeen: this.examplesSeen,
        metrics: {
          prequentialAccuracy: Number.isNaN(this.accuracy.value) ? -1 : this.accuracy.value,
          ...(Number.isNaN(this.mae.value) ? {} : { prequentialMae: this.mae.value }),
          ...(this.pseudoLabels.checked > 0 ? { pseudoLabelAccuracy: this.pseudoLabels.accuracy } : {}),
          examplesLearnedOnline: this.learnedSinceVersion,
        },
        offsets: this.positions(),
        promotion,
      },
      { [TRAINER_STATE_FILE]: JSON.stringify({ recentIds: this.recentIds.toArray() }) },
    );
    // The weights that include these events are durable: only now may the group move past them.
    await this.opts.commit(meta.offsets);
    await this.guardrail.decided(meta, promotion);
    if (rollback) {
      await this.guardrail.rolledBack(rollback);
      this.opts.onRollback?.(rollback);
    }
    const eventTimestamps = this.tsSample;
    this.parent = meta;
    this.stepsSinceVersion = 0;
    this.learnedSinceVersion = 0;
    this.tsSample = [];
    this.lastVersionAt = this.now();
    this.totals.versions++;
    this.opts.onVersion?.(meta, { eventTimestamps });
    return meta;
  }
}
