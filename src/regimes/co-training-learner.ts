import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { type Json, type Learner, type ModelDescription, type Prediction, type StepResult, type UnlabelledStepResult, createLearner, loadLearner, registerLearner } from '../learners/index.js';
import { saveModels, unpackHandlers } from '../tensors/index.js';

/** Parameters of {@link CoTrainingLearner}; all JSON, all saved. */
export interface CoTrainingConfig {
  featureSpec: FeatureSpec;
  labels: string[];
  /** Two views: the indices of the input vector each model sees. */
  views: [number[], number[]];
  /** Hidden units of each view's classifier. @defaultValue [32] */
  hiddenUnits?: number[];
  /** @defaultValue 0.003 */
  learningRate?: number;
  /** Confidence one view needs to label an example for the other. @defaultValue 0.9 */
  threshold?: number;
  /** @defaultValue 0.5 */
  pseudoWeight?: number;
  /** Largest share of pseudo-labels among the examples each view learns. @defaultValue 0.5 */
  maxPseudoShare?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/** Splits the input vector in two halves: the default views when none are configured. */
export function halfViews(dim: number): [number[], number[]] {
  const cut = Math.ceil(dim / 2);
  return [Array.from({ length: cut }, (_, i) => i), Array.from({ length: dim - cut }, (_, i) => cut + i)];
}

/**
 * Co-training (Blum & Mitchell): two classifiers, each on its own view of the
 * input. On an unlabelled event, what one view predicts confidently becomes a
 * label the other learns from. They answer together (mean of their scores).
 *
 * @example
 * const ct = new CoTrainingLearner({ featureSpec, labels: ['a', 'b'], views: halfViews(featureSpec.dim) });
 */
export class CoTrainingLearner implements Learner {
  static readonly className = 'CoTrainingLearner';
  readonly className = CoTrainingLearner.className;
  readonly featureSpec: FeatureSpec;
  private readonly config: Required<CoTrainingConfig>;
  readonly views: [Learner, Learner];
  private labelledLearned = 0;
  private pseudoLearned = [0, 0];

  constructor(config: CoTrainingConfig, views?: [Learner, Learner]) {
    this.config = { hiddenUnits: [32], learningRate: 0.003, threshold: 0.9, pseudoWeight: 0.5, maxPseudoShare: 0.5, seed: 1, ...config };
    this.featureSpec = config.featureSpec;
    for (const v of config.views) {
      if (v.length === 0 || v.some((j) => !Number.isInteger(j) || j < 0 || j >= config.featureSpec.dim)) {
        throw new ConfigError('views', `each view must list input indices in [0, ${config.featureSpec.dim})`);
      }
    }
    this.views =
      views ??
      (config.views.map((v, i) =>
        createLearner('DenseClassifier', {
          featureSpec: { kind: 'features', dim: v.length },
          labels: config.labels,
          hiddenUnits: this.config.hiddenUnits,
          learningRate: this.config.learningRate,
          seed: this.config.seed + 1000 * i,
        }),
      ) as [Learner, Learner]);
  }

  private project(x: readonly (readonly number[])[], v: 0 | 1): number[][] {
    const idx = this.config.views[v];
    return x.map((row) => idx.map((j) => row[j]!));
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    const a = this.views[0].predict(this.project(x, 0));
    const b = this.views[1].predict(this.project(x, 1));
    return a.map((pa, i) => {
      const scores: Record<string, number> = {};
      let label = this.config.labels[0]!;
      for (const l of this.config.labels) {
        scores[l] = ((pa.scores?.[l] ?? 0) + (b[i]!.scores?.[l] ?? 0)) / 2;
        if (scores[l]! > scores[label]!) label = l;
      }
      return { label, confidence: scores[label]!, scores };
    });
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    const ra = await this.views[0].learn(this.project(x, 0), y, weights);
    const rb = await this.views[1].learn(this.project(x, 1), y, weights);
    this.labelledLearned += x.length;
    return { loss: (ra.loss + rb.loss) / 2, examples: x.length };
  }

  async learnUnlabelled(x: readonly (readonly number[])[], ids: readonly string[]): Promise<UnlabelledStepResult> {
    const { threshold, pseudoWeight, maxPseudoShare } = this.config;
    if (x.length === 0) return { pseudoLabelled: [], loss: null };
    const preds = [this.views[0].predict(this.project(x, 0)), this.views[1].predict(this.project(x, 1))];
    const assigned = new Map<number, string>();
    let lossSum = 0;
    let steps = 0;
    for (const teacher of [0, 1] as const) {
      const student = (1 - teacher) as 0 | 1;
      const room = Math.floor((this.labelledLearned * maxPseudoShare) / (1 - maxPseudoShare)) - this.pseudoLearned[student]!;
      const picked = preds[teacher]!
        .map((p, i) => ({ i, p }))
        .filter(({ i, p }) => (p.confidence ?? 0) >= threshold && (preds[student]![i]!.confidence ?? 0) < threshold)
        .sort((a, b) => b.p.confidence! - a.p.confidence! || a.i - b.i)
        .slice(0, Math.max(0, room));
      if (picked.length === 0) continue;
      const rows = picked.map(({ i }) => x[i]!);
      const r = await this.views[student].learn(this.project(rows, student), picked.map(({ p }) => p.label!), picked.map(() => pseudoWeight));
      this.pseudoLearned[student]! += picked.length;
      lossSum += r.loss;
      steps++;
      for (const { i, p } of picked) if (!assigned.has(i)) assigned.set(i, p.label!);
    }
    return { pseudoLabelled: [...assigned].map(([i, label]) => ({ id: ids[i]!, label })), loss: steps ? lossSum / steps : null };
  }

  getConfig(): { [k: string]: Json } {
    return JSON.parse(JSON.stringify(this.config)) as { [k: string]: Json };
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await saveModels(this.views, handler);
  }

  describe(): ModelDescription {
    const [a, b] = this.views.map((v) => v.describe());
    return { className: this.className, task: 'classification', inputKind: this.featureSpec.kind, inputDim: this.featureSpec.dim, labels: [...this.config.labels], parameters: a!.parameters + b!.parameters };
  }

  dispose(): void {
    for (const v of this.views) v.dispose();
  }
}

registerLearner(CoTrainingLearner.className, {
  create: (config) => new CoTrainingLearner(config as unknown as CoTrainingConfig),
  load: async (config, handler) => {
    const c = config as unknown as CoTrainingConfig;
    const parts = await unpackHandlers(handler);
    const views = await Promise.all(
      parts.map((h, i) =>
        loadLearner('DenseClassifier', {
          featureSpec: { kind: 'features', dim: c.views[i]!.length },
          labels: c.labels,
          hiddenUnits: c.hiddenUnits ?? [32],
          learningRate: c.learningRate ?? 0.003,
          seed: (c.seed ?? 1) + 1000 * i,
        }, h),
      ),
    );
    return new CoTrainingLearner(c, views as [Learner, Learner]);
  },
});
