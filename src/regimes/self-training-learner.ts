import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { type Json, type Learner, type ModelDescription, type Prediction, type StepResult, type UnlabelledStepResult, createLearner, loadLearner, registerLearner } from '../learners/index.js';

/** Parameters of {@link SelfTrainingLearner}; all JSON, all saved. */
export interface SelfTrainingConfig {
  /** The classifier that learns, by class name and config (e.g. a DenseClassifier). */
  base: { className: string; config: { [k: string]: Json } };
  /** Confidence a prediction needs to become a pseudo-label. @defaultValue 0.9 */
  threshold?: number;
  /** Example weight of a pseudo-label (true labels weigh 1). @defaultValue 0.5 */
  pseudoWeight?: number;
  /** Largest share of pseudo-labels among all examples learned. @defaultValue 0.5 */
  maxPseudoShare?: number;
}

/**
 * Self-training: a classifier that also learns from unlabelled events, using
 * its own confident predictions as labels (weighted lower than true labels,
 * capped to a share of what it learns so it cannot drown in its own guesses).
 * Saved as its base model plus this wrapper's config.
 *
 * @example
 * const st = new SelfTrainingLearner({ base: { className: 'DenseClassifier', config } }, base);
 * await st.learnUnlabelled(xs, ids); // learns the confident ones, returns their pseudo-labels
 */
export class SelfTrainingLearner implements Learner {
  static readonly className = 'SelfTrainingLearner';
  readonly className = SelfTrainingLearner.className;
  private readonly config: Required<Omit<SelfTrainingConfig, 'base'>>;
  private labelledLearned = 0;
  private pseudoLearned = 0;

  constructor(
    config: SelfTrainingConfig,
    readonly base: Learner = createLearner(config.base.className, config.base.config),
  ) {
    this.config = { threshold: 0.9, pseudoWeight: 0.5, maxPseudoShare: 0.5, ...config };
    delete (this.config as Partial<SelfTrainingConfig>).base;
    if (base.describe().task !== 'classification') throw new ConfigError('training.regime', 'self-training needs a classifier (confidence of a class)');
    if (!(this.config.maxPseudoShare >= 0 && this.config.maxPseudoShare < 1)) throw new ConfigError('maxPseudoShare', 'must be in [0, 1)');
  }

  get featureSpec(): FeatureSpec {
    return this.base.featureSpec;
  }

  get predictsWhileLearning(): boolean | undefined {
    return this.base.predictsWhileLearning;
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    return this.base.predict(x);
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    const r = await this.base.learn(x, y, weights);
    this.labelledLearned += x.length;
    return r;
  }

  async learnUnlabelled(x: readonly (readonly number[])[], ids: readonly string[]): Promise<UnlabelledStepResult> {
    const { threshold, pseudoWeight, maxPseudoShare } = this.config;
    // pseudo / (labelled + pseudo) <= share  ⇔  pseudo <= labelled · share / (1 − share)
    const room = Math.floor((this.labelledLearned * maxPseudoShare) / (1 - maxPseudoShare)) - this.pseudoLearned;
    if (room <= 0 || x.length === 0) return { pseudoLabelled: [], loss: null };
    const preds = this.base.predict(x);
    const confident = preds
      .map((p, i) => ({ i, p }))
      .filter(({ p }) => (p.confidence ?? 0) >= threshold)
      .sort((a, b) => b.p.confidence! - a.p.confidence! || a.i - b.i)
      .slice(0, room);
    if (confident.length === 0) return { pseudoLabelled: [], loss: null };
    const { loss } = await this.base.learn(
      confident.map(({ i }) => x[i]!),
      confident.map(({ p }) => p.label!),
      confident.map(() => pseudoWeight),
      { pseudo: true },
    );
    this.pseudoLearned += confident.length;
    return { pseudoLabelled: confident.map(({ i, p }) => ({ id: ids[i]!, label: p.label! })), loss };
  }

  get learningRate(): number | undefined {
    return this.base.learningRate;
  }

  setLearningRate(lr: number): void {
    this.base.setLearningRate?.(lr);
  }

  getConfig(): { [k: string]: Json } {
    return { ...this.config, base: { className: this.base.className, config: this.base.getConfig() } };
  }

  save(handler: tf.io.IOHandler): Promise<void> {
    return this.base.save(handler);
  }

  describe(): ModelDescription {
    return { ...this.base.describe(), className: this.className };
  }

  dispose(): void {
    this.base.dispose();
  }
}

registerLearner(SelfTrainingLearner.className, {
  create: (config) => new SelfTrainingLearner(config as unknown as SelfTrainingConfig),
  load: async (config, handler) => {
    const c = config as unknown as SelfTrainingConfig;
    return new SelfTrainingLearner(c, await loadLearner(c.base.className, c.base.config, handler));
  },
});
