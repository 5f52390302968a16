import * as tf from '@tensorflow/tfjs';
import type { FeatureSpec } from '../features/index.js';
import { InvalidInputError } from '../core/index.js';
import { denseStack } from '../tensors/index.js';
import type { Prediction, StepResult, Task } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { NetLearner } from './net-learner.js';

/** Constructor parameters of {@link DenseRegressor}; all JSON, all saved. */
export interface DenseRegressorConfig {
  featureSpec: FeatureSpec;
  /** Units of each hidden ReLU layer; [] is linear regression. @defaultValue [32] */
  hiddenUnits?: number[];
  /** `mse` or `huber` (robust to outlying targets). @defaultValue 'mse' */
  loss?: 'mse' | 'huber';
  /** Adam learning rate. @defaultValue 0.003 */
  learningRate?: number;
  /** Targets are learned as (y - targetMean) / targetStd, so the scale of y does not set the step size. @defaultValue 0, 1 */
  targetMean?: number;
  targetStd?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/**
 * A linear model or MLP with one linear output, trained on squared or Huber
 * error: the supervised regressor. Each `learn` call is one Adam step.
 *
 * @example
 * const m = new DenseRegressor({ featureSpec: { kind: 'features', dim: 2 }, hiddenUnits: [] });
 * await m.learn([[1, 2]], [3]);
 * m.predict([[1, 2]])[0].value; // a number
 */
export class DenseRegressor extends NetLearner<Required<DenseRegressorConfig>> {
  static readonly className = 'DenseRegressor';

  constructor(config: DenseRegressorConfig, model?: tf.LayersModel) {
    const full: Required<DenseRegressorConfig> = { hiddenUnits: [32], loss: 'mse', learningRate: 0.003, targetMean: 0, targetStd: 1, seed: 1, ...config };
    super(full, model ?? denseStack(full.featureSpec.dim, full.hiddenUnits, { outputs: 1, seed: full.seed }));
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    if (x.length === 0) return [];
    const out = tf.tidy(() => this.model.predict(this.input(x)) as tf.Tensor);
    const data = out.dataSync();
    out.dispose();
    return Array.from(data, (v) => ({ value: v * this.config.targetStd + this.config.targetMean }));
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    const { targetMean, targetStd } = this.config;
    const targets = y.map((v, i) => {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) throw new InvalidInputError('not_a_number', 'label', `label of row ${i} ("${v}") is not a number; a regressor learns numbers`);
      return (n - targetMean) / targetStd;
    });
    const { loss, side } = await this.net.step(() => {
      const ys = tf.tensor2d(targets, [targets.length, 1]);
      const ws = weights ? tf.tensor2d(weights as number[], [weights.length, 1]) : undefined;
      const out = this.model.apply(this.input(x), { training: true }) as tf.Tensor;
      const loss = (this.config.loss === 'huber' ? tf.losses.huberLoss(ys, out, ws) : tf.losses.meanSquaredError(ys, out, ws)) as tf.Scalar;
      return { loss, side: out.reshape([-1]) };
    });
    return { loss, examples: x.length, predictedValues: Array.from(side, (v) => v * targetStd + targetMean) };
  }

  protected describeTask(): { task: Task; labels: string[] } {
    return { task: 'regression', labels: [] };
  }
}

registerLearner(DenseRegressor.className, {
  create: (config) => new DenseRegressor(config as unknown as DenseRegressorConfig),
  load: async (config, handler) => new DenseRegressor(config as unknown as DenseRegressorConfig, await tf.loadLayersModel(handler)),
});
