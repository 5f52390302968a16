import { describe, expect, it } from 'vitest';
import { uncertainty, UncertaintySampler } from '../../src/labelling/index.js';

describe('uncertainty', () => {
  it('is 1 for a coin toss, near 0 for a sure answer, on both scales', () => {
    expect(uncertainty({ a: 0.5, b: 0.5 }, 'entropy')).toBeCloseTo(1);
    expect(uncertainty({ a: 1 / 3, b: 1 / 3, c: 1 / 3 }, 'entropy')).toBeCloseTo(1);
    expect(uncertainty({ a: 0.999, b: 0.001 }, 'entropy')).toBeLessThan(0.02);
    expect(uncertainty({ a: 0.9, b: 0.1 }, 'margin')).toBeCloseTo(0.2);
    expect(uncertainty({ a: 0.45, b: 0.4, c: 0.15 }, 'margin')).toBeCloseTo(0.95);
  });
});

describe('UncertaintySampler', () => {
  const unsure = { label: 'a', confidence: 0.55, scores: { a: 0.55, b: 0.45 } };
  const sure = { label: 'a', confidence: 0.99, scores: { a: 0.99, b: 0.01 } };

  it('requests uncertain predictions only, each input once, within the per-minute budget', () => {
    let now = 0;
    const s = new UncertaintySampler({ threshold: 0.8, budgetPerMinute: 2, now: () => now });
    expect(s.offer({ text: 'x' }, sure, 'm', 'v1')).toBeNull();
    const r = s.offer({ text: 'x' }, unsure, 'm', 'v1')!;
    expect(r).toMatchObject({ model: 'm', version: 'v1', input: { text: 'x' }, predicted: 'a', scores: unsure.scores });
    expect(r.id).toMatch(/^lr-[0-9a-f]{24}$/);
    expect(s.offer({ text: 'x' }, unsure, 'm', 'v2')).toBeNull(); // the same input again
    expect(s.offer({ text: 'y' }, unsure, 'm', 'v1')).not.toBeNull();
    expect(s.offer({ text: 'z' }, unsure, 'm', 'v1')).toBeNull(); // budget of 2 spent
    now = 60_001;
    expect(s.offer({ text: 'z' }, unsure, 'm', 'v1')).not.toBeNull(); // a new minute
  });
});
