import * as tf from '@tensorflow/tfjs';
import { ConfigError, InvalidInputError, PreconditionError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { classPredictions, labelIndexOf, type Json, type Learner, type ModelDescription, type Prediction, type StepResult, type Task, registerLearner } from '../learners/index.js';
import { denseStack, loadModels, saveModels, rowsTensor } from '../tensors/index.js';

/** Constructor parameters of {@link EncoderHeadLearner}; all JSON, all saved. */
export interface EncoderHeadConfig {
  featureSpec: FeatureSpec;
  /** @defaultValue 'classification' */
  task?: Task;
  /** Class labels (classification only). */
  labels?: string[];
  /** Units of the encoder's ReLU layers; its last layer is the representation. @defaultValue [64, 32] */
  encoderUnits?: number[];
  /** Hidden units of the head before its output layer. @defaultValue [] */
  headUnits?: number[];
  /** Adam learning rate of the head. @defaultValue 0.003 */
  learningRate?: number;
  /** Adam learning rate of the unfrozen encoder layers (lower when fine-tuning). @defaultValue learningRate */
  encoderLearningRate?: number;
  /** Top encoder layers that learn: 0 = frozen encoder (transfer), k = top k (fine-tuning), -1 = all (from scratch). @defaultValue -1 */
  trainableEncoderLayers?: number;
  /** Regression loss. @defaultValue 'mse' */
  loss?: 'mse' | 'huber';
  targetMean?: number;
  targetStd?: number;
  /** Where the encoder came from (a registry version, a model dir, a pretraining objective), for the record. @defaultValue '' */
  encoderSource?: string;
  /** @defaultValue 1 */
  seed?: number;
}

/**
 * An encoder and a head trained as one model, with the encoder's layers frozen
 * or unfrozen per configuration and learning at their own rate. It is the
 * learner of the representation regimes: transfer (frozen pretrained encoder,
 * new head), fine-tuning (top k encoder layers at a lower rate), and heads on
 * encoders pretrained by an autoencoder, masked modelling or contrastive loss.
 *
 * @example
 * const m = new EncoderHeadLearner({ featureSpec: { kind: 'features', dim: 8 }, labels: ['a', 'b'], trainableEncoderLayers: 0 });
 * m.setEncoderWeights(pretrained); // then only the head learns
 */
export class EncoderHeadLearner implements Learner {
  static readonly className = 'EncoderHeadLearner';
  readonly className = EncoderHeadLearner.className;
  readonly predictsWhileLearning = true;
  readonly featureSpec: FeatureSpec;
  readonly task: Task;
  readonly labels: string[];
  private readonly config: Required<EncoderHeadConfig>;
  readonly encoder: tf.LayersModel;
  readonly head: tf.LayersModel;
  private readonly headOptimizer: tf.Optimizer;
  private readonly encoderOptimizer: tf.Optimizer;
  private learning = false;

  constructor(config: EncoderHeadConfig, models?: [tf.LayersModel, tf.LayersModel]) {
    const lr = config.learningRate ?? 0.003;
    this.config = {
      task: 'classification',
      labels: [],
      encoderUnits: [64, 32],
      headUnits: [],
      learningRate: lr,
      encoderLearningRate: lr,
      trainableEncoderLayers: -1,
      loss: 'mse',
      targetMean: 0,
      targetStd: 1,
      encoderSource: '',
      seed: 1,
      ...config,
    };
    this.task = this.config.task;
    this.labels = [...this.config.labels];
    if (this.task === 'classification' && this.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    if (this.config.encoderUnits.length === 0) throw new ConfigError('encoderUnits', 'an encoder needs at least one layer');
    this.featureSpec = config.featureSpec;
    const { encoderUnits, headUnits, seed } = this.config;
    this.encoder = models?.[0] ?? denseStack(config.featureSpec.dim, encoderUnits, { seed });
    this.head = models?.[1] ?? denseStack(encoderUnits.at(-1)!, headUnits, { outputs: this.task === 'classification' ? this.labels.length : 1, seed: seed + 100 });
    this.headOptimizer = tf.train.adam(this.config.learningRate);
    this.encoderOptimizer = tf.train.adam(this.config.encoderLearningRate);
  }

  /** Replaces the encoder's weights, e.g. by those of a pretrained encoder of the same shape. */
  setEncoderWeights(weights: tf.Tensor[], source?: string): void {
    this.encoder.setWeights(weights);
    if (source !== undefined) this.config.encoderSource = source;
  }

  /** The encoder's variables that learn, per `trainableEncoderLayers`. */
  private encoderVariables(): tf.Variable[] {
    const k = this.config.trainableEncoderLayers;
    const layers = this.encoder.layers;
    const open = k < 0 ? layers : k === 0 ? [] : layers.slice(-k);
    return open.flatMap((l) => l.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
  }

  private headVariables(): tf.Variable[] {
    return this.head.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  }

  private forward(xs: tf.Tensor2D, training: boolean): tf.Tensor {
    return this.head.apply(this.encoder.apply(xs, { training }), { training }) as tf.Tensor;
  }

  /** The representation of each row (the encoder's output). */
  encode(x: readonly (readonly number[])[]): number[][] {
    const t = tf.tidy(() => this.encoder.predict(rowsTensor(x, this.featureSpec.dim)) as tf.Tensor2D);
    const out = t.arraySync();
    t.dispose();
    return out;
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    if (x.length === 0) return [];
    const out = tf.tidy(() => {
      const y = this.forward(rowsTensor(x, this.featureSpec.dim), false);
      return this.task === 'classification' ? tf.softmax(y) : y;
    });
    const data = out.dataSync();
    out.dispose();
    if (this.task === 'regression') return Array.from(data, (v) => ({ value: v * this.config.targetStd + this.config.targetMean }));
    return classPredictions(data, this.labels);
  }

  private targets(y: readonly (string | number)[]): tf.Tensor {
    if (this.task === 'classification') {
      const idx = y.map((l) => labelIndexOf(this.labels, l));
      return tf.tidy(() => tf.oneHot(tf.tensor1d(idx, 'int32'), this.labels.length));
    }
    const v = y.map((t) => (Number(t) - this.config.targetMean) / this.config.targetStd);
    if (v.some((n) => !Number.isFinite(n))) throw new InvalidInputError('not_a_number', 'label', 'a regressor learns numeric labels');
    return tf.tensor2d(v, [v.length, 1]);
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    if (this.learning) throw new PreconditionError('EncoderHeadLearner.learn called while a step is running; steps must be serialized', { learner: this.className });
    const ys = this.targets(y);
    this.learning = true;
    try {
      const headVars = this.headVariables();
      const encVars = this.encoderVariables();
      let out: tf.Tensor | undefined;
      const loss = tf.tidy(() => {
        const xs = rowsTensor(x, this.featureSpec.dim);
        const ws = weights ? tf.tensor1d(weights as number[]) : undefined;
        const { value, grads } = tf.variableGrads(() => {
          const o = this.forward(xs, true);
          out = tf.keep(this.task === 'classification' ? tf.argMax(o, 1) : o.reshape([-1]));
          if (this.task === 'classification') return tf.losses.softmaxCrossEntropy(ys, o, ws) as tf.Scalar;
          const w2 = ws?.reshape([-1, 1]);
          return (this.config.loss === 'huber' ? tf.losses.huberLoss(ys, o, w2) : tf.losses.meanSquaredError(ys, o, w2)) as tf.Scalar;
        }, [...headVars, ...encVars]);
        this.headOptimizer.applyGradients(Object.fromEntries(headVars.map((v) => [v.name, grads[v.name]!])));
        if (encVars.length > 0) this.encoderOptimizer.applyGradients(Object.fromEntries(encVars.map((v) => [v.name, grads[v.name]!])));
        return value;
      });
      const [value, pred] = await Promise.all([loss.data(), out!.data()]);
      loss.dispose();
      out!.dispose();
      if (this.task === 'classification') return { loss: value[0]!, examples: x.length, predicted: Array.from(pred, (c) => this.labels[c]!) };
      return { loss: value[0]!, examples: x.length, predictedValues: Array.from(pred, (v) => v * this.config.targetStd + this.config.targetMean) };
    } finally {
      ys.dispose();
      this.learning = false;
    }
  }

  get learningRate(): number {
    return (this.headOptimizer as unknown as { learningRate: number }).learningRate;
  }

  /** Changes the head's rate; the encoder keeps its ratio to it (fine-tuning stays gentler). */
  setLearningRate(lr: number): void {
    const ratio = this.config.encoderLearningRate / this.config.learningRate;
    (this.headOptimizer as unknown as { learningRate: number }).learningRate = lr;
    (this.encoderOptimizer as unknown as { learningRate: number }).learningRate = lr * ratio;
  }

  getConfig(): { [k: string]: Json } {
    return JSON.parse(JSON.stringify(this.config)) as { [k: string]: Json };
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await saveModels([this.encoder, this.head], handler);
  }

  describe(): ModelDescription {
    return {
      className: this.className,
      task: this.task,
      inputKind: this.featureSpec.kind,
      inputDim: this.featureSpec.dim,
      labels: [...this.labels],
      parameters: this.encoder.countParams() + this.head.countParams(),
    };
  }

  dispose(): void {
    this.encoder.dispose();
    this.head.dispose();
    this.headOptimizer.dispose();
    this.encoderOptimizer.dispose();
  }
}

registerLearner(EncoderHeadLearner.className, {
  create: (config) => new EncoderHeadLearner(config as unknown as EncoderHeadConfig),
  load: async (config, handler) => {
    const [encoder, head] = await loadModels(handler);
    return new EncoderHeadLearner(config as unknown as EncoderHeadConfig, [encoder!, head!]);
  },
});
