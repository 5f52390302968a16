import { ConfigError } from '../core/index.js';
import { audioSpec, checkFeatureSpec, imageSpec, type FeatureSpec } from '../features/index.js';
import { type Task } from '../learners/index.js';
import { buildRegimeLearner, REGIMES, type Regime } from '../regimes/index.js';
import type { VersionMeta, VersionStore } from '../registry/index.js';

/** Regimes a model can start from with no data: the others pretrain on a file or need an encoder. */
export const CREATABLE_REGIMES: readonly Regime[] = ['auto', 'supervised', 'self-training'];

export interface CreateModelOptions {
  store: VersionStore;
  model: string;
  /** The model's input, e.g. `features:8`, `text`, `text:4096`, `text:4096,pairs,chars=3-5`, `image:32x32x1`, `audio:16000,64,32`. */
  input: string;
  task: Task;
  /** Class labels (classification), or the labels of spans, boxes or keypoints; events with another label are dead-lettered. */
  labels: string[];
  /** @defaultValue 'auto' */
  regime?: Regime;
  auto?: { candidates?: string[]; margin?: number };
  hiddenUnits?: number[];
  learningRate?: number;
  seed?: number;
  backend: string;
}

/** `features:8` → a feature spec; the flag named in errors is `--input`. */
export function parseInputSpec(input: string): FeatureSpec {
  const [kind, arg] = input.split(':', 2) as [string, string | undefined];
  const ints = (v: string, sep: RegExp, n: number): number[] => {
    const parts = v.split(sep).map(Number);
    if (parts.length !== n || !parts.every((x) => Number.isInteger(x) && x > 0)) throw new ConfigError('--input', `"${input}": ${kind} needs ${n} positive integers`);
    return parts;
  };
  switch (kind) {
    case 'features': {
      const [dim] = ints(arg ?? '', /,/, 1) as [number];
      return { kind: 'features', dim };
    }
    case 'text':
      return textSpec(input, arg);
    case 'image': {
      const [w, h, c] = ints(arg ?? '32x32x1', /x/i, 3) as [number, number, number];
      if (c !== 1 && c !== 3) throw new ConfigError('--input', `"${input}": channels must be 1 or 3`);
      return imageSpec(w, h, c);
    }
    case 'audio': {
      const [rate, frames, mels] = ints(arg ?? '16000,64,32', /,/, 3) as [number, number, number];
      return audioSpec(rate, frames, mels);
    }
    default:
      throw new ConfigError('--input', `"${input}" is not features:N, text[:N][,pairs][,chars=MIN-MAX], image[:WxHxC] or audio[:RATE,FRAMES,MELS]`);
  }
}

/**
 * `text[:N][,pairs][,chars=MIN-MAX]` → a text spec: N hash buckets (4,096), words,
 * and with `pairs` word pairs, with `chars=3-5` each word's character 3- to 5-grams.
 */
function textSpec(input: string, arg: string | undefined): FeatureSpec {
  const spec: FeatureSpec = { kind: 'text', dim: 4096, ngrams: 1 };
  for (const part of arg === undefined ? [] : arg.split(',')) {
    const chars = /^chars=(\d+)-(\d+)$/.exec(part);
    if (/^\d+$/.test(part)) spec.dim = Number(part);
    else if (part === 'pairs') spec.ngrams = 2;
    else if (chars) spec.charNgrams = [Number(chars[1]), Number(chars[2])];
    else throw new ConfigError('--input', `"${input}": "${part}" is not a bucket count, pairs or chars=MIN-MAX (e.g. text:4096,pairs,chars=3-5)`);
  }
  try {
    checkFeatureSpec(spec);
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError('--input', `"${input}": ${err.message.replace(/^invalid configuration /, '')}`) : err;
  }
  return spec;
}

/** A span model's input: `text` or `text:MAXCHARS` (the longest text it accepts, 10,000 characters by default). */
export function spanInputSpec(input: string): FeatureSpec {
  const m = /^text(?::(\d+))?$/.exec(input);
  if (!m || (m[1] !== undefined && !(Number(m[1]) > 0))) throw new ConfigError('--input', `"${input}": a span model reads text, give --input text or text:MAXCHARS`);
  return { kind: 'chars', dim: m[1] === undefined ? 10_000 : Number(m[1]) };
}

/**
 * Creates a model that has seen no data: its first version (v1) holds a fresh
 * learner for the input, task and labels given, and it learns from the labels
 * topic from then on. Servers and trainers pick it up without a restart.
 * Fails (naming the flag) when the model exists already.
 */
export async function createModel(o: CreateModelOptions): Promise<VersionMeta> {
  if ((await o.store.newest(o.model)) !== null) throw new ConfigError('--model', `model "${o.model}" exists already in ${o.store.root}`);
  const regime = o.regime ?? 'auto';
  if (!CREATABLE_REGIMES.includes(regime)) {
    throw new ConfigError('--regime', `"${regime}" needs data to start from (use \`streamtune train\`); a new empty model takes one of ${CREATABLE_REGIMES.join(', ')}`);
  }
  if (!REGIMES.includes(regime)) throw new ConfigError('--regime', `"${regime}" is not one of ${REGIMES.join(', ')}`);
  if (o.task === 'classification' && o.labels.length < 2) throw new ConfigError('--labels', 'a classifier needs at least two labels, e.g. --labels spam,ham');
  if (new Set(o.labels).size !== o.labels.length) throw new ConfigError('--labels', 'labels repeat');
  if (o.task === 'spans' && o.labels.length < 1) throw new ConfigError('--labels', 'a span model needs its span labels, e.g. --labels PER,LOC');
  if ((o.task === 'boxes' || o.task === 'keypoints') && o.labels.length < 1) throw new ConfigError('--labels', `a ${o.task} model needs its ${o.task === 'boxes' ? 'box' : 'keypoint'} labels, e.g. --labels ${o.task === 'boxes' ? 'cat,dog' : 'nose,tail'}`);
  const featureSpec = o.task === 'spans' ? spanInputSpec(o.input) : parseInputSpec(o.input);
  if ((o.task === 'boxes' || o.task === 'keypoints') && featureSpec.kind !== 'image') throw new ConfigError('--input', `"${o.input}": a ${o.task} model reads images, give --input image[:WxHxC]`);
  const learner = await buildRegimeLearner({
    regime,
    task: o.task,
    featureSpec,
    labels: o.task === 'regression' ? [] : o.labels,
    hiddenUnits: o.hiddenUnits ?? [64],
    learningRate: o.learningRate ?? 0.003,
    seed: o.seed ?? 1,
    auto: o.auto,
  });
  try {
    return await o.store.save(o.model, learner, { parent: null, regime: `${regime}-online`, backend: o.backend, examplesSeen: 0, metrics: {}, offsets: {} });
  } finally {
    learner.dispose();
  }
}
