import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { labelIndexOf } from './class-labels.js';
import { describeLearner, type Json, type LearnOptions, type Learner, type ModelDescription, type Prediction, type StepResult, type Task } from './learner.js';

/** What every {@link SinglePassLearner}'s configuration holds. */
export interface SinglePassConfig {
  featureSpec: FeatureSpec;
  /** Class labels (classification). */
  labels?: string[];
}

/**
 * The head of the learners that learn each example exactly once and need no
 * step size (naive Bayes' counts, the Hoeffding tree's leaves, KNN's window):
 * the configuration with its defaults (all JSON, all saved), the label check,
 * and a prequential `learn` — targets checked before any row is learned, so a
 * bad batch changes nothing; predictions from the state before the batch; a
 * repeated epoch ignored, since it would count every example again. A subclass
 * says how it predicts, learns checked rows, saves and counts its parameters.
 *
 * @example
 * // Predicts the label it has seen most.
 * class Majority extends SinglePassLearner<{ featureSpec: FeatureSpec; labels: string[] }> {
 *   readonly className = 'Majority';
 *   private readonly counts = new Float64Array(this.config.labels.length);
 *   constructor(config: { featureSpec: FeatureSpec; labels: string[] }) {
 *     super(config, 'classification');
 *   }
 *   predict(x: readonly (readonly number[])[]): Prediction[] {
 *     const n = this.counts.reduce((a, b) => a + b, 0) || 1;
 *     return x.map(() => classPredictions(this.counts.map((c) => c / n), this.config.labels)[0]!);
 *   }
 *   protected learnRows(_x: readonly (readonly number[])[], targets: readonly number[]): void {
 *     for (const c of targets) this.counts[c]!++;
 *   }
 *   protected parameterCount(): number {
 *     return this.counts.length;
 *   }
 *   async save(handler: tf.io.IOHandler): Promise<void> {
 *     await saveFloat64State(handler, 'majority', {}, this.counts);
 *   }
 * }
 */
export abstract class SinglePassLearner<C extends SinglePassConfig> implements Learner {
  abstract readonly className: string;
  readonly predictsWhileLearning = true;
  readonly singlePass = true;
  readonly featureSpec: FeatureSpec;
  protected readonly config: Required<C> & Required<SinglePassConfig>;
  protected readonly task: Task;

  /** `config` with its defaults applied; a classifier needs at least 2 labels. */
  protected constructor(config: Required<C> & Required<SinglePassConfig>, task: Task) {
    if (task === 'classification' && config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    this.config = config;
    this.task = task;
    this.featureSpec = config.featureSpec;
  }

  abstract predict(x: readonly (readonly number[])[]): Prediction[];

  /** Learns a batch whose targets are checked: class indices (classification) or numbers (regression). */
  protected abstract learnRows(x: readonly (readonly number[])[], targets: readonly number[], weights?: readonly number[]): void;

  /** Numbers the learner holds, as {@link describe} reports them. */
  protected abstract parameterCount(): number;

  abstract save(handler: tf.io.IOHandler): Promise<void>;

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult> {
    if (opts?.repeat) return { loss: 0, examples: 0 };
    const regression = this.task === 'regression';
    const targets = y.map((v) => (regression ? Number(v) : labelIndexOf(this.config.labels, v)));
    const before = this.predict(x);
    this.learnRows(x, targets, weights);
    const n = x.length;
    if (regression) {
      const error = before.reduce((s, p, i) => s + Math.abs((p.value ?? 0) - targets[i]!), 0);
      return { loss: n ? error / n : 0, examples: n, predictedValues: before.map((p) => p.value!) };
    }
    const wrong = before.filter((p, i) => p.label !== String(y[i])).length;
    return { loss: n ? wrong / n : 0, examples: n, predicted: before.map((p) => p.label!) };
  }

  getConfig(): { [k: string]: Json } {
    return JSON.parse(JSON.stringify(this.config)) as { [k: string]: Json };
  }

  describe(): ModelDescription {
    return describeLearner(this, this.task, this.config.labels, this.parameterCount());
  }

  dispose(): void {
    // Plain arrays: nothing to release.
  }
}
