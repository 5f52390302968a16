import { describe, expect, it } from 'vitest';
import { RollingWindow } from '../../src/core/index.js';
import { PrequentialAccuracy, PrequentialError, PseudoLabelTracker } from '../../src/evaluation/index.js';

describe('RollingWindow', () => {
  it('keeps the mean of the last `size` values', () => {
    const w = new RollingWindow(3);
    expect(w.mean).toBeNaN();
    [1, 0, 1].forEach((v) => w.push(v));
    expect(w.mean).toBeCloseTo(2 / 3);
    expect(w.full).toBe(true);
    w.push(1); // the first 1 leaves
    expect(w.mean).toBeCloseTo(2 / 3);
    w.push(1);
    w.push(1);
    expect(w.mean).toBe(1);
    expect(w.length).toBe(3);
  });

  it('matches a plain recomputation over a long run', () => {
    const w = new RollingWindow(7);
    const all: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const v = Math.sin(i) * 1e3 + 0.1;
      w.push(v);
      all.push(v);
      const tail = all.slice(-7);
      expect(w.mean).toBeCloseTo(tail.reduce((a, b) => a + b, 0) / tail.length, 6);
    }
  });

  it('rejects a size below 1', () => {
    expect(() => new RollingWindow(0)).toThrow(/positive integer/);
  });
});

describe('prequential metrics share the window', () => {
  it('accuracy, MAE and pseudo-label accuracy are window means with totals beside', () => {
    const acc = new PrequentialAccuracy(2);
    [true, false, false].forEach((v) => acc.update(v));
    expect(acc.value).toBe(0);
    expect(acc.totalHits / acc.total).toBeCloseTo(1 / 3);
    const mae = new PrequentialError(2);
    mae.update(1, 0);
    mae.update(3, 0);
    mae.update(5, 0);
    expect(mae.value).toBe(4);
    expect(mae.totalError / mae.total).toBe(3);
    const t = new PseudoLabelTracker(10, 2);
    t.assigned([{ id: 'a', label: 'x' }, { id: 'b', label: 'x' }, { id: 'c', label: 'y' }]);
    t.truth('a', 'y');
    t.truth('b', 'x');
    t.truth('c', 'y');
    expect(t.accuracy).toBe(1);
    expect(t.correct / t.checked).toBeCloseTo(2 / 3);
  });
});
