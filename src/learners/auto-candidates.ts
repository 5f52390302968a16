import type { FeatureSpec } from '../features/index.js';
import type { Json, Task } from './learner.js';
import { STATS_PER_CLASS } from './hoeffding-node.js';

/** One candidate of {@link AutoLearner}: a name, and the learner class and config it is built from. */
export interface CandidateSpec {
  name: string;
  className: string;
  config: { [k: string]: Json };
  /**
   * Learns the inputs as they come, not standardized with `auto`'s running
   * statistics: for scale-free learners (naive Bayes, trees), whose statistics
   * would otherwise keep the scale of the events they saw first. No default
   * candidate sets it yet (docs/quality-streams.md says why). @defaultValue false
   */
  rawInputs?: boolean;
}

/** Numbers the default forest's leaves may hold in all (8 bytes each, about 4 MB), whatever the input's width. */
export const FOREST_BUDGET = 500_000;

/**
 * The node cap of each tree of the default forest (10 trees, each on ⌈0.6·dim⌉
 * features) so that its leaves stay within {@link FOREST_BUDGET}: 127 nodes
 * for narrow inputs, fewer for wide ones (digits' 64 pixels and 10 classes: 49).
 */
export function forestNodeCap(dim: number, classes: number, trees = 10): number {
  // A leaf's header (5), class counts (2k) and per-feature, per-class statistics.
  const leafNumbers = 5 + 2 * classes + Math.ceil(0.6 * dim) * classes * STATS_PER_CLASS;
  const leaves = Math.max(1, Math.floor(FOREST_BUDGET / (trees * leafNumbers)));
  return Math.min(127, 2 * leaves - 1);
}

/**
 * Step size of the tabular `linear-slow` candidate. Learning one event at a
 * time, a linear model at 0.03 keeps jumping around its optimum; at a tenth of
 * it, it settles closer where the concept moves slowly, while the faster one
 * still follows sudden change: two step sizes, and selection picks per stream
 * (measured in docs/quality-streams.md).
 */
export const SLOW_RATE = 0.003;

/**
 * The candidates a new model starts with. Tabular: a linear model at two step sizes, an MLP,
 * k-nearest neighbours (Euclidean; for classifiers also Manhattan), and for
 * classifiers Gaussian naive Bayes, a Hoeffding tree and an online forest of
 * Hoeffding trees. Text: a linear model,
 * an MLP and multinomial naive Bayes (KNN's cost grows with the input's width). Candidates see standardized inputs, so their
 * feature spec carries no statistics of its own.
 */
export function defaultCandidates(featureSpec: FeatureSpec, task: Task, labels: readonly string[] = []): CandidateSpec[] {
  const text = featureSpec.kind === 'text';
  const spec = (text ? featureSpec : { kind: 'features', dim: featureSpec.dim }) as unknown as Json;
  if (task === 'regression') {
    return [
      { name: 'linear', className: 'DenseRegressor', config: { featureSpec: spec, hiddenUnits: [], learningRate: 0.03, loss: 'mse' } },
      { name: 'mlp', className: 'DenseRegressor', config: { featureSpec: spec, hiddenUnits: [64], learningRate: 0.01, loss: 'mse' } },
      ...(text ? [] : [{ name: 'linear-slow', className: 'DenseRegressor', config: { featureSpec: spec, hiddenUnits: [], learningRate: SLOW_RATE, loss: 'mse' } }]),
      ...(text ? [] : [{ name: 'knn', className: 'KnnLearner', config: { featureSpec: spec, task, k: 5, windowSize: 1000 } }]),
    ];
  }
  const l = [...labels] as Json;
  return [
    { name: 'linear', className: 'DenseClassifier', config: { featureSpec: spec, labels: l, hiddenUnits: [], learningRate: 0.03 } },
    { name: 'mlp', className: 'DenseClassifier', config: { featureSpec: spec, labels: l, hiddenUnits: [64], learningRate: text ? 0.003 : 0.01 } },
    ...(text
      ? [{ name: 'naive-bayes', className: 'MultinomialNaiveBayes', config: { featureSpec: spec, labels: l } }]
      : [
          { name: 'linear-slow', className: 'DenseClassifier', config: { featureSpec: spec, labels: l, hiddenUnits: [], learningRate: SLOW_RATE } },
          { name: 'knn', className: 'KnnLearner', config: { featureSpec: spec, task, labels: l, k: 5, windowSize: 1000 } },
          { name: 'knn-manhattan', className: 'KnnLearner', config: { featureSpec: spec, task, labels: l, k: 5, windowSize: 1000, p: 1 } },
          { name: 'naive-bayes', className: 'GaussianNaiveBayes', config: { featureSpec: spec, labels: l } },
          { name: 'hoeffding-tree', className: 'HoeffdingTreeClassifier', config: { featureSpec: spec, labels: l } },
          { name: 'forest', className: 'OnlineForestClassifier', config: { featureSpec: spec, labels: l, maxNodes: forestNodeCap(featureSpec.dim, labels.length) } },
        ]),
  ];
}
