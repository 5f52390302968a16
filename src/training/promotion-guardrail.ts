import { type Example, type Learner } from '../learners/index.js';
import { accuracy, predictedTarget, score, ScoreWindow, targetScore, type EntityCounts, type TargetScore } from '../evaluation/index.js';
import type { PromotionDecision, VersionMeta, VersionStore } from '../registry/index.js';

export interface GuardrailOptions {
  /** @defaultValue true */
  enabled?: boolean;
  /** How much worse (absolute accuracy) a candidate may be than the serving version and still be promoted. @defaultValue 0.02 */
  tolerance?: number;
  /** Labelled events a comparison needs before it can reject; also the live window after a promotion. @defaultValue 100 */
  minEvents?: number;
  /** Most labelled events between two decisions the champion is scored on (the first ones). @defaultValue 1000 */
  sampleEvents?: number;
  /** Drop of the serving version's live accuracy below its level at promotion that rolls it back. @defaultValue 0.15 */
  rollbackThreshold?: number;
  /** A trusted labelled set: when given, candidates are compared on it instead of on the stream. */
  holdout?: Example[];
}

interface Champion {
  learner: Learner;
  meta: VersionMeta;
  /** Live score expected of it (its prequential score when promoted); null until measured. */
  baseline: number | null;
  /** Its live score (accuracy, or entity F1 for span models) over the last `minEvents` labelled events. */
  live: ScoreWindow;
  holdoutScore: number | null;
}

/** A rollback the guardrail asks for: the serving version degraded after its promotion. */
export interface RollbackRequest {
  from: string;
  to: string;
  reason: string;
}

/**
 * Decides which candidates reach serving. It keeps a copy of the serving version
 * (the champion) and scores it on the same labelled events the candidate is
 * scored on before learning them (or on a trusted holdout set): a candidate more
 * than `tolerance` worse is not promoted. After a promotion it watches the
 * champion's live accuracy; a drop of more than `rollbackThreshold` below its
 * level at promotion rolls serving back to the previous promoted version. Span, box and keypoint
 * models are compared by entity F1, box F1@0.5 (mAP@0.5 on a holdout) and PCK instead of accuracy.
 */
export class PromotionGuardrail {
  private champion: Champion | null = null;
  private cand: EntityCounts = { tp: 0, fp: 0, fn: 0 };
  private champ: EntityCounts = { tp: 0, fp: 0, fn: 0 };
  private compared = 0;
  /** How the champion's task is scored (accuracy, or entity F1 for spans). */
  private scorer: TargetScore = targetScore('classification');
  /** Best holdout accuracy of any version promoted here: small steps down must not add up. */
  private bestHoldout = Number.NEGATIVE_INFINITY;
  readonly totals = { promoted: 0, rejected: 0, rollbacks: 0 };

  constructor(
    private readonly store: VersionStore,
    private readonly model: string,
    private readonly opts: GuardrailOptions = {},
  ) {}

  get enabled(): boolean {
    return this.opts.enabled ?? true;
  }

  get servingVersion(): string | null {
    return this.champion?.meta.version ?? null;
  }

  private get minEvents(): number {
    return this.opts.minEvents ?? 100;
  }

  /** Loads the serving version (the newest promoted one) as the champion. */
  async init(): Promise<void> {
    if (!this.enabled) return;
    const latest = await this.store.latest(this.model);
    if (latest) await this.setChampion(latest, null);
  }

  /** `holdout`: the version's holdout score when the caller has just measured it (a promoted candidate's). */
  private async setChampion(version: string, baseline: number | null, holdout?: number): Promise<void> {
    const { learner, meta } = await this.store.load(this.model, version);
    this.champion?.learner.dispose();
    this.scorer = targetScore(meta.description.task);
    const holdoutScore = holdout ?? this.holdoutScore(learner);
    if (holdoutScore !== null) this.bestHoldout = Math.max(this.bestHoldout, holdoutScore);
    this.champion = { learner, meta, baseline, live: new ScoreWindow(this.scorer, this.minEvents), holdoutScore };
  }

  /** Accuracy (entity F1, mAP@0.5 or PCK for span, box or keypoint models) on the holdout set, or null without one. */
  private holdoutScore(learner: Learner): number | null {
    const h = this.opts.holdout;
    if (!h) return null;
    // Structured tasks by their own metric (entity F1, mAP@0.5, PCK); classes and numbers by accuracy, as before.
    const task = learner.describe().task;
    return task === 'classification' || task === 'regression' ? accuracy(learner, h) : score(learner, h);
  }

  /**
   * Scores the champion on a step's fresh labelled events, beside the candidate's
   * own predictions: up to `sampleEvents` events between two decisions (a
   * checkpoint), the rest are left out of both scores.
   */
  observe(x: readonly number[][], y: readonly (string | number)[], candidatePredicted: readonly (string | undefined)[]): void {
    const c = this.champion;
    const room = (this.opts.sampleEvents ?? 1000) - this.compared;
    if (!this.enabled || !c || x.length === 0 || room <= 0) return;
    const preds = c.learner.predict(x.length > room ? x.slice(0, room) : x);
    preds.forEach((p, i) => {
      const champ = this.scorer.counts(y[i]!, predictedTarget(p));
      add(this.champ, champ);
      add(this.cand, this.scorer.counts(y[i]!, candidatePredicted[i]));
      this.compared++;
      c.live.push(champ);
    });
    // The first full window after (re)starting sets the level a promoted version is held to.
    if (c.baseline === null && c.live.full) c.baseline = c.live.mean;
  }

  /** A rollback is due when the champion's live accuracy fell far below its baseline. */
  async rollbackDue(): Promise<RollbackRequest | null> {
    const c = this.champion;
    if (!this.enabled || !c || c.baseline === null || !c.live.full) return null;
    const live = c.live.mean;
    if (c.baseline - live <= (this.opts.rollbackThreshold ?? 0.15)) return null;
    const to = await this.previousPromoted(c.meta);
    if (!to) return null;
    return { from: c.meta.version, to, reason: `live ${this.scorer.name} of ${c.meta.version} fell from ${c.baseline.toFixed(3)} to ${live.toFixed(3)}` };
  }

  /** Serves the rollback target as champion from now on. */
  async rolledBack(r: RollbackRequest): Promise<void> {
    this.totals.rollbacks++;
    await this.setChampion(r.to, null);
    this.resetWindow();
  }

  private async previousPromoted(from: VersionMeta): Promise<string | null> {
    let v = from.parent;
    while (v && (await this.store.has(this.model, v))) {
      const meta = await this.store.meta(this.model, v);
      if (meta.promotion?.promoted !== false) return v;
      v = meta.parent;
    }
    if (!v) return null;
    // Retention removed part of the chain (it keeps the rollback targets): the newest promoted version below `from` left.
    for (const w of (await this.store.list(this.model)).reverse()) {
      if (Number(w.slice(1)) >= Number(from.version.slice(1))) continue;
      const meta = await this.store.meta(this.model, w).catch(() => null);
      if (meta && meta.promotion?.promoted !== false) return w;
    }
    return null;
  }

  /** Decides whether `candidate` (about to be saved) may serve. */
  decide(candidate: Learner, rollback: RollbackRequest | null): PromotionDecision {
    const c = this.champion;
    const events = this.compared;
    const base = { servingVersion: c?.meta.version ?? null, events };
    if (!this.enabled || !c) return { promoted: true, mode: 'none', candidate: -1, serving: -1, ...base, reason: this.enabled ? 'no serving version to compare with' : 'guardrail off' };
    if (rollback) return { promoted: false, mode: 'prequential', candidate: -1, serving: -1, ...base, reason: `serving version rolled back: ${rollback.reason}` };
    const tolerance = this.opts.tolerance ?? 0.02;
    if (this.opts.holdout && c.holdoutScore !== null) {
      const score = this.holdoutScore(candidate)!;
      // Held to the best promoted so far, not only to the current one, so that a run
      // of candidates each a little worse (e.g. slowly poisoned labels) cannot creep down.
      const reference = Math.max(c.holdoutScore, this.bestHoldout);
      return compared('holdout', score, reference, tolerance, { servingVersion: c.meta.version, events: this.opts.holdout.length }, 'not worse on the holdout set', (d) =>
        `holdout ${this.scorer.name} ${d} below ${reference.toFixed(3)} (best promoted)`);
    }
    if (events < this.minEvents) return { promoted: true, mode: 'prequential', candidate: -1, serving: -1, ...base, reason: `only ${events} events to compare on (need ${this.minEvents})` };
    const serv = this.scorer.of(this.champ, events);
    return compared('prequential', this.scorer.of(this.cand, events), serv, tolerance, base, 'not worse on the same recent events', (d) =>
      `${this.scorer.name} ${d} below the serving version's ${serv.toFixed(3)} on the same ${events} events`);
  }

  /** Records the decision for the saved version; a promoted one becomes the champion. */
  async decided(meta: VersionMeta, d: PromotionDecision): Promise<void> {
    if (!this.enabled) return;
    if (d.promoted) {
      this.totals.promoted++;
      // Held to the accuracy it showed before promotion when that was measured;
      // otherwise to the level its predecessor was held to (or showed live), so a
      // collapse right after a thinly measured promotion is still caught.
      const measured = d.mode === 'prequential' && d.candidate >= 0 ? d.candidate : this.compared >= this.minEvents ? this.scorer.of(this.cand, this.compared) : null;
      const prev = this.champion;
      const inherited = prev?.baseline ?? (prev?.live.full ? prev.live.mean : null);
      // A holdout decision measured this very version: its score is the champion's.
      await this.setChampion(meta.version, measured ?? inherited, d.mode === 'holdout' ? d.candidate : undefined);
    } else if (!d.reason.startsWith('serving version rolled back')) this.totals.rejected++;
    this.resetWindow();
  }

  private resetWindow(): void {
    this.cand = { tp: 0, fp: 0, fn: 0 };
    this.champ = { tp: 0, fp: 0, fn: 0 };
    this.compared = 0;
  }

  dispose(): void {
    this.champion?.learner.dispose();
    this.champion = null;
  }
}

/** A decision from two scores: promoted unless the candidate is more than `tolerance` below the reference. */
function compared(
  mode: 'holdout' | 'prequential',
  candidate: number,
  serving: number,
  tolerance: number,
  base: { servingVersion: string | null; events: number },
  okReason: string,
  worse: (drop: string) => string,
): PromotionDecision {
  const promoted = candidate >= serving - tolerance;
  return { promoted, mode, candidate, serving, ...base, reason: promoted ? okReason : worse(`${candidate.toFixed(3)} is more than ${tolerance}`) };
}

function add(sum: EntityCounts, c: EntityCounts): void {
  sum.tp += c.tp;
  sum.fp += c.fp;
  sum.fn += c.fn;
}
