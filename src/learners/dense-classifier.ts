import * as tf from '@tensorflow/tfjs';
import { ConfigError, InvalidInputError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import type { Json, Learner, ModelDescription, Prediction, StepResult } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { TrainableNet } from './trainable-net.js';

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
export class DenseClassifier implements Learner {
  static readonly className: string = 'DenseClassifier';
  // A string, not the literal, so subclasses with another head or body (ConvClassifier) can rename themselves.
  readonly className: string = DenseClassifier.className;
  readonly predictsWhileLearning = true;
  readonly featureSpec: FeatureSpec;
  readonly labels: string[];
  private readonly config: Required<DenseClassifierConfig>;
  private readonly model: tf.LayersModel;
  private readonly net: TrainableNet;
  private readonly labelIndex: Map<string, number>;

  constructor(config: DenseClassifierConfig, model?: tf.LayersModel) {
    if (config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    if (new Set(config.labels).size !== config.labels.length) throw new ConfigError('labels', 'labels must be unique');
    this.config = { hiddenUnits: [64], learningRate: 0.003, seed: 1, ...config };
    this.featureSpec = config.featureSpec;
    this.labels = [...config.labels];
    this.labelIndex = new Map(this.labels.map((l, i) => [l, i]));
    this.model = model ?? this.build();
    this.net = new TrainableNet(this.model, this.config.learningRate, 'DenseClassifier');
  }

  private build(): tf.LayersModel {
    const { featureSpec, hiddenUnits, seed } = this.config;
    const m = tf.sequential();
    hiddenUnits.forEach((units, i) =>
      m.add(
        tf.layers.dense({
          units,
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
          ...(i === 0 ? { inputShape: [featureSpec.dim] } : {}),
        }),
      ),
    );
    m.add(
      tf.layers.dense({
        units: this.labels.length,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hiddenUnits.length }),
        ...(hiddenUnits.length === 0 ? { inputShape: [featureSpec.dim] } : {}),
      }),
    );
    return m;
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    if (x.length === 0) return [];
    const probs = tf.tidy(() => tf.softmax(this.model.predict(tf.tensor2d(x as number[][], [x.length, this.featureSpec.dim])) as tf.Tensor2D));
    const data = probs.dataSync();
    probs.dispose();
    const k = this.labels.length;
    const out: Prediction[] = [];
    for (let i = 0; i < x.length; i++) {
      let best = 0;
      const scores: Record<string, number> = {};
      for (let c = 0; c < k; c++) {
        const p = data[i * k + c]!;
        scores[this.labels[c]!] = p;
        if (p > data[i * k + best]!) best = c;
      }
      out.push({ label: this.labels[best]!, confidence: data[i * k + best]!, scores });
    }
    return out;
  }

  /** Index of a label, or throws `unknown_label` naming the known ones. */
  indexOf(label: string | number): number {
    const i = this.labelIndex.get(String(label));
    if (i === undefined) {
      throw new InvalidInputError('unknown_label', 'label', `label "${label}" is not one of the model's labels (${this.labels.join(', ')})`);
    }
    return i;
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    const idx = y.map((l) => this.indexOf(l));
    const { loss, side } = await this.net.step(() => {
      const xs = tf.tensor2d(x as number[][], [x.length, this.featureSpec.dim]);
      const ys = tf.oneHot(tf.tensor1d(idx, 'int32'), this.labels.length);
      const ws = weights ? tf.tensor1d(weights as number[]) : undefined;
      const logits = this.model.apply(xs, { training: true }) as tf.Tensor;
      // The forward pass runs on the weights before this update: its argmax is the prequential prediction.
      return { loss: tf.losses.softmaxCrossEntropy(ys, logits, ws) as tf.Scalar, side: tf.argMax(logits, 1) };
    });
    return { loss, examples: x.length, predicted: Array.from(side, (c) => this.labels[c]!) };
  }

  get learningRate(): number {
    return this.net.learningRate;
  }

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
    return {
      className: this.className,
      task: 'classification',
      inputKind: this.featureSpec.kind,
      inputDim: this.featureSpec.dim,
      labels: [...this.labels],
      parameters: this.model.countParams(),
    };
  }

  dispose(): void {
    this.net.dispose();
  }
}

registerLearner(DenseClassifier.className, {
  create: (config) => new DenseClassifier(config as unknown as DenseClassifierConfig),
  load: async (config, handler) => new DenseClassifier(config as unknown as DenseClassifierConfig, await tf.loadLayersModel(handler)),
});
