import { ConfigError, seededRandom } from '../core/index.js';
import { accuracy, meanAbsoluteError, score, spanF1 } from '../evaluation/index.js';
import { audioSpec, featurize, fitStandardizer, imageSpec, type FeatureSpec } from '../features/index.js';
import { isStructured, labelTarget, type LabelEvent } from '../ingest/index.js';
import { trainBatch, type Example, type Learner, type Task } from '../learners/index.js';
import { buildRegimeLearner, type Regime } from '../regimes/index.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';

export interface TrainBaseOptions {
  model: string;
  store: VersionStore;
  events: LabelEvent[];
  backend: string;
  /** Held-out events to report accuracy on (not trained on). */
  holdout?: LabelEvent[];
  epochs?: number;
  batchSize?: number;
  hiddenUnits?: number[];
  learningRate?: number;
  /** Hash buckets for text input. @defaultValue 4096 */
  textDim?: number;
  /** `auto` regime: the candidates that compete (names) and the margin a challenger needs. */
  auto?: { candidates?: string[]; margin?: number };
  /** Input shapes for image and audio events (see {@link MediaSpecs}). */
  media?: MediaSpecs;
  seed?: number;
  /** @defaultValue 'classification' */
  /** Boxes and keypoints learn online only (`models create --task boxes|keypoints`). */
  task?: BatchTask;
  /** How the base model learns (see docs/regimes.md). @defaultValue 'auto' (online model selection) */
  regime?: Regime;
  /** Share of the labelled events held out (seeded shuffle) to score each epoch. @defaultValue 0 */
  validationSplit?: number;
  /** Early stopping: epochs without a better validation score before training stops. */
  patience?: number;
  /** Pretrained encoder (saved model or registry version directory) for transfer / fine-tune. */
  encoderDir?: string;
  /** Epochs of self-supervised pretraining on the file's inputs. @defaultValue 10 */
  pretrainEpochs?: number;
  onEpoch?: (epoch: number, loss: number, validation?: number) => void;
}

/** Input shapes of image and audio models; defaults: 32×32 grey images, 1 s of 16 kHz audio as 64 frames × 32 mel bins. */
export interface MediaSpecs {
  image?: FeatureSpec;
  audio?: FeatureSpec;
}

/** Texts a span model accepts at least (as `models create --input text`); longer when the file has longer ones. */
const SPAN_MAX_CHARS = 10_000;

/**
 * The span labels of a file of span-labelled texts (sorted), checking that every
 * labelled event is a text with `{"spans": [...]}`; a span model's input spec.
 */
export function spanTraining(events: readonly LabelEvent[]): { labels: string[]; featureSpec: FeatureSpec } {
  if (events.length === 0) throw new ConfigError('data', 'the training file has no valid events');
  const labels = new Set<string>();
  let longest = 0;
  for (const e of events) {
    if (!('text' in e.input)) throw new ConfigError('--task', `event "${e.id}" has no text input: a spans model learns from text`);
    longest = Math.max(longest, e.input.text.length);
    if (e.label === null) continue;
    if (!isStructured(e.label) || !('spans' in e.label)) throw new ConfigError('--task', `event "${e.id}" has the label ${JSON.stringify(e.label).slice(0, 80)}: a spans model learns {"spans": [{start, end, label}]}`);
    for (const s of e.label.spans) labels.add(s.label);
  }
  if (labels.size === 0) throw new ConfigError('data', 'no event has a span: a spans model needs at least one span label');
  return { labels: [...labels].sort(), featureSpec: { kind: 'chars', dim: Math.max(SPAN_MAX_CHARS, longest) } };
}

/** The tasks `streamtune train` batch-trains. */
export type BatchTask = Extract<Task, 'classification' | 'regression' | 'spans'>;

/** The name of a task's score in a version's metrics (`trainAccuracy`, `holdoutMae`, `validationEntityF1`). */
export const TRAIN_METRIC: Readonly<Record<BatchTask, string>> = { classification: 'Accuracy', regression: 'Mae', spans: 'EntityF1' };

/** Infers the feature spec (with standardization for vectors) from the training events. */
export function inferFeatureSpec(events: readonly LabelEvent[], textDim = 4096, media?: MediaSpecs): FeatureSpec {
  const first = events[0];
  if (!first) throw new ConfigError('data', 'the training file has no valid events');
  if ('text' in first.input) return { kind: 'text', dim: textDim, ngrams: 1 };
  if ('image' in first.input) return media?.image ?? imageSpec(32, 32, 1);
  if ('audio' in first.input) return media?.audio ?? audioSpec(16_000, 64, 32);
  const dim = first.input.features.length;
  const rows = events.map((e, i) => {
    if (!('features' in e.input) || e.input.features.length !== dim) {
      throw new ConfigError('data', `event ${i} ("${e.id}") does not have ${dim} features like the first one`);
    }
    return e.input.features;
  });
  return { kind: 'features', dim, ...fitStandardizer(rows) };
}

/**
 * Batch-trains a base model from labelled events and saves it as the first
 * version of its lineage (or a new root). Returns the version and its score on
 * the training set and, when given, on the holdout: accuracy for a classifier,
 * MAE for a regressor, entity F1 for a span tagger (`task: 'spans'`).
 */
export async function trainBase(o: TrainBaseOptions): Promise<{
  meta: VersionMeta;
  trainAccuracy: number;
  holdoutAccuracy: number | null;
  validationScore: number | null;
  epochsRun: number;
}> {
  const task = o.task ?? 'classification';
  const regime = o.regime ?? 'auto';
  const labelled = o.events.filter((e) => e.label !== null);
  const spans = task === 'spans' ? spanTraining(o.events) : undefined;
  // Pretraining and semi-supervised regimes also see the inputs that have no label.
  const featureSpec = spans?.featureSpec ?? inferFeatureSpec(o.events, o.textDim, o.media);
  const labels = spans?.labels ?? (task === 'classification' ? [...new Set(labelled.map((e) => String(e.label)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : []);
  // A span label is learned as its canonical JSON (`labelTarget`), as the online pipeline does.
  const target = (e: LabelEvent): string | number => (task === 'regression' ? Number(e.label) : labelTarget(e.label as NonNullable<LabelEvent['label']>));
  const toExamples = (evs: readonly LabelEvent[]): Example[] => evs.filter((e) => e.label !== null).map((e) => ({ x: featurize(e.input, featureSpec), y: target(e), weight: e.weight }));
  const all = toExamples(labelled);
  const order = all.map((_, i) => i);
  const rand = seededRandom((o.seed ?? 1) + 17);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.floor(all.length * (o.validationSplit ?? 0));
  const validation = order.slice(0, nVal).map((i) => all[i]!);
  const data = order.slice(nVal).map((i) => all[i]!);
  const ys = data.map((d) => Number(d.y));
  const targetMean = task === 'regression' ? ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length) : 0;
  const targetStd = task === 'regression' ? Math.sqrt(ys.reduce((a, b) => a + (b - targetMean) ** 2, 0) / Math.max(1, ys.length)) || 1 : 1;
  const learner = await buildRegimeLearner({
    regime,
    task,
    featureSpec,
    labels,
    hiddenUnits: o.hiddenUnits ?? [64],
    learningRate: o.learningRate ?? 0.003,
    seed: o.seed ?? 1,
    unlabelled: o.events.map((e) => featurize(e.input, featureSpec)),
    encoderDir: o.encoderDir,
    pretrainEpochs: o.pretrainEpochs,
    targetMean,
    targetStd,
    auto: o.auto,
  });
  try {
    let epochsRun = 0;
    let validationScore: number | null = null;
    await trainBatch(learner, data, {
      epochs: o.epochs ?? 30,
      batchSize: o.batchSize ?? 32,
      seed: o.seed ?? 1,
      ...(validation.length > 0 ? { validate: (l: Learner) => score(l, validation) } : {}),
      patience: o.patience,
      onEpoch: (e, loss, val) => {
        epochsRun = e;
        if (val !== undefined) validationScore = val;
        o.onEpoch?.(e, loss, val);
      },
    });
    if (learner.learnUnlabelled) {
      const un = o.events.filter((e) => e.label === null);
      if (un.length > 0) await learner.learnUnlabelled(un.map((e) => featurize(e.input, featureSpec)), un.map((e) => e.id));
    }
    const measure = task === 'regression' ? meanAbsoluteError : task === 'spans' ? spanF1 : accuracy;
    const trainAccuracy = measure(learner, data);
    const holdoutAccuracy = o.holdout ? measure(learner, toExamples(o.holdout)) : null;
    const metric = TRAIN_METRIC[task];
    const meta = await o.store.save(o.model, learner, {
      parent: null,
      regime: `${regime}-batch`,
      backend: o.backend,
      examplesSeen: data.length,
      metrics: {
        [`train${metric}`]: trainAccuracy,
        ...(holdoutAccuracy === null ? {} : { [`holdout${metric}`]: holdoutAccuracy }),
        ...(validationScore === null ? {} : { [`validation${metric}`]: task === 'regression' ? -validationScore : validationScore }),
      },
      offsets: {},
    });
    return { meta, trainAccuracy, holdoutAccuracy, validationScore: validationScore === null ? null : task === 'regression' ? -validationScore : validationScore, epochsRun };
  } finally {
    learner.dispose();
  }
}

