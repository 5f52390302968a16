import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, seededRandom } from '../../src/core/index.js';
import { createLearner, HoeffdingTreeClassifier, OnlineForestClassifier, type Example, type OnlineForestConfig } from '../../src/learners/index.js';

const DIM = 6;
const labels = ['neg', 'pos'];
const featureSpec = { kind: 'features' as const, dim: DIM };

/** A checkerboard on features 0 and 1 (XOR of their signs), with four noise features: no single split helps, so a lone tree is slow to start. */
function checkerboard(n: number, seed: number): Example[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: DIM }, () => rand() * 2 - 1);
    return { x, y: x[0]! > 0 !== x[1]! > 0 ? 'pos' : 'neg' };
  });
}

/** Standard prequential accuracy: each event predicted, then learned, one at a time. */
async function prequential(m: { learn: OnlineForestClassifier['learn'] }, data: readonly Example[]): Promise<number> {
  let right = 0;
  for (const e of data) right += (await m.learn([e.x], [e.y])).predicted![0] === e.y ? 1 : 0;
  return right / data.length;
}

async function roundTrip(f: OnlineForestClassifier): Promise<OnlineForestClassifier> {
  let art: tf.io.ModelArtifacts | undefined;
  await f.save(
    tf.io.withSaveHandler(async (a) => {
      art = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return OnlineForestClassifier.load(f.getConfig() as unknown as OnlineForestConfig, tf.io.fromMemory(art!));
}

describe('OnlineForestClassifier', () => {
  it('learns a concept no single split helps, one event at a time, well above chance', async () => {
    const f = new OnlineForestClassifier({ featureSpec, labels });
    const acc = await prequential(f, checkerboard(3000, 1));
    const ht = new HoeffdingTreeClassifier({ featureSpec, labels });
    const single = await prequential(ht, checkerboard(3000, 1));
    console.log(`online forest: prequential ${acc.toFixed(4)}; one Hoeffding tree (defaults) ${single.toFixed(4)}`);
    expect(acc).toBeGreaterThan(0.8);
  });

  it("keeps every tree within maxNodes, and predicts its trees' mean probabilities", async () => {
    const f = new OnlineForestClassifier({ featureSpec, labels, trees: 4, maxNodes: 7 });
    await prequential(f, checkerboard(2000, 2));
    for (const t of f.trees) expect(t.shape().nodes).toBeLessThanOrEqual(7);
    const p = f.predict([[0.5, 0.5, 0, 0, 0, 0]])[0]!;
    expect(p.scores!.neg! + p.scores!.pos!).toBeCloseTo(1, 9);
  });

  it('a restored forest predicts and goes on learning exactly as the saved one', async () => {
    const a = new OnlineForestClassifier({ featureSpec, labels, seed: 3 });
    await prequential(a, checkerboard(500, 3));
    const b = await roundTrip(a);
    const more = checkerboard(500, 4);
    expect(await prequential(b, more)).toBe(await prequential(a, more));
    const probe = checkerboard(50, 5).map((e) => e.x);
    expect(b.predict(probe)).toEqual(a.predict(probe));
  });

  it('different seeds grow different forests', async () => {
    const d = checkerboard(300, 6);
    const a = new OnlineForestClassifier({ featureSpec, labels, seed: 1 });
    const b = new OnlineForestClassifier({ featureSpec, labels, seed: 2 });
    await prequential(a, d);
    await prequential(b, d);
    const probe = checkerboard(20, 7).map((e) => e.x);
    expect(b.predict(probe)).not.toEqual(a.predict(probe));
  });

  it('refuses a bad configuration, naming the key', () => {
    expect(() => new OnlineForestClassifier({ featureSpec, labels, trees: 0 })).toThrow(ConfigError);
    expect(() => new OnlineForestClassifier({ featureSpec, labels, subspace: DIM + 1 })).toThrow(/subspace/);
    expect(() => new OnlineForestClassifier({ featureSpec, labels, lambda: 0 })).toThrow(/lambda/);
    expect(() => new OnlineForestClassifier({ featureSpec, labels, maxNodes: 0 })).toThrow(/maxNodes/);
    expect(createLearner('OnlineForestClassifier', { featureSpec, labels }).className).toBe('OnlineForestClassifier');
  });
});
