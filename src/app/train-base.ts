import { ConfigError } from '../errors/index.js';
import type { LabelEvent } from '../events/index.js';
import { featurize, fitStandardizer, type FeatureSpec } from '../features/index.js';
import { accuracy, DenseClassifier, trainBatch, type Example } from '../models/index.js';
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
  seed?: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Infers the feature spec (with standardization for vectors) from the training events. */
export function inferFeatureSpec(events: readonly LabelEvent[], textDim = 4096): FeatureSpec {
  const first = events[0];
  if (!first) throw new ConfigError('data', 'the training file has no valid events');
  if ('text' in first.input) return { kind: 'text', dim: textDim };
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
 * Batch-trains a base classifier from labelled events and saves it as the first
 * version of its lineage (or a new root). Returns the version and its accuracy
 * on the training set and, when given, on the holdout.
 */
export async function trainBase(o: TrainBaseOptions): Promise<{ meta: VersionMeta; trainAccuracy: number; holdoutAccuracy: number | null }> {
  const labelled = o.events.filter((e) => e.label !== null);
  const featureSpec = inferFeatureSpec(labelled, o.textDim);
  const labels = [...new Set(labelled.map((e) => String(e.label)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const learner = new DenseClassifier({
    featureSpec,
    labels,
    hiddenUnits: o.hiddenUnits ?? [64],
    learningRate: o.learningRate ?? 0.003,
    seed: o.seed ?? 1,
  });
  const toExamples = (evs: readonly LabelEvent[]): Example[] =>
    evs.filter((e) => e.label !== null).map((e) => ({ x: featurize(e.input, featureSpec), y: e.label as string | number, weight: e.weight }));
  try {
    const data = toExamples(labelled);
    await trainBatch(learner, data, { epochs: o.epochs ?? 30, batchSize: o.batchSize ?? 32, seed: o.seed ?? 1, onEpoch: o.onEpoch });
    const trainAccuracy = accuracy(learner, data);
    const holdoutAccuracy = o.holdout ? accuracy(learner, toExamples(o.holdout)) : null;
    const meta = await o.store.save(o.model, learner, {
      parent: null,
      regime: 'supervised-batch',
      backend: o.backend,
      examplesSeen: data.length,
      metrics: { trainAccuracy, ...(holdoutAccuracy === null ? {} : { holdoutAccuracy }) },
      offsets: {},
    });
    return { meta, trainAccuracy, holdoutAccuracy };
  } finally {
    learner.dispose();
  }
}
