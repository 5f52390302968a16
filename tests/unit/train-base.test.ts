import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainBase } from '../../src/app/train-base.js';
import { readEvents } from '../../src/ingest/index.js';
import type { LabelEvent } from '../../src/ingest/index.js';
import { seededRandom } from '../../src/core/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

function events(n: number, regression: boolean): LabelEvent[] {
  const rand = seededRandom(5);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 10, rand() * 10, rand() * 10];
    return { id: `e${i}`, input: { features: x }, label: regression ? 3 * x[0]! - x[1]! + 100 : x[0]! > x[1]! ? 'a' : 'b' };
  });
}

describe('batch training (streamtune train)', () => {
  let store: VersionStore;
  beforeAll(async () => {
    await useTestBackend();
    store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-train-')));
  });

  it('holds out a validation split, stops early when it stops improving, and records the regime', async () => {
    const seen: (number | undefined)[] = [];
    const r = await trainBase({ model: 'c', store, events: events(300, false), backend: 'test', regime: 'supervised', epochs: 200, patience: 2, validationSplit: 0.2, learningRate: 0.05, onEpoch: (_e, _l, v) => seen.push(v) });
    expect(r.epochsRun).toBeLessThan(200);
    expect(seen.every((v) => v !== undefined)).toBe(true);
    expect(r.validationScore).toBeGreaterThan(0.85);
    expect(r.meta.examplesSeen).toBe(240);
    expect(r.meta.regime).toBe('supervised-batch');
    expect(r.meta.metrics.validationAccuracy).toBe(r.validationScore);
  });

  it('trains a regressor from a CSV file (targets standardized, MAE reported)', async () => {
    const file = path.join(store.root, 'reg.csv');
    const evs = events(300, true);
    await fs.writeFile(file, ['id,a,b,c,label', ...evs.map((e) => [e.id, ...(e.input as { features: number[] }).features, e.label].join(','))].join('\n'));
    const { events: read } = await readEvents(file);
    const r = await trainBase({ model: 'r', store, events: read, backend: 'test', task: 'regression', regime: 'supervised', epochs: 60, learningRate: 0.01 });
    expect(r.meta.className).toBe('DenseRegressor');
    // Targets spread over about ±10 around 110: a trained model is far better than the spread.
    expect(r.trainAccuracy).toBeLessThan(2.5);
    expect(r.meta.metrics.trainMae).toBe(r.trainAccuracy);
  });

  it('a new model learns with online model selection (auto) by default, and it learns', async () => {
    const r = await trainBase({ model: 'a', store, events: events(300, false), backend: 'test', epochs: 10 });
    expect(r.meta.className).toBe('AutoLearner');
    expect(r.meta.regime).toBe('auto-batch');
    expect(r.trainAccuracy).toBeGreaterThan(0.85);
    const candidates = (r.meta.config as { candidates: { name: string }[] }).candidates.map((c) => c.name);
    expect(candidates).toEqual(['linear', 'mlp', 'linear-slow', 'knn', 'knn-manhattan', 'naive-bayes', 'hoeffding-tree', 'forest']);
    const some = await trainBase({ model: 'a2', store, events: events(100, false), backend: 'test', epochs: 2, auto: { candidates: ['knn', 'naive-bayes'], margin: 0.05 } });
    const config = some.meta.config as { candidates: { name: string }[]; margin: number };
    expect(config.candidates.map((c) => c.name)).toEqual(['knn', 'naive-bayes']);
    expect(config.margin).toBe(0.05);
    await expect(trainBase({ model: 'a3', store, events: events(50, false), backend: 'test', epochs: 1, auto: { candidates: ['knn', 'svm'] } })).rejects.toThrow(/svm: not a candidate/);
  });

  it('builds the regime asked for: self-training learns the file\'s unlabelled events too', async () => {
    const evs = events(200, false).map((e, i) => (i % 2 ? { ...e, label: null } : e));
    const r = await trainBase({ model: 's', store, events: evs, backend: 'test', regime: 'self-training', epochs: 10, learningRate: 0.05 });
    expect(r.meta.className).toBe('SelfTrainingLearner');
    expect(r.meta.regime).toBe('self-training-batch');
  });
});
