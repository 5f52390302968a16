/**
 * One conformance suite for every learner (as River does for its models): inputs
 * not mutated, save/load round-trips to identical predictions, a seeded run
 * repeats exactly, steps never overlap, and learning a stream of a
 * learnable concept improves the metric.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoLearner, BoxDetector, ConvClassifier, defaultCandidates, DenseClassifier, DenseRegressor, GaussianNaiveBayes, HoeffdingTreeClassifier, InteractionLearner, KeypointDetector, KnnLearner, MultinomialNaiveBayes, OnlineForestClassifier, registeredLearners, SpanTagger, trainBatch, type CandidateSpec, type Example, type Learner } from '../../src/learners/index.js';
import { shapesTarget, spansOfTarget, spansTarget } from '../../src/ingest/index.js';
import { boxMap, entityCounts, f1Of, keypointPck } from '../../src/evaluation/index.js';
import { imageSpec } from '../../src/features/index.js';
import { CoTrainingLearner, EncoderHeadLearner, halfViews, MultiViewClassifier, SelfTrainingLearner } from '../../src/regimes/index.js';
import { PreconditionError, seededRandom } from '../../src/core/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { shapeStream } from '../helpers/shape-stream.js';
import { chars, spanStream } from '../helpers/span-stream.js';
import { useTestBackend } from '../helpers/test-backend.js';

const DIM = 8;
const featureSpec = { kind: 'features' as const, dim: DIM };
const labels = ['neg', 'pos'];

function rows(n: number, seed: number): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: DIM }, () => rand() * 2 - 1));
}
const classify = (x: number[]): string => (x[0]! + x[1]! - x[5]! > 0 ? 'pos' : 'neg');
const regress = (x: number[]): number => 3 * x[0]! - 2 * x[4]! + 0.5;

interface Case {
  name: string;
  task: 'classification' | 'regression' | 'spans' | 'boxes' | 'keypoints';
  /** Labelled examples of its own kind (span taggers read texts), when the default rows do not suit it. */
  examples?: (n: number, seed: number) => Example[];
  /** Convolutional: WASM has no Conv2D gradients, so a WASM run tests it on the CPU backend (tiny sizes). */
  conv?: boolean;
  /** Learns without awaiting anything (no tensors): a step runs to its end before another can start. */
  synchronous?: boolean;
  /** The concept to learn, when the default one does not suit the learner's inputs. */
  concept?: (x: number[]) => string;
  make(seed: number): Learner;
}

const CASES: Case[] = [
  { name: 'DenseClassifier', task: 'classification', make: (seed) => new DenseClassifier({ featureSpec, labels, hiddenUnits: [16], learningRate: 0.01, seed }) },
  { name: 'DenseRegressor', task: 'regression', make: (seed) => new DenseRegressor({ featureSpec, hiddenUnits: [16], learningRate: 0.01, seed }) },
  { name: 'DenseRegressor (linear, huber)', task: 'regression', make: (seed) => new DenseRegressor({ featureSpec, hiddenUnits: [], loss: 'huber', learningRate: 0.03, seed }) },
  { name: 'EncoderHeadLearner', task: 'classification', make: (seed) => new EncoderHeadLearner({ featureSpec, labels, encoderUnits: [16, 8], learningRate: 0.01, seed }) },
  {
    name: 'EncoderHeadLearner (regression, top layer fine-tuned)',
    task: 'regression',
    make: (seed) => new EncoderHeadLearner({ featureSpec, task: 'regression', encoderUnits: [16, 8], trainableEncoderLayers: 1, encoderLearningRate: 0.003, learningRate: 0.01, seed }),
  },
  {
    name: 'SelfTrainingLearner',
    task: 'classification',
    make: (seed) => new SelfTrainingLearner({ base: { className: 'DenseClassifier', config: { featureSpec, labels, hiddenUnits: [16], learningRate: 0.01, seed } } }),
  },
  { name: 'CoTrainingLearner', task: 'classification', make: (seed) => new CoTrainingLearner({ featureSpec, labels, views: halfViews(DIM), hiddenUnits: [16], learningRate: 0.01, seed }) },
  {
    name: 'ConvClassifier',
    task: 'classification',
    conv: true,
    // The 8 features read as a 2×4 grey image.
    make: (seed) => new ConvClassifier({ featureSpec: { kind: 'image', width: 4, height: 2, channels: 1, dim: DIM }, labels, filters: [8, 16], hiddenUnits: [16], learningRate: 0.01, seed }),
  },
  { name: 'MultiViewClassifier', task: 'classification', make: (seed) => new MultiViewClassifier({ featureSpec, labels, views: halfViews(DIM), viewUnits: 8, learningRate: 0.01, seed }) },
  { name: 'KnnLearner', task: 'classification', synchronous: true, make: () => new KnnLearner({ featureSpec, task: 'classification', labels, k: 5, windowSize: 500 }) },
  { name: 'KnnLearner (regression, Manhattan)', task: 'regression', synchronous: true, make: () => new KnnLearner({ featureSpec, task: 'regression', k: 5, windowSize: 500, p: 1 }) },
  { name: 'GaussianNaiveBayes', task: 'classification', synchronous: true, make: () => new GaussianNaiveBayes({ featureSpec, labels }) },
  // Term weights are non-negative: the concept reads |x| as a count, as hashed text would be.
  {
    name: 'MultinomialNaiveBayes',
    task: 'classification',
    synchronous: true,
    // Which terms weigh more, as in text: features 0–1 against 4–5, read as counts.
    concept: (x) => (Math.abs(x[0]!) + Math.abs(x[1]!) > Math.abs(x[4]!) + Math.abs(x[5]!) ? 'pos' : 'neg'),
    make: () => new MultinomialNaiveBayes({ featureSpec: { kind: 'text', dim: DIM }, labels }),
  },
  { name: 'HoeffdingTreeClassifier', task: 'classification', synchronous: true, make: () => new HoeffdingTreeClassifier({ featureSpec, labels, gracePeriod: 50 }) },
  {
    name: 'SpanTagger',
    task: 'spans',
    synchronous: true,
    examples: (n, seed) => spanStream(n, seed).map((e) => ({ x: chars(e.text), y: spansTarget(e.spans) })),
    make: () => new SpanTagger({ featureSpec: { kind: 'chars', dim: 1000 }, labels: ['PER', 'LOC'], buckets: 4096 }),
  },
  {
    name: 'KeypointDetector',
    task: 'keypoints',
    conv: true,
    // 16×16 images of one bright square: its centre and top-left corner.
    examples: (n, seed) => shapeStream(n, seed).map((e) => ({ x: e.x, y: shapesTarget('keypoints', e.keypoints, 'relative') })),
    make: (seed) => new KeypointDetector({ featureSpec: imageSpec(16, 16), labels: ['centre', 'corner'], stride: 2, filters: [8, 8], learningRate: 0.01, seed }),
  },
  {
    name: 'BoxDetector',
    task: 'boxes',
    conv: true,
    examples: (n, seed) => shapeStream(n, seed).map((e) => ({ x: e.x, y: shapesTarget('boxes', [e.box], 'relative') })),
    make: (seed) => new BoxDetector({ featureSpec: imageSpec(16, 16), labels: ['square'], stride: 2, filters: [8, 16], learningRate: 0.01, seed }),
  },
  {
    name: 'OnlineForestClassifier',
    task: 'classification',
    synchronous: true,
    // Axis-aligned, as trees carve: each tree sees a random 5 of the 8 features.
    concept: (x) => (x[0]! > 0.2 || x[3]! < -0.5 ? 'pos' : 'neg'),
    make: (seed) => new OnlineForestClassifier({ featureSpec, labels, seed }),
  },
  {
    name: 'InteractionLearner (linear classifier)',
    task: 'classification',
    make: (seed) => new InteractionLearner({ featureSpec, base: { className: 'DenseClassifier', config: { labels, hiddenUnits: [], learningRate: 0.03, seed } } }),
  },
  {
    name: 'InteractionLearner (linear regressor, hashed pairs)',
    task: 'regression',
    make: (seed) => new InteractionLearner({ featureSpec, buckets: 16, base: { className: 'DenseRegressor', config: { hiddenUnits: [], learningRate: 0.03, seed } } }),
  },
  { name: 'AutoLearner', task: 'classification', make: (seed) => new AutoLearner({ featureSpec, task: 'classification', labels, window: 50, candidates: autoCandidates('classification', seed) }) },
  { name: 'AutoLearner (regression)', task: 'regression', make: (seed) => new AutoLearner({ featureSpec, task: 'regression', window: 50, candidates: autoCandidates('regression', seed) }) },
];

/** The default candidates of a new model, seeded. */
function autoCandidates(task: 'classification' | 'regression', seed: number): CandidateSpec[] {
  return defaultCandidates(featureSpec, task, task === 'classification' ? labels : []).map((c) => ({ ...c, config: c.className.startsWith('Dense') ? { ...c.config, seed } : c.config }));
}

function data(c: Case, n: number, seed: number): Example[] {
  if (c.examples) return c.examples(n, seed);
  return rows(n, seed).map((x) => ({ x, y: c.task === 'classification' ? (c.concept ?? classify)(x) : regress(x) }));
}

/** Model inputs of a case's kind. */
function inputs(c: Case, n: number, seed: number): number[][] {
  return c.examples ? c.examples(n, seed).map((e) => e.x) : rows(n, seed);
}

/** Accuracy (classification), entity F1 (spans), mAP@0.5 (boxes), PCK (keypoints) or minus MAE (regression): higher is better. */
function score(l: Learner, d: Example[]): number {
  if (l.describe().task === 'boxes') return boxMap(l, d);
  if (l.describe().task === 'keypoints') return keypointPck(l, d);
  const p = l.predict(d.map((e) => e.x));
  if (l.describe().task === 'spans') return f1Of(p.map((q, i) => entityCounts(spansOfTarget(d[i]!.y), q.spans ?? [])));
  if (l.describe().task === 'classification') return p.filter((q, i) => q.label === d[i]!.y).length / d.length;
  return -p.reduce((s, q, i) => s + Math.abs(q.value! - (d[i]!.y as number)), 0) / d.length;
}

/**
 * The heatmap learners' 2,400 conv steps on 16×16 images take minutes on the
 * JS CPU backend (a WASM run's stand-in for convolutions) on a loaded machine.
 */
const LEARNING_TIMEOUT_MS = 600_000;

describe('learner conformance', () => {
  let dir: string;
  beforeAll(async () => {
    await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-conf-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('covers every registered learner class', () => {
    const covered = new Set(CASES.map((c) => c.make(1)).map((l) => (l.dispose(), l.className)));
    expect([...registeredLearners()].sort()).toEqual([...covered].sort());
  });

  describe.each(CASES)('$name', (c) => {
    let before = '';
    beforeAll(async () => {
      before = tf.getBackend();
      if (c.conv && before === 'wasm') await tf.setBackend('cpu');
    });
    afterAll(async () => {
      await tf.setBackend(before);
    });

    it('learning a stream of a learnable concept improves the metric', async () => {
      const m = c.make(1);
      const test = data(c, 200, 99);
      const before = score(m, test);
      await trainBatch(m, data(c, 400, 1), { epochs: 6, batchSize: 16 });
      const after = score(m, test);
      if (c.task !== 'regression') expect(after).toBeGreaterThan(Math.max(0.85, before + 0.15));
      else expect(after).toBeGreaterThan(before * 0.5); // MAE at least halved
      m.dispose();
    }, LEARNING_TIMEOUT_MS);

    it('does not mutate its inputs', async () => {
      const m = c.make(1);
      const d = data(c, 32, 5);
      const copy = structuredClone(d);
      await m.learn(d.map((e) => e.x), d.map((e) => e.y), d.map(() => 1));
      m.predict(d.map((e) => e.x));
      if (m.learnUnlabelled) await m.learnUnlabelled(d.map((e) => e.x), d.map((_, i) => `u${i}`));
      expect(d).toEqual(copy);
      m.dispose();
    });

    it('a seeded run repeats exactly', async () => {
      const run = async (): Promise<unknown[]> => {
        const m = c.make(7);
        await trainBatch(m, data(c, 64, 3), { epochs: 2, batchSize: 16, seed: 4 });
        const out = m.predict(inputs(c, 10, 8)).map((p) => p.value ?? p.scores ?? p.spans ?? p.boxes ?? p.keypoints);
        m.dispose();
        return out;
      };
      expect(await run()).toEqual(await run());
    });

    it('save/load through the version store gives identical predictions, config and description', async () => {
      const store = new VersionStore(dir);
      const m = c.make(2);
      await trainBatch(m, data(c, 64, 2), { epochs: 2 });
      const model = c.name.replace(/\W+/g, '-');
      const meta = await store.save(model, m, { parent: null, regime: 'test', backend: tf.getBackend(), examplesSeen: 64, metrics: {}, offsets: {} });
      const { learner } = await store.load(model, meta.version);
      const probe = inputs(c, 20, 11);
      expect(learner.className).toBe(m.className);
      expect(learner.predict(probe)).toEqual(m.predict(probe));
      expect(learner.getConfig()).toEqual(m.getConfig());
      expect(learner.describe()).toEqual(m.describe());
      // The restored learner keeps learning.
      const r = await learner.learn(probe.slice(0, 4), data(c, 4, 12).map((e) => e.y));
      expect(r.examples).toBe(4);
      m.dispose();
      learner.dispose();
    });

    it('serializes steps: an overlapping step is refused (or, without awaits, cannot overlap), and learning goes on', async () => {
      const m = c.make(1);
      const d = data(c, 8, 6);
      const first = m.learn(d.map((e) => e.x), d.map((e) => e.y));
      const second = m.learn(d.map((e) => e.x), d.map((e) => e.y));
      if (c.synchronous) expect((await second).examples).toBe(8);
      else await expect(second).rejects.toBeInstanceOf(PreconditionError);
      expect((await first).examples).toBe(8);
      expect((await m.learn(d.map((e) => e.x), d.map((e) => e.y))).examples).toBe(8);
      m.dispose();
    });

    it('holds no leaked tensors across steps', async () => {
      const m = c.make(1);
      const d = data(c, 8, 6);
      await m.learn(d.map((e) => e.x), d.map((e) => e.y));
      m.predict(d.map((e) => e.x));
      const warm = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        await m.learn(d.map((e) => e.x), d.map((e) => e.y));
        m.predict(d.map((e) => e.x));
        if (m.learnUnlabelled) await m.learnUnlabelled(d.map((e) => e.x), d.map((_, j) => `u${i}-${j}`));
      }
      expect(tf.memory().numTensors).toBeLessThanOrEqual(warm);
      m.dispose();
    });
  });
});
