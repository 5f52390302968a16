import * as tf from '@tensorflow/tfjs';
import { ConfigError, InvalidInputError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import type { Json, Learner, ModelDescription, Prediction, StepResult } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { TrainableNet } from './trainable-net.js';

/** Parameters of {@link MultiViewClassifier}; all JSON, all saved. */
export interface MultiViewConfig {
  featureSpec: FeatureSpec;
  labels: string[];
  /** The views: indices of the input vector each encoder sees. */
  views: number[][];
  /** Units of each view's encoder (one ReLU layer). @defaultValue 32 */
  viewUnits?: number;
  /** @defaultValue 0.003 */
  learningRate?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/**
 * Multi-view learning: one encoder per view of the input, their representations
 * concatenated (fused) and one softmax head on top, trained end to end as one
 * functional model.
 *
 * @example
 * new MultiViewClassifier({ featureSpec, labels: ['a', 'b'], views: [[0, 1], [2, 3]] });
 */
export class MultiViewClassifier implements Learner {
  static readonly className = 'MultiViewClassifier';
  readonly className = MultiViewClassifier.className;
  readonly predictsWhileLearning = true;
  readonly featureSpec: FeatureSpec;
  private readonly config: Required<MultiViewConfig>;
  private readonly model: tf.LayersModel;
  private readonly net: TrainableNet;

  constructor(config: MultiViewConfig, model?: tf.LayersModel) {
    this.config = { viewUnits: 32, learningRate: 0.003, seed: 1, ...config };
    this.featureSpec = config.featureSpec;
    if (config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    if (config.views.length < 2) throw new ConfigError('views', 'multi-view learning needs at least 2 views');
    this.model = model ?? this.build();
    this.net = new TrainableNet(this.model, this.config.learningRate, 'MultiViewClassifier');
  }

  private build(): tf.LayersModel {
    const { views, viewUnits, seed, labels } = this.config;
    const inputs = views.map((v, i) => tf.input({ shape: [v.length], name: `view_${i}` }));
    const encoded = inputs.map(
      (inp, i) => tf.layers.dense({ units: viewUnits, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + i }), name: `encoder_${i}` }).apply(inp) as tf.SymbolicTensor,
    );
    const fused = tf.layers.concatenate({ name: 'fuse' }).apply(encoded) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: labels.length, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + views.length }), name: 'head' }).apply(fused) as tf.SymbolicTensor;
    return tf.model({ inputs, outputs: out });
  }

  private split(x: readonly (readonly number[])[]): tf.Tensor2D[] {
    return this.config.views.map((idx) => tf.tensor2d(x.map((r) => idx.map((j) => r[j]!)), [x.length, idx.length]));
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    if (x.length === 0) return [];
    const probs = tf.tidy(() => tf.softmax(this.model.predict(this.split(x)) as tf.Tensor2D));
    const data = probs.dataSync();
    probs.dispose();
    const labels = this.config.labels;
    return x.map((_, i) => {
      let best = 0;
      const scores: Record<string, number> = {};
      labels.forEach((l, c) => {
        scores[l] = data[i * labels.length + c]!;
        if (scores[l]! > data[i * labels.length + best]!) best = c;
      });
      return { label: labels[best]!, confidence: data[i * labels.length + best]!, scores };
    });
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    const labels = this.config.labels;
    const idx = y.map((l) => {
      const i = labels.indexOf(String(l));
      if (i < 0) throw new InvalidInputError('unknown_label', 'label', `label "${l}" is not one of the model's labels (${labels.join(', ')})`);
      return i;
    });
    const { loss, side } = await this.net.step(() => {
      const ys = tf.oneHot(tf.tensor1d(idx, 'int32'), labels.length);
      const ws = weights ? tf.tensor1d(weights as number[]) : undefined;
      const logits = this.model.apply(this.split(x), { training: true }) as tf.Tensor;
      return { loss: tf.losses.softmaxCrossEntropy(ys, logits, ws) as tf.Scalar, side: tf.argMax(logits, 1) };
    });
    return { loss, examples: x.length, predicted: Array.from(side, (c) => labels[c]!) };
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
    return { className: this.className, task: 'classification', inputKind: this.featureSpec.kind, inputDim: this.featureSpec.dim, labels: [...this.config.labels], parameters: this.model.countParams() };
  }

  dispose(): void {
    this.net.dispose();
  }
}

registerLearner(MultiViewClassifier.className, {
  create: (config) => new MultiViewClassifier(config as unknown as MultiViewConfig),
  load: async (config, handler) => new MultiViewClassifier(config as unknown as MultiViewConfig, await tf.loadLayersModel(handler)),
});
