import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { labelIndexOf } from './class-labels.js';
import { denseStack } from '../tensors/index.js';
import type { Prediction, StepResult, Task } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { NetLearner } from './net-learner.js';

/** Constructor parameters of {@link DenseClassifier}; all JSON, all saved. */
export interface DenseClassifierConfig {
  featureSpec: FeatureSpec;
  /** Class labels, in output order. Fixed for the model's life: an unknown label is rejected. */
  labels: string[];
  /** Units of each hidden ReLU layer. @defaultValue [64] */
  hiddenUnits?: number[];
  /** Adam learning rate. @defaultValue 0.003 */
  learningRate?: number;
  /** Seed of the weight initializers, so a run repeats exactly. @defaultValue 1 */
  seed?: number;
}

/**
 * A multi-layer perceptron with a softmax head: the supervised classifier of the
 * walking skeleton. Each `learn` call is one Adam step on a (weighted) micro-batch.
 *
 * @example
 * const m = new DenseClassifier({ featureSpec: { kind: 'features', dim: 4 }, labels: ['a', 'b'] });
 * await m.learn([[0, 1, 0, 1]], ['a']);
 * m.predict([[0, 1, 0, 1]])[0].label; // 'a' or 'b'
 */
export class DenseClassifier extends NetLearner<Required<DenseClassifierConfig>> {
  // A string, not the literal, so subclasses with another body (ConvClassifier) can rename themselves.
  static readonly className: string = 'DenseClassifier';
  readonly labels: string[];

  constructor(config: DenseClassifierConfig, model?: tf.LayersModel) {
    if (config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    if (new Set(config.labels).size !== config.labels.length) throw new ConfigError('labels', 'labels must be unique');
    const full: Required<DenseClassifierConfig> = { hiddenUnits: [64], learningRate: 0.003, seed: 1, ...config };
    super(full, model ?? denseStack(full.featureSpec.dim, full.hiddenUnits, { outputs: full.labels.length, seed: full.seed }));
    this.labels = [...config.labels];
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    return this.predictClasses(x, this.labels);
  }

  /** Index of a label, or throws `unknown_label` naming the known ones. */
  indexOf(label: string | number): number {
    return labelIndexOf(this.labels, label);
  }

  learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    return this.learnClasses(x, y, this.labels, weights);
  }

  protected describeTask(): { task: Task; labels: string[] } {
    return { task: 'classification', labels: [...this.labels] };
  }
}

registerLearner(DenseClassifier.className, {
  create: (config) => new DenseClassifier(config as unknown as DenseClassifierConfig),
  load: async (config, handler) => new DenseClassifier(config as unknown as DenseClassifierConfig, await tf.loadLayersModel(handler)),
});
