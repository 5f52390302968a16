import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { type Prediction, type StepResult, type Task, registerLearner, NetLearner } from '../learners/index.js';
import { rowsTensor } from '../tensors/index.js';

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

/** One dense ReLU encoder per view, their outputs concatenated, one linear head over the labels. */
function buildMultiView({ views, viewUnits, seed, labels }: Required<MultiViewConfig>): tf.LayersModel {
  const inputs = views.map((v, i) => tf.input({ shape: [v.length], name: `view_${i}` }));
  const encoded = inputs.map(
    (inp, i) => tf.layers.dense({ units: viewUnits, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + i }), name: `encoder_${i}` }).apply(inp) as tf.SymbolicTensor,
  );
  const fused = tf.layers.concatenate({ name: 'fuse' }).apply(encoded) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: labels.length, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + views.length }), name: 'head' }).apply(fused) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: out });
}

/**
 * Multi-view learning: one encoder per view of the input, their representations
 * concatenated (fused) and one softmax head on top, trained end to end as one
 * functional model.
 *
 * @example
 * new MultiViewClassifier({ featureSpec, labels: ['a', 'b'], views: [[0, 1], [2, 3]] });
 */
export class MultiViewClassifier extends NetLearner<Required<MultiViewConfig>> {
  static readonly className = 'MultiViewClassifier';

  constructor(config: MultiViewConfig, model?: tf.LayersModel) {
    if (config.labels.length < 2) throw new ConfigError('labels', 'a classifier needs at least 2 labels');
    if (config.views.length < 2) throw new ConfigError('views', 'multi-view learning needs at least 2 views');
    const full: Required<MultiViewConfig> = { viewUnits: 32, learningRate: 0.003, seed: 1, ...config };
    super(full, model ?? buildMultiView(full));
  }

  /** One tensor per view, in the order of the model's inputs. */
  protected override input(x: readonly (readonly number[])[]): tf.Tensor2D[] {
    return this.config.views.map((idx) => rowsTensor(x, this.featureSpec.dim, idx));
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    return this.predictClasses(x, this.config.labels);
  }

  learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    return this.learnClasses(x, y, this.config.labels, weights);
  }

  protected describeTask(): { task: Task; labels: string[] } {
    return { task: 'classification', labels: [...this.config.labels] };
  }
}

registerLearner(MultiViewClassifier.className, {
  create: (config) => new MultiViewClassifier(config as unknown as MultiViewConfig),
  load: async (config, handler) => new MultiViewClassifier(config as unknown as MultiViewConfig, await tf.loadLayersModel(handler)),
});
