import { describe, expect, it } from 'vitest';
import { float32Json, InferenceStatistics } from '../../src/serving/index.js';

const req = (version: string, o: { rows?: number; batchRows?: number; leadsBatch?: boolean } = {}) => ({
  model: 'm',
  version,
  rows: o.rows ?? 1,
  totalSeconds: 0.003,
  queueSeconds: 0.001,
  inputSeconds: 0.0005,
  computeSeconds: 0.002,
  batchRows: o.batchRows ?? 1,
  leadsBatch: o.leadsBatch ?? true,
});

describe('InferenceStatistics', () => {
  it('counts rows per request and a forward pass once per batch, by batch size', () => {
    const stats = new InferenceStatistics(() => 1234);
    stats.answered(req('v1', { rows: 2, batchRows: 3, leadsBatch: true }));
    stats.answered(req('v1', { rows: 1, batchRows: 3, leadsBatch: false }));
    stats.answered(req('v1', { rows: 1, batchRows: 1 }));
    stats.failed('m', 'v1', 0.001);
    const [s] = stats.of('m', ['v1']);
    expect(s).toMatchObject({ name: 'm', version: 'v1', inferenceCount: 4, executionCount: 2, lastInference: 1234 });
    expect(s!.inferenceStats.success).toEqual({ count: 3, ns: 9_000_000 });
    expect(s!.inferenceStats.fail).toEqual({ count: 1, ns: 1_000_000 });
    expect(s!.batchStats.map((b) => [b.batchSize, b.computeInfer.count])).toEqual([
      [1, 1],
      [3, 1],
    ]);
    expect(stats.of('m', ['v9'])[0]).toMatchObject({ version: 'v9', inferenceCount: 0, executionCount: 0 });
  });

  it('keeps the newest 100 versions of a model', () => {
    const stats = new InferenceStatistics();
    for (let v = 1; v <= 150; v++) stats.answered(req(`v${v}`));
    expect(stats.of('m', ['v50'])[0]!.inferenceCount).toBe(0);
    expect(stats.of('m', ['v51', 'v150']).map((s) => s.inferenceCount)).toEqual([1, 1]);
  });
});

describe('float32Json', () => {
  it('writes the fewest digits that read back as the same float32', () => {
    expect([0.1, 1 / 3, 0.5, 0, 1e-7, 123456789].map(float32Json)).toEqual([0.1, 0.33333334, 0.5, 0, 1e-7, 123456790]);
    for (const x of [Math.PI, 2 / 3, 0.987654321, 3.3118238e-6]) expect(Math.fround(float32Json(x))).toBe(Math.fround(x));
  });
});
