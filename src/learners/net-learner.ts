import * as tf from '@tensorflow/tfjs';
import type { FeatureSpec } from '../features/index.js';
import { classPredictions, labelIndexOf } from './class-labels.js';
import { rowsTensor, TrainableNet } from '../tensors/index.js';
import type { Json, Learner, ModelDescription, Prediction, StepResult, Task } from './learner.js';

/** What every net learner's config holds once its defaults are applied. */
export interface NetLearnerConfig {
  featureSpec: FeatureSpec;
  learningRate: number;
}

/**
 * Base of the learners that are one tfjs layers model trained by one
 * {@link TrainableNet}: it holds the config (defaults applied once, in the
 * subclass constructor's head), the feature spec, the model and the net, and
 * implements what they share — learning rate, JSON config, save through an
 * IOHandler, describe, dispose, and the softmax classifier's predict and step.
 * A subclass builds its model, says what it predicts, and predicts and learns.
 * As in tfjs, its static `className` names it (the instance reads it) and
 * `registerLearner` rebuilds it from its config and weights.
 *
 * @example
 * // A softmax classifier on an MLP; the base does the rest.
 * class MlpClassifier extends NetLearner<{ featureSpec: FeatureSpec; labels: string[]; learningRate: number }> {
 *   static readonly className = 'MlpClassifier';
 *   constructor(config: { featureSpec: FeatureSpec; labels: string[]; learningRate?: number }, model?: tf.LayersModel) {
 *     const full = { learningRate: 0.003, ...config }; // defaults, applied once
 *     super(full, model ?? denseStack(full.featureSpec.dim, [32], { outputs: full.labels.length }));
 *   }
 *   protected describeTask() { return { task: 'classification' as const, labels: [...this.config.labels] }; }
 *   predict(x: readonly (readonly number[])[]) { return this.predictClasses(x, this.config.labels); }
 *   learn(x: readonly (readonly number[])[], y: readonly (string | number)[], w?: readonly number[]) { return this.learnClasses(x, y, this.config.labels, w); }
 * }
 * registerLearner(MlpClassifier.className, {
 *   create: (c) => new MlpClassifier(c as never),
 *   load: async (c, handler) => new MlpClassifier(c as never, await tf.loadLayersModel(handler)),
 * });
 */
export abstract class NetLearner<C extends NetLearnerConfig> implements Learner {
  readonly predictsWhileLearning = true;
  readonly featureSpec: FeatureSpec;
  protected readonly net: TrainableNet;

  protected constructor(
    protected readonly config: C,
    protected readonly model: tf.LayersModel,
  ) {
    this.featureSpec = config.featureSpec;
    this.net = new TrainableNet(model, config.learningRate, this.className);
  }

  /** The subclass's static `className`, under which it is registered and saved. */
  get className(): string {
    return (this.constructor as unknown as { className: string }).className;
  }

  abstract predict(x: readonly (readonly number[])[]): Prediction[];
  abstract learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult>;
  /** What the model predicts: its task, and its labels in output order (none for regression). */
  protected abstract describeTask(): { task: Task; labels: string[] };

  /** The model's input for a batch: one `[rows, featureSpec.dim]` tensor, unless the model takes several. */
  protected input(x: readonly (readonly number[])[]): tf.Tensor | tf.Tensor[] {
    return rowsTensor(x, this.featureSpec.dim);
  }

  /** Softmax over the model's logits, read as one prediction per row. */
  protected predictClasses(x: readonly (readonly number[])[], labels: readonly string[]): Prediction[] {
    if (x.length === 0) return [];
    const probs = tf.tidy(() => tf.softmax(this.model.predict(this.input(x)) as tf.Tensor2D));
    const data = probs.dataSync();
    probs.dispose();
    return classPredictions(data, labels);
  }

  /** One Adam step of (weighted) softmax cross-entropy; `predicted` is the argmax of its pre-update forward pass. */
  protected async learnClasses(x: readonly (readonly number[])[], y: readonly (string | number)[], labels: readonly string[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    const idx = y.map((l) => labelIndexOf(labels, l));
    const { loss, side } = await this.net.step(() => {
      const ys = tf.oneHot(tf.tensor1d(idx, 'int32'), labels.length);
      const ws = weights ? tf.tensor1d(weights as number[]) : undefined;
      const logits = this.model.apply(this.input(x), { training: true }) as tf.Tensor;
      return { loss: tf.losses.softmaxCrossEntropy(ys, logits, ws) as tf.Scalar, side: tf.argMax(logits, 1) };
    });
    return { loss, examples: x.length, predicted: Array.from(side, (c) => labels[c]!) };
  }

  get learningRate(): number {
    return this.net.learningRate;
  }

  /** Changes the Adam step size while learning (drift reactions); the saved config keeps the base rate. */
  setLearningRate(lr: number): void {
    this.net.setLearningRate(lr);
  }

  getConfig(): { [k: string]: Json } {
    return JSON.parse(JSON.stringify(this.config)) as { [k: string]: Json };
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await this.net.save(handler);
  }

  describe(): ModelDescription {
    const { task, labels } = this.describeTask();
    return { className: this.className, task, inputKind: this.featureSpec.kind, inputDim: this.featureSpec.dim, labels, parameters: this.model.countParams() };
  }

  dispose(): void {
    this.net.dispose();
  }
}
