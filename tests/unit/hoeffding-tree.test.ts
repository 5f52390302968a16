import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidInputError, ModelLoadError, seededRandom } from '../../src/core/index.js';
import { HoeffdingTreeClassifier, type HoeffdingTreeConfig } from '../../src/learners/hoeffding-tree.js';
import { createLearner, loadLearner } from '../../src/learners/learner-registry.js';
import { trainBatch, type Example } from '../../src/learners/train-batch.js';

const DIM = 10;
const labels = ['neg', 'pos'];
const make = (extra: Partial<HoeffdingTreeConfig> = {}): HoeffdingTreeClassifier =>
  new HoeffdingTreeClassifier({ featureSpec: { kind: 'features', dim: DIM }, labels, ...extra });

/** An axis-aligned concept on uniform features: pos iff x0 > 0.3 and x2 < 0.5. */
function concept(n: number, seed: number): Example[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: DIM }, () => rand());
    return { x, y: x[0]! > 0.3 && x[2]! < 0.5 ? 'pos' : 'neg' };
  });
}

/** Predict-then-learn accuracy over the stream, in batches of 16. */
async function prequential(m: HoeffdingTreeClassifier, data: readonly Example[]): Promise<number> {
  let right = 0;
  for (let i = 0; i < data.length; i += 16) {
    const b = data.slice(i, i + 16);
    const { predicted } = await m.learn(b.map((e) => e.x), b.map((e) => e.y));
    right += predicted!.filter((p, j) => p === b[j]!.y).length;
  }
  return right / data.length;
}

/** Saves through an in-memory IOHandler and returns what was written. */
async function saved(m: HoeffdingTreeClassifier): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      out = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

const stateOf = async (m: HoeffdingTreeClassifier): Promise<number[]> =>
  Array.from(new Float64Array(tf.io.CompositeArrayBuffer.join((await saved(m)).weightData!)));

describe('HoeffdingTreeClassifier', () => {
  it('learns an axis-aligned concept prequentially, by splitting', async () => {
    const m = make();
    const acc = await prequential(m, concept(4000, 1));
    const shape = m.shape();
    expect(acc).toBeGreaterThanOrEqual(0.9);
    expect(shape.depth).toBeGreaterThanOrEqual(2);
    // Held-out accuracy, from the tree alone.
    const test = concept(1000, 99);
    const heldOut = m.predict(test.map((e) => e.x)).filter((p, i) => p.label === test[i]!.y).length / test.length;
    expect(heldOut).toBeGreaterThanOrEqual(0.9);
    console.log(`hoeffding tree: prequential ${acc.toFixed(4)}, held out ${heldOut.toFixed(4)}, tree ${JSON.stringify(shape)}`);
  });

  it('learns fast (speed logged, not asserted)', async () => {
    const m = make();
    const data = concept(50_000, 2);
    const xs = data.map((e) => e.x);
    const ys = data.map((e) => e.y);
    const t0 = performance.now();
    for (let i = 0; i < data.length; i += 16) await m.learn(xs.slice(i, i + 16), ys.slice(i, i + 16));
    const seconds = (performance.now() - t0) / 1000;
    console.log(`hoeffding tree: ${Math.round(data.length / seconds)} learned events/s (${DIM} features, batches of 16, predict + learn), tree ${JSON.stringify(m.shape())}`);
    expect(m.shape().leaves).toBeGreaterThan(1);
  });

  it('predicts scores that sum to 1, and reports the predictions from before the update', async () => {
    const m = make();
    const data = concept(600, 3);
    await trainBatch(m, data.slice(0, 500), { epochs: 1, batchSize: 16 });
    const batch = data.slice(500, 516);
    const before = m.predict(batch.map((e) => e.x));
    for (const p of before) {
      const values = Object.values(p.scores!);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(p.confidence).toBe(Math.max(...values));
    }
    const r = await m.learn(batch.map((e) => e.x), batch.map((e) => e.y));
    expect(r.predicted).toEqual(before.map((p) => p.label));
    expect(r.examples).toBe(16);
  });

  it('save → load gives identical predictions, config and description, and learns on identically', async () => {
    const m = make({ gracePeriod: 50 });
    await trainBatch(m, concept(3000, 4), { epochs: 1, batchSize: 16 });
    expect(m.shape().nodes).toBeGreaterThan(1);
    const back = (await loadLearner(m.className, m.getConfig(), tf.io.fromMemory(await saved(m)))) as HoeffdingTreeClassifier;
    const probe = concept(300, 5).map((e) => e.x);
    expect(back.predict(probe)).toEqual(m.predict(probe));
    expect(back.getConfig()).toEqual(m.getConfig());
    expect(back.describe()).toEqual(m.describe());
    expect(back.shape()).toEqual(m.shape());
    // The leaves' split bookkeeping came back too: both trees grow the same way.
    const more = concept(2000, 6);
    await trainBatch(m, more, { epochs: 1, batchSize: 16 });
    await trainBatch(back, more, { epochs: 1, batchSize: 16 });
    expect(back.predict(probe)).toEqual(m.predict(probe));
    expect(await stateOf(back)).toEqual(await stateOf(m));
  });

  it('saves and restores a tree of thousands of nodes exactly (time logged)', async () => {
    // Random labels keep every leaf impure and a tie threshold of 1 splits at every attempt, so the tree fills out to maxDepth.
    const m = make({ gracePeriod: 10, tieThreshold: 1, maxDepth: 12, maxBytes: 1e9 });
    const rand = seededRandom(7);
    await trainBatch(m, concept(60_000, 7).map((e) => ({ ...e, y: rand() < 0.5 ? 'pos' : 'neg' })), { epochs: 1, batchSize: 64 });
    expect(m.shape().nodes).toBeGreaterThan(2000);
    const t0 = performance.now();
    const artifacts = await saved(m);
    const t1 = performance.now();
    const back = await HoeffdingTreeClassifier.load(m.getConfig() as unknown as HoeffdingTreeConfig, tf.io.fromMemory(artifacts));
    const t2 = performance.now();
    console.log(`hoeffding tree: ${m.shape().nodes} nodes saved in ${(t1 - t0).toFixed(1)} ms, loaded in ${(t2 - t1).toFixed(1)} ms`);
    const probe = concept(500, 8).map((e) => e.x);
    expect(back.predict(probe)).toEqual(m.predict(probe));
    expect(back.shape()).toEqual(m.shape());
  });

  it('stops splitting at maxBytes: the saved tree keeps its size however long the stream, where an unbounded one grows', async () => {
    // An oblique boundary: an axis-parallel tree approximates it with ever finer steps as data comes.
    const rand = seededRandom(5);
    const stream = (n: number): Example[] =>
      Array.from({ length: n }, () => {
        const x = Array.from({ length: DIM }, () => rand());
        return { x, y: x[0]! + 0.7 * x[1]! + 0.4 * x[2]! > 1.05 ? 'pos' : 'neg' };
      });
    const first = stream(8000);
    const second = stream(8000);
    const bytes = async (m: HoeffdingTreeClassifier): Promise<number> => tf.io.CompositeArrayBuffer.join((await saved(m)).weightData!).byteLength;
    const capped = make({ maxBytes: 4096 });
    const unbounded = make({ maxBytes: 1e9 });
    const sizes: Record<string, number[]> = { capped: [], unbounded: [] };
    for (const part of [first, second]) {
      for (const [name, m] of [['capped', capped], ['unbounded', unbounded]] as const) {
        await trainBatch(m, part, { epochs: 1, batchSize: 16 });
        sizes[name]!.push(await bytes(m));
      }
    }
    // The unbounded tree grew from N to 2N events; the capped one reached its bound by N and kept it.
    expect(sizes.unbounded![1]!).toBeGreaterThan(sizes.unbounded![0]! * 1.5);
    expect(capped.shape().leaves).toBeGreaterThan(1);
    expect(sizes.capped![1]).toBe(sizes.capped![0]);
    expect(sizes.capped![1]).toBeLessThanOrEqual(4096);
    expect(sizes.capped![1]).toBe(capped.stateBytes);
    // Still learning at its leaves: the bound costs splits, not updates.
    const test = stream(1000);
    expect(capped.predict(test.map((e) => e.x)).filter((p, i) => p.label === test[i]!.y).length / test.length).toBeGreaterThan(0.8);
  });

  it('refuses to load a truncated tree', async () => {
    const m = make({ gracePeriod: 50 });
    await trainBatch(m, concept(1000, 12), { epochs: 1, batchSize: 16 });
    const a = await saved(m);
    const bytes = tf.io.CompositeArrayBuffer.join(a.weightData!);
    const cut = tf.io.fromMemory({ ...a, weightData: bytes.slice(0, bytes.byteLength - 8 * 7) });
    await expect(HoeffdingTreeClassifier.load(m.getConfig() as unknown as HoeffdingTreeConfig, cut)).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('ignores repeated epochs', async () => {
    const data = concept(800, 9);
    const once = make();
    await trainBatch(once, data, { epochs: 1, batchSize: 16, seed: 3 });
    const thrice = make();
    await trainBatch(thrice, data, { epochs: 3, batchSize: 16, seed: 3 });
    expect(await stateOf(thrice)).toEqual(await stateOf(once));
    const r = await once.learn(data.slice(0, 16).map((e) => e.x), data.slice(0, 16).map((e) => e.y), undefined, { repeat: true });
    expect(r.examples).toBe(0);
    expect(await stateOf(once)).toEqual(await stateOf(thrice));
  });

  it('rejects an unknown label with unknown_label, learning nothing from the batch', async () => {
    const m = make();
    const before = await stateOf(m);
    const err = await m.learn([Array(DIM).fill(0.5), Array(DIM).fill(0.1)], ['pos', 'maybe']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).reason).toBe('unknown_label');
    expect(await stateOf(m)).toEqual(before);
  });

  it('counts an example of weight w as w examples, and skips weight 0', async () => {
    const x = Array(DIM).fill(0.5);
    const weighted = make({ leafPrediction: 'mc' });
    await weighted.learn([x, x, x], ['neg', 'pos', 'neg'], [1, 5, 0]);
    expect(weighted.predict([x])[0]!.scores).toEqual({ neg: 1 / 6, pos: 5 / 6 });

    // Naive Bayes: weight 3 ≈ the same example three times.
    const rand = seededRandom(10);
    const rows = Array.from({ length: 40 }, () => Array.from({ length: DIM }, () => rand()));
    const ys = rows.map((r) => (r[1]! > 0.5 ? 'pos' : 'neg'));
    const w = rows.map((_, i) => (i % 4 === 0 ? 3 : 1));
    const a = make({ leafPrediction: 'nb' });
    await a.learn(rows, ys, w);
    const b = make({ leafPrediction: 'nb' });
    await b.learn(rows.flatMap((r, i) => Array<number[]>(w[i]!).fill(r)), ys.flatMap((y, i) => Array<string>(w[i]!).fill(y)));
    const probe = concept(20, 11).map((e) => e.x);
    const pa = a.predict(probe);
    b.predict(probe).forEach((p, i) => expect(p.scores!.pos).toBeCloseTo(pa[i]!.scores!.pos!, 9));
  });

  it('stops splitting at maxNodes, and keeps the bound after a save and load', async () => {
    const capped = make({ gracePeriod: 50, maxNodes: 5 });
    await prequential(capped, concept(3000, 4));
    expect(capped.shape().nodes).toBeLessThanOrEqual(5);
    expect(make({ gracePeriod: 50 }).shape().nodes).toBe(1);
    const free = make({ gracePeriod: 50 });
    await prequential(free, concept(3000, 4));
    expect(free.shape().nodes).toBeGreaterThan(5);
    const restored = await HoeffdingTreeClassifier.load(capped.getConfig() as unknown as HoeffdingTreeConfig, tf.io.fromMemory(await saved(capped)));
    await prequential(restored, concept(3000, 5));
    expect(restored.shape().nodes).toBeLessThanOrEqual(5);
  });

  it('refuses a bad configuration, naming the key', () => {
    expect(() => make({ maxNodes: 0 })).toThrow(/maxNodes/);
    expect(() => make({ gracePeriod: 0 })).toThrow(ConfigError);
    expect(() => make({ delta: 1 })).toThrow(/delta/);
    expect(() => make({ maxDepth: 1.5 })).toThrow(/maxDepth/);
    expect(() => make({ leafPrediction: 'knn' as never })).toThrow(/leafPrediction/);
    expect(() => make({ maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => new HoeffdingTreeClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['only'] })).toThrow(/labels/);
    expect(createLearner('HoeffdingTreeClassifier', { featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'] }).className).toBe('HoeffdingTreeClassifier');
  });
});
