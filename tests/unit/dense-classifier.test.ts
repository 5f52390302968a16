import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DenseClassifier, trainBatch, type Example } from '../../src/learners/index.js';
import { accuracy } from '../../src/evaluation/index.js';
import { seededRandom } from '../../src/core/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

/** A learnable concept: the label is which of two fixed directions x leans to. */
function concept(n: number, seed: number): Example[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: 8 }, () => rand() * 2 - 1);
    return { x, y: x[0]! + x[1]! - x[2]! > 0 ? 'pos' : 'neg' };
  });
}

const make = (seed = 1): DenseClassifier =>
  new DenseClassifier({ featureSpec: { kind: 'features', dim: 8 }, labels: ['neg', 'pos'], hiddenUnits: [16], learningRate: 0.01, seed });

describe('DenseClassifier (learner conformance)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('learning a stream of a learnable concept improves accuracy', async () => {
    const m = make();
    const test = concept(300, 99);
    const before = accuracy(m, test);
    await trainBatch(m, concept(600, 1), { epochs: 5, batchSize: 16 });
    const after = accuracy(m, test);
    expect(after).toBeGreaterThan(0.9);
    expect(after).toBeGreaterThan(before + 0.2);
    m.dispose();
  });

  it('does not mutate its inputs', async () => {
    const m = make();
    const data = concept(32, 5);
    const copy = structuredClone(data);
    await m.learn(
      data.map((d) => d.x),
      data.map((d) => d.y),
    );
    m.predict(data.map((d) => d.x));
    expect(data).toEqual(copy);
    m.dispose();
  });

  it('a seeded run repeats exactly', async () => {
    const run = async (): Promise<number[]> => {
      const m = make(7);
      await trainBatch(m, concept(64, 3), { epochs: 2, batchSize: 16, seed: 4 });
      const out = m.predict(concept(10, 8).map((d) => d.x)).map((p) => p.scores!.pos!);
      m.dispose();
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('save/load through the version store gives identical predictions', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-store-'));
    const store = new VersionStore(dir);
    const m = make();
    await trainBatch(m, concept(64, 2), { epochs: 2 });
    const meta = await store.save('m', m, { parent: null, regime: 'test', backend: tf.getBackend(), examplesSeen: 64, metrics: {}, offsets: { 't/0': '5' } });
    expect(meta.version).toBe('v1');
    expect(await store.latest('m')).toBe('v1');
    const { learner, meta: loaded } = await store.load('m', 'v1');
    const probe = concept(20, 11).map((d) => d.x);
    expect(learner.predict(probe)).toEqual(m.predict(probe));
    expect(loaded.offsets).toEqual({ 't/0': '5' });
    expect(loaded.description.labels).toEqual(['neg', 'pos']);
    const second = await store.save('m', learner, { parent: 'v1', regime: 'test', backend: 'x', examplesSeen: 64, metrics: {}, offsets: {} });
    expect(second.version).toBe('v2');
    expect(await store.list('m')).toEqual(['v1', 'v2']);
    m.dispose();
    learner.dispose();
  });

  it('rejects unknown labels and holds no leaked tensors', async () => {
    const m = make();
    const base = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      await m.learn([concept(1, i)[0]!.x], ['pos']);
      m.predict([concept(1, i)[0]!.x]);
    }
    // Adam allocates its slots on the first step; after that the count is flat.
    const afterWarm = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      await m.learn([concept(1, i)[0]!.x], ['neg']);
      m.predict([concept(1, i)[0]!.x]);
    }
    expect(tf.memory().numTensors).toBe(afterWarm);
    await expect(m.learn([new Array(8).fill(0)], ['maybe'])).rejects.toThrow(/label "maybe" is not one of/);
    m.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(base);
  });
});
