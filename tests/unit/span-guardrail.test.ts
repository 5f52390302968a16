import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrequentialSpanF1, ScoreWindow, entityCounts, targetScore } from '../../src/evaluation/index.js';
import { spansTarget } from '../../src/ingest/index.js';
import { SpanTagger, trainBatch } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { PromotionGuardrail } from '../../src/training/index.js';
import { chars, spanStream } from '../helpers/span-stream.js';

const tagger = (): SpanTagger => new SpanTagger({ featureSpec: { kind: 'chars', dim: 1000 }, labels: ['PER', 'LOC'], buckets: 4096 });
const examples = (n: number, seed: number) => spanStream(n, seed).map((e) => ({ x: chars(e.text), y: spansTarget(e.spans) }));

describe('entity F1 and the guardrail of span models', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-span-guard-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('counts exact matches of start, end and label; a window scores F1 over its texts', () => {
    const gold = [{ start: 0, end: 5, label: 'PER' }, { start: 9, end: 14, label: 'LOC' }];
    expect(entityCounts(gold, [{ start: 0, end: 5, label: 'PER' }, { start: 9, end: 13, label: 'LOC' }])).toEqual({ tp: 1, fp: 1, fn: 1 });
    const f1 = new PrequentialSpanF1(2);
    f1.update({ tp: 0, fp: 3, fn: 3 });
    f1.update({ tp: 1, fp: 1, fn: 1 });
    f1.update({ tp: 2, fp: 0, fn: 0 });
    expect(f1.value).toBeCloseTo((2 * 3) / (2 * 3 + 2), 10); // the first text left the window
    const w = new ScoreWindow(targetScore('spans'), 3);
    w.push(targetScore('spans').counts(spansTarget(gold), spansTarget(gold.slice(0, 1))));
    expect(w.mean).toBeCloseTo(2 / 3, 10);
  });

  it('holds back a candidate worse by entity F1 than the serving version, and promotes one that is not', async () => {
    const store = new VersionStore(dir);
    const trained = tagger();
    await trainBatch(trained, examples(300, 1), { epochs: 1 });
    await store.save('ner', trained, { parent: null, regime: 'test', backend: 'cpu', examplesSeen: 300, metrics: {}, offsets: {} });
    const guard = new PromotionGuardrail(store, 'ner', { minEvents: 50 });
    await guard.init();
    const fresh = examples(60, 9);
    const untrained = tagger();
    guard.observe(fresh.map((e) => e.x), fresh.map((e) => e.y), untrained.predict(fresh.map((e) => e.x)).map((p) => spansTarget(p.spans!)));
    const worse = guard.decide(untrained, null);
    expect(worse.promoted).toBe(false);
    expect(worse.reason).toMatch(/^entity F1 0\.000 is more than 0\.02 below the serving version's (0\.9\d\d|1\.000) on the same 60 events$/);
    guard.observe(fresh.map((e) => e.x), fresh.map((e) => e.y), trained.predict(fresh.map((e) => e.x)).map((p) => spansTarget(p.spans!)));
    // 120 events compared now: the untrained half drags the candidate down, so compare a fresh window.
    const again = new PromotionGuardrail(store, 'ner', { minEvents: 50 });
    await again.init();
    again.observe(fresh.map((e) => e.x), fresh.map((e) => e.y), trained.predict(fresh.map((e) => e.x)).map((p) => spansTarget(p.spans!)));
    expect(again.decide(trained, null)).toMatchObject({ promoted: true, mode: 'prequential' });
    for (const l of [trained, untrained]) l.dispose();
    guard.dispose();
    again.dispose();
  });
});
