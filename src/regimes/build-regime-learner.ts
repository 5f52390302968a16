import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, fileIOHandler } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { defaultCandidates, AutoLearner, BoxDetector, ConvClassifier, needsConv, DenseClassifier, DenseRegressor, KeypointDetector, SpanTagger, type Learner, type Task } from '../learners/index.js';
import { CoTrainingLearner, halfViews } from './co-training-learner.js';
import { denseLayersOf, loadModels } from '../tensors/index.js';
import { EncoderHeadLearner } from './encoder-head-learner.js';
import { MultiViewClassifier } from './multi-view-classifier.js';
import { SelfTrainingLearner } from './self-training-learner.js';
import { pretrainEncoder, type PretrainObjective } from './pretrain-encoder.js';

/** Every regime a learner can be built for. */
export const REGIMES = ['auto', 'supervised', 'self-training', 'co-training', 'multi-view', 'autoencoder', 'masked', 'contrastive', 'transfer', 'fine-tune'] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeOptions {
  regime: Regime;
  task: Task;
  featureSpec: FeatureSpec;
  /** Class labels (classification). */
  labels: string[];
  /** Unlabelled inputs (featurized) for self-supervised pretraining. */
  unlabelled?: readonly (readonly number[])[];
  /** Pretrained encoder for transfer / fine-tune: a saved tfjs model directory or a registry version directory. */
  encoderDir?: string;
  /** Views for co-training and multi-view (input indices); default: two halves. */
  views?: number[][];
  hiddenUnits?: number[];
  learningRate?: number;
  /** Encoder learning rate as a share of the head's (fine-tune and pretrained encoders). @defaultValue 0.3 */
  encoderLrRatio?: number;
  /** Top encoder layers unfrozen by fine-tuning. @defaultValue 1 */
  fineTuneLayers?: number;
  /** Self-training / co-training confidence threshold. @defaultValue 0.9 */
  threshold?: number;
  pretrainEpochs?: number;
  targetMean?: number;
  targetStd?: number;
  seed?: number;
  /** `auto`: which of the default candidates compete (by name), and the lead a challenger needs. @defaultValue all of them; 0.02 */
  auto?: { candidates?: string[]; margin?: number };
}

/** The auto regime's learner, with the candidates and margin asked for. */
function autoLearner(o: RegimeOptions, labels: string[]): AutoLearner {
  const all = defaultCandidates(o.featureSpec, o.task, labels);
  const names = o.auto?.candidates;
  const unknown = names?.filter((n) => !all.some((c) => c.name === n)) ?? [];
  if (unknown.length > 0) throw new ConfigError('--candidates', `${unknown.join(', ')}: not a candidate for ${o.featureSpec.kind} ${o.task} (${all.map((c) => c.name).join(', ')})`);
  const candidates = names ? all.filter((c) => names.includes(c.name)) : all;
  if (candidates.length === 0) throw new ConfigError('--candidates', 'name at least one candidate');
  return new AutoLearner({ featureSpec: o.featureSpec, task: o.task, labels, candidates, ...(o.auto?.margin === undefined ? {} : { margin: o.auto.margin }) });
}

const SSL: readonly string[] = ['autoencoder', 'masked', 'contrastive'];

/**
 * The dense layers of a saved encoder: from a packed composite version (its
 * first part is the encoder) or a plain tfjs model (every dense layer but the output).
 */
export async function loadEncoderLayers(dir: string): Promise<{ units: number[]; weights: tf.Tensor[] }> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as { format?: string };
  if (manifest.format === 'streamtune-packed') {
    const models = await loadModels(fileIOHandler(dir));
    const out = denseLayersOf(models[0]!);
    const kept = out.weights.map((w) => w.clone());
    for (const m of models) m.dispose();
    return { units: out.units, weights: kept };
  }
  const model = await tf.loadLayersModel(fileIOHandler(dir));
  const out = denseLayersOf(model);
  const kept = out.weights.slice(0, -2).map((w) => w.clone());
  model.dispose();
  return { units: out.units.slice(0, -1), weights: kept };
}

/**
 * Builds an untrained learner for a regime (and pretrains or loads its encoder
 * where the regime has one). The same builder serves `streamtune train`, the
 * bake-off and the quality benchmark, so every regime is the same code everywhere.
 *
 * @example
 * const l = await buildRegimeLearner({ regime: 'autoencoder', task: 'classification', featureSpec, labels, unlabelled: xs });
 */
export async function buildRegimeLearner(o: RegimeOptions): Promise<Learner> {
  if (o.task === 'spans') {
    // One learner tags spans: auto and supervised are the same; the other regimes are for classes.
    if (o.regime !== 'auto' && o.regime !== 'supervised') throw new ConfigError('training.regime', `span models learn supervised only (got "${o.regime}")`);
    return new SpanTagger({ featureSpec: o.featureSpec, labels: o.labels });
  }
  if (o.task === 'boxes' || o.task === 'keypoints') {
    // One heatmap learner each, as for spans.
    if (o.regime !== 'auto' && o.regime !== 'supervised') throw new ConfigError('training.regime', `${o.task} models learn supervised only (got "${o.regime}")`);
    const config = { featureSpec: o.featureSpec, labels: o.labels, learningRate: o.learningRate ?? 0.003, seed: o.seed ?? 1 };
    return o.task === 'boxes' ? new BoxDetector(config) : new KeypointDetector(config);
  }
  const seed = o.seed ?? 1;
  const lr = o.learningRate ?? 0.003;
  const hidden = o.hiddenUnits ?? [64];
  const cls = o.task === 'classification';
  const needsLabels = (what: string): void => {
    if (!cls) throw new ConfigError('training.regime', `${what} is for classification (it needs class confidences)`);
  };
  const target = { targetMean: o.targetMean ?? 0, targetStd: o.targetStd ?? 1 };
  // Image and audio: the convolutional classifier is the one candidate, so `auto` is `supervised`.
  const conv = needsConv({ featureSpec: o.featureSpec });
  if (conv && o.regime !== 'supervised' && o.regime !== 'auto') {
    throw new ConfigError('training.regime', `image and audio models learn supervised only (got "${o.regime}")`);
  }
  switch (o.regime) {
    case 'auto':
      if (!conv) return autoLearner(o, cls ? o.labels : []);
    // falls through: a media model's one candidate is the ConvClassifier
    case 'supervised':
      if (needsConv({ featureSpec: o.featureSpec })) {
        if (!cls) throw new ConfigError('training.task', 'image and audio models are classifiers');
        return new ConvClassifier({ featureSpec: o.featureSpec, labels: o.labels, hiddenUnits: o.hiddenUnits ?? [32], learningRate: lr, seed });
      }
      return cls
        ? new DenseClassifier({ featureSpec: o.featureSpec, labels: o.labels, hiddenUnits: hidden, learningRate: lr, seed })
        : new DenseRegressor({ featureSpec: o.featureSpec, hiddenUnits: hidden, learningRate: lr, seed, ...target });
    case 'self-training': {
      needsLabels('self-training');
      const config = { featureSpec: o.featureSpec, labels: o.labels, hiddenUnits: hidden, learningRate: lr, seed };
      return new SelfTrainingLearner({ base: { className: DenseClassifier.className, config: JSON.parse(JSON.stringify(config)) }, threshold: o.threshold ?? 0.9 });
    }
    case 'co-training': {
      needsLabels('co-training');
      const views = (o.views ?? halfViews(o.featureSpec.dim)) as [number[], number[]];
      return new CoTrainingLearner({ featureSpec: o.featureSpec, labels: o.labels, views, hiddenUnits: [Math.max(8, Math.round(hidden[0]! / 2))], learningRate: lr, threshold: o.threshold ?? 0.9, seed });
    }
    case 'multi-view':
      needsLabels('multi-view');
      return new MultiViewClassifier({ featureSpec: o.featureSpec, labels: o.labels, views: o.views ?? halfViews(o.featureSpec.dim), viewUnits: Math.max(8, Math.round(hidden[0]! / 2)), learningRate: lr, seed });
    default:
      break;
  }
  const base = { featureSpec: o.featureSpec, task: o.task, labels: cls ? o.labels : [], learningRate: lr, seed, ...target };
  if (SSL.includes(o.regime)) {
    const learner = new EncoderHeadLearner({ ...base, encoderUnits: hidden, encoderLearningRate: lr * (o.encoderLrRatio ?? 0.3), encoderSource: `pretrained:${o.regime}` });
    await pretrainEncoder(learner.encoder, o.unlabelled ?? [], { objective: o.regime as PretrainObjective, epochs: o.pretrainEpochs ?? 10, seed, learningRate: lr });
    return learner;
  }
  // transfer / fine-tune: an encoder someone else trained.
  if (!o.encoderDir) throw new ConfigError('--encoder', `${o.regime} starts from a pretrained encoder: give a saved model directory or registry version`);
  const { units, weights } = await loadEncoderLayers(o.encoderDir);
  const fine = o.regime === 'fine-tune';
  const learner = new EncoderHeadLearner({
    ...base,
    encoderUnits: units,
    trainableEncoderLayers: fine ? Math.min(o.fineTuneLayers ?? 1, units.length) : 0,
    encoderLearningRate: fine ? lr * (o.encoderLrRatio ?? 0.3) : lr,
    encoderSource: o.encoderDir,
  });
  learner.setEncoderWeights(weights, o.encoderDir);
  for (const w of weights) w.dispose();
  return learner;
}
