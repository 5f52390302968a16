import type * as tf from '@tensorflow/tfjs';
import { ConfigError, PreconditionError, RollingWindow } from '../core/index.js';
import { OnlineStandardizer, type FeatureSpec, type StandardizerState } from '../features/index.js';
import { describeLearner, type Json, type LearnOptions, type Learner, type ModelDescription, type Prediction, type StepResult, type Task } from './learner.js';
import { defaultCandidates, type CandidateSpec } from './auto-candidates.js';
import { leadOver, type LeadRule } from './candidate-lead.js';
import { blendAnswers, memberToFollow } from './ensemble-blend.js';
import { createLearner, loadLearner, registerLearner } from './learner-registry.js';
import { saveModels, unpackHandlers } from '../tensors/index.js';

/** Parameters of {@link AutoLearner}; all JSON, all saved (with the running statistics and the leader). */
export interface AutoLearnerConfig {
  featureSpec: FeatureSpec;
  task: Task;
  labels?: string[];
  /** The learners that compete. @defaultValue {@link defaultCandidates} for the input kind and task */
  candidates?: CandidateSpec[];
  /** Labelled events each candidate's prequential score is taken over. @defaultValue 300 */
  window?: number;
  /**
   * How far another candidate must lead, over full windows, before it serves:
   * accuracy points for a classifier, a share of the leader's MAE for a regressor. @defaultValue 0.02
   */
  margin?: number;
  /**
   * Scored events after which a candidate that leads *clearly* takes the lead
   * without a margin over full windows: over the recent third of the window (or
   * all events scored, when fewer) it is ahead by the margin and by 3 standard
   * errors of the paired difference (see {@link leadOver}). @defaultValue 30
   */
  clearLeadAfter?: number;
  /** Standardize features with running statistics (tabular inputs). @defaultValue true for `features` inputs */
  standardize?: boolean;
  /** Learn regression targets standardized with running statistics. @defaultValue true */
  scaleTarget?: boolean;
  /** The candidate that serves. @defaultValue `ensemble` (the only candidate when there is one) */
  leader?: string;
  standardizer?: StandardizerState | null;
  targetScaler?: StandardizerState | null;
  /** Each candidate's scored window (hits or absolute errors, oldest first), by name. */
  scores?: Record<string, number[]>;
  /** The blend's own scored window, whether or not it answered for `ensemble` (see {@link memberToFollow}). */
  blendScores?: number[];
}

/** A candidate's standing: its prequential score over the window (null until it has one) and whether it serves. */
export interface CandidateScore {
  name: string;
  score: number | null;
  leader: boolean;
}

/** Name of the pseudo-candidate that blends the others' answers. */
export const ENSEMBLE = 'ensemble';

/**
 * Online model selection, the default regime of a new model: several learners
 * learn the same stream; each is scored prequentially (predict, then learn) on
 * the same events over a rolling window, and so is `ensemble`, their blend
 * weighted by those scores; the best of them serves, and the lead changes only
 * when another is ahead by `margin`. Tabular features are standardized and
 * regression targets scaled with running statistics saved with the version,
 * so serving transforms inputs exactly as training did.
 *
 * @example
 * const auto = new AutoLearner({ featureSpec: { kind: 'features', dim: 4 }, task: 'classification', labels: ['a', 'b'] });
 * await auto.learn(xs, ys);
 * auto.candidateScores(); // [{ name: 'linear', score: 0.91, leader: false }, …, { name: 'ensemble', score: 0.95, leader: true }]
 */
export class AutoLearner implements Learner {
  static readonly className = 'AutoLearner';
  readonly className = AutoLearner.className;
  readonly predictsWhileLearning = true;
  readonly featureSpec: FeatureSpec;
  private readonly config: Required<Omit<AutoLearnerConfig, 'standardizer' | 'targetScaler' | 'scores' | 'blendScores'>>;
  readonly candidates: Learner[];
  /** Candidate names, then {@link ENSEMBLE} (when there are two candidates or more). */
  private readonly names: string[];
  private readonly scores: RollingWindow[];
  private readonly blendScores: RollingWindow;
  private leader: number;
  private readonly standardizer: OnlineStandardizer | null;
  private readonly targetScaler: OnlineStandardizer | null;
  private lrScale = 1;
  private learning = false;
  private readonly baseRates: (number | undefined)[];
  private readonly raw: boolean[]; // per candidate: learns raw inputs ({@link CandidateSpec.rawInputs})

  constructor(config: AutoLearnerConfig, candidates?: Learner[]) {
    const labels = config.labels ?? [];
    this.config = {
      labels,
      candidates: config.candidates ?? defaultCandidates(config.featureSpec, config.task, labels),
      window: 300,
      margin: 0.02,
      clearLeadAfter: 30,
      standardize: config.featureSpec.kind === 'features',
      scaleTarget: true,
      leader: ENSEMBLE,
      ...config,
    } as AutoLearner['config'];
    const specs = this.config.candidates;
    if (specs.length === 0) throw new ConfigError('candidates', 'auto needs at least one candidate');
    const names = specs.map((c) => c.name);
    if (new Set(names).size !== names.length || names.includes(ENSEMBLE)) throw new ConfigError('candidates', `candidate names must be unique and not "${ENSEMBLE}"`);
    this.featureSpec = config.featureSpec;
    this.names = specs.length > 1 ? [...names, ENSEMBLE] : names;
    this.candidates = candidates ?? specs.map((c) => createLearner(c.className, c.config));
    this.baseRates = this.candidates.map((c) => c.learningRate);
    this.scores = this.names.map((n) => new RollingWindow(this.config.window, config.scores?.[n]));
    this.blendScores = new RollingWindow(this.config.window, config.blendScores);
    this.leader = Math.max(0, this.names.indexOf(this.config.leader));
    this.standardizer = this.config.standardize ? new OnlineStandardizer(config.featureSpec.dim, config.standardizer ?? undefined) : null;
    this.raw = specs.map((c) => c.rawInputs === true);
    this.targetScaler = config.task === 'regression' && this.config.scaleTarget ? new OnlineStandardizer(1, config.targetScaler ?? undefined) : null;
  }

  /** The candidate serving now. */
  get leaderName(): string {
    return this.names[this.leader]!;
  }

  candidateScores(): CandidateScore[] {
    return this.names.map((name, i) => ({ name, score: this.scores[i]!.length ? this.scores[i]!.mean : null, leader: i === this.leader }));
  }

  private get leadRule(): LeadRule {
    return { regression: this.regression, margin: this.config.margin, clearLeadAfter: this.config.clearLeadAfter };
  }

  private get regression(): boolean {
    return this.config.task === 'regression';
  }

  private inputs(x: readonly (readonly number[])[]): readonly (readonly number[])[] {
    return this.standardizer ? this.standardizer.transformAll(x) : x;
  }

  private unscale(v: number): number {
    return this.targetScaler ? v * this.targetScaler.std(0) + this.targetScaler.state().mean[0]! : v;
  }

  private scaleTarget(v: number): number {
    const s = this.targetScaler!;
    return (v - s.state().mean[0]!) / s.std(0);
  }

  /** Candidate i's answers for a batch given raw (`x`) and standardized (`xs`) inputs, targets unscaled. */
  private answersOf(i: number, x: readonly (readonly number[])[], xs: readonly (readonly number[])[]): Prediction[] {
    const out = this.candidates[i]!.predict(this.raw[i] ? x : xs);
    return this.regression ? out.map((p) => ({ value: this.unscale(p.value ?? Number.NaN) })) : out;
  }

  /** Every candidate's answers for a batch, then the ensemble's; and the blend's. */
  private answers(x: readonly (readonly number[])[], xs: readonly (readonly number[])[]): { all: Prediction[][]; blended: Prediction[] | null } {
    const each = this.candidates.map((_, i) => this.answersOf(i, x, xs));
    if (this.names.length === each.length) return { all: each, blended: null };
    const { served, blended } = this.blend(each);
    return { all: [...each, served], blended };
  }

  /**
   * The blend of the candidates' answers weighted by their scores (see
   * {@link blendAnswers}), and what the ensemble serves: the blend, or the best
   * candidate's answers while that candidate scores above the blend ({@link memberToFollow}).
   */
  private blend(each: Prediction[][]): { served: Prediction[]; blended: Prediction[] } {
    const scored = this.candidates.map((_, i) => (this.scores[i]!.length ? this.scores[i]!.mean : null));
    const blended = blendAnswers(each, scored, this.config.labels, this.regression);
    const follow = memberToFollow(this.scores.slice(0, each.length), this.blendScores, this.leadRule);
    return { served: follow < 0 ? blended : each[follow]!, blended };
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    const xs = this.inputs(x);
    if (this.leaderName === ENSEMBLE) return this.blend(this.candidates.map((_, i) => this.answersOf(i, x, xs))).served;
    return this.answersOf(this.leader, x, xs);
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult> {
    if (this.learning) throw new PreconditionError(`${this.className}.learn called while a step is running; steps must be serialized`, { learner: this.className });
    this.learning = true;
    try {
      return await this.step(x, y, weights, opts);
    } finally {
      this.learning = false;
    }
  }

  private async step(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    if (opts?.repeat) return this.relearn(x, y, weights);
    // Feature statistics move with the inputs (no labels involved), before anything predicts.
    this.standardizer?.update(x);
    const xs = this.inputs(x);
    // Predict, then learn: every answer comes from the weights (and target statistics) before this batch.
    const { all: before, blended } = this.answers(x, xs);
    if (!opts?.pseudo) {
      const hit = (p: Prediction, truth: string | number): number => (this.regression ? absError(p.value!, Number(truth)) : p.label === String(truth) ? 1 : 0);
      before.forEach((ps, i) => y.forEach((truth, n) => this.scores[i]!.push(hit(ps[n]!, truth))));
      if (blended) y.forEach((truth, n) => this.blendScores.push(hit(blended[n]!, truth)));
    }
    this.targetScaler?.update(y.map((v) => [Number(v)]));
    const ys = this.regression && this.targetScaler ? y.map((v) => this.scaleTarget(Number(v))) : y;
    let loss = 0;
    for (let i = 0; i < this.candidates.length; i++) {
      const r = await this.candidates[i]!.learn(this.raw[i] ? x : xs, ys, weights, opts);
      if (i === this.leader || (this.leaderName === ENSEMBLE && i === 0)) loss = r.loss;
    }
    const served = before[this.leader]!;
    this.reselect();
    return this.regression ? { loss, examples: x.length, predictedValues: served.map((p) => p.value!) } : { loss, examples: x.length, predicted: served.map((p) => p.label!) };
  }

  /** Another epoch of batch training: gradient candidates step again; statistics, scores and single-pass candidates stay. */
  private async relearn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    const xs = this.inputs(x);
    const ys = this.regression && this.targetScaler ? y.map((v) => this.scaleTarget(Number(v))) : y;
    let loss = 0;
    for (let i = 0; i < this.candidates.length; i++) loss = (await this.candidates[i]!.learn(this.raw[i] ? x : xs, ys, weights, { repeat: true })).loss;
    return { loss, examples: x.length };
  }

  /**
   * Hands the lead to the candidate furthest ahead of the one serving, among
   * those that lead it either by the margin over full windows, or clearly
   * (see {@link AutoLearnerConfig.clearLeadAfter}) over a shorter stretch.
   */
  private reselect(): void {
    let best = this.leader;
    let bestGap = 0;
    this.scores.forEach((_, i) => {
      if (i === this.leader) return;
      const gap = leadOver(this.scores[i]!, this.scores[this.leader]!, this.leadRule);
      if (gap > bestGap) {
        best = i;
        bestGap = gap;
      }
    });
    this.leader = best;
  }

  /** A multiplier on every candidate's base learning rate (drift reactions boost it, then restore 1). */
  get learningRate(): number {
    return this.lrScale;
  }

  setLearningRate(scale: number): void {
    this.lrScale = scale;
    this.candidates.forEach((c, i) => {
      const base = this.baseRates[i];
      if (base !== undefined) c.setLearningRate?.(base * scale);
    });
  }

  getConfig(): { [k: string]: Json } {
    const candidates = this.candidates.map((c, i) => ({ name: this.names[i]!, className: c.className, config: c.getConfig(), ...(this.raw[i] ? { rawInputs: true } : {}) }));
    return JSON.parse(
      JSON.stringify({
        ...this.config,
        candidates,
        leader: this.leaderName,
        standardizer: this.standardizer?.state() ?? null,
        targetScaler: this.targetScaler?.state() ?? null,
        scores: Object.fromEntries(this.names.map((n, i) => [n, this.scores[i]!.toArray()])),
        blendScores: this.blendScores.toArray(),
      }),
    ) as { [k: string]: Json };
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await saveModels(this.candidates, handler);
  }

  static async load(config: AutoLearnerConfig, handler: tf.io.IOHandler): Promise<AutoLearner> {
    const specs = config.candidates ?? [];
    const parts = await unpackHandlers(handler);
    const candidates = await Promise.all(specs.map((c, i) => loadLearner(c.className, c.config, parts[i]!)));
    return new AutoLearner(config, candidates);
  }

  describe(): ModelDescription {
    return describeLearner(this, this.config.task, this.config.labels, this.candidates.reduce((s, c) => s + c.describe().parameters, 0));
  }

  dispose(): void {
    for (const c of this.candidates) c.dispose();
  }
}

/** |p − t|, where a prediction that is not a finite number (a diverged candidate) counts as a huge error. */
function absError(p: number, t: number): number {
  const e = Math.abs(p - t);
  return Number.isFinite(e) ? Math.min(e, 1e12) : 1e12;
}

registerLearner(AutoLearner.className, {
  create: (config) => new AutoLearner(config as unknown as AutoLearnerConfig),
  load: (config, handler) => AutoLearner.load(config as unknown as AutoLearnerConfig, handler),
});
