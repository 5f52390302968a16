import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainingConfig, seededRandom } from '../../src/core/index.js';
import type { RawRecord } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { decodeRecord } from '../../src/features/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { OnlineTrainer } from '../../src/training/online-trainer.js';
import { PageHinkley } from '../../src/evaluation/page-hinkley.js';
import { useTestBackend } from '../helpers/test-backend.js';

describe('PageHinkley', () => {
  it('stays quiet on a stationary error rate and fires soon after it jumps', () => {
    const rand = seededRandom(5);
    const ph = new PageHinkley({ threshold: 10 });
    let alarmsBefore = 0;
    for (let i = 0; i < 2000; i++) if (ph.update(rand() < 0.1 ? 1 : 0)) alarmsBefore++;
    expect(alarmsBefore).toBe(0);
    let delay = -1;
    for (let i = 0; i < 500 && delay < 0; i++) if (ph.update(rand() < 0.6 ? 1 : 0)) delay = i;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThan(100);
  });
});

describe('online learning through an abrupt concept change', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('detects the drift within a bounded number of events, boosts the learning rate, and accuracy recovers', async () => {
    const store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-drift-')));
    const learner = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8], learningRate: 0.01 });
    const rand = seededRandom(9);
    const CHANGE = 1500;
    const record = (i: number): RawRecord => {
      const x = [rand() * 2 - 1, rand() * 2 - 1];
      // The concept flips at CHANGE: what was "a" is now "b".
      const a = x[0]! + x[1]! > 0;
      const label = (i < CHANGE ? a : !a) ? 'a' : 'b';
      return { topic: 't', partition: 0, offset: String(i), key: null, value: Buffer.from(JSON.stringify({ id: `d${i}`, input: { features: x }, label })), timestamp: '0' };
    };
    const lrs: number[] = [];
    const trainer = new OnlineTrainer({
      model: 'm',
      learner,
      store,
      parent: null,
      backend: 'test',
      topic: 't',
      training: trainingConfig({ accuracyWindow: 200, versionEverySteps: 1_000_000, replayCapacity: 0, driftReaction: 'boost-lr', driftBoostFactor: 3, driftBoostSteps: 30 }),
      deadLetters: { send: async () => undefined },
      ack: () => undefined,
      commit: async () => undefined,
      onStats: (s) => {
        if (s.drifts > 0) lrs.push(learner.learningRate);
      },
    });
    let detectedAt = -1;
    let beforeChange = 0;
    for (let i = 0; i < 3000; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => decodeRecord(record(i + k), { featureSpec: learner.featureSpec, labels: learner.labels }));
      const drifts = trainer.totals.drifts;
      await trainer.step(batch);
      if (i + 10 === CHANGE) beforeChange = trainer.accuracy.value;
      if (i >= CHANGE && detectedAt < 0 && trainer.totals.drifts > drifts) detectedAt = i + 10 - CHANGE;
    }
    expect(beforeChange).toBeGreaterThan(0.9);
    expect(detectedAt).toBeGreaterThan(0);
    expect(detectedAt).toBeLessThanOrEqual(150);
    expect(lrs[0]).toBeCloseTo(0.03, 6); // boosted 3× on detection
    expect(learner.learningRate).toBeCloseTo(0.01, 6); // and back to base after the boost
    expect(trainer.accuracy.value).toBeGreaterThan(0.85); // the new concept is learned
    console.log(JSON.stringify({ driftDetectionDelayEvents: detectedAt, accuracyBeforeChange: beforeChange, accuracyAtEnd: trainer.accuracy.value }));
    learner.dispose();
  });
});
