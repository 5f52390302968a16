import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/progress-reporter.js';

const stream = (isTTY: boolean): { isTTY: boolean; out: string; write(c: string): void } => ({
  isTTY,
  out: '',
  write(c: string) {
    this.out += c;
  },
});

describe('progressReporter', () => {
  it('redraws a bar in place on a terminal and ends its line', () => {
    const s = stream(true);
    const p = progressReporter({ stream: s });
    p.update(1, 4, 'epoch 1/4');
    p.update(4, 4, 'epoch 4/4');
    p.end();
    expect(s.out).toBe('\r[######..................] epoch 1/4\r[########################] epoch 4/4\n');
  });

  it('writes plain lines elsewhere: the first, at most one per interval, and the last', () => {
    const s = stream(false);
    let now = 0;
    const p = progressReporter({ stream: s, intervalMs: 5000, now: () => now });
    for (let e = 1; e <= 10; e++) {
      now = e * 1000;
      p.update(e, 10, `epoch ${e}/10`);
    }
    p.end();
    expect(s.out).toBe('epoch 1/10\nepoch 6/10\nepoch 10/10\n');
    expect(s.out).not.toContain('\r');
  });

  it('prints the last update held back when the work stops early (early stopping)', () => {
    const s = stream(false);
    let now = 0;
    const p = progressReporter({ stream: s, intervalMs: 5000, now: () => now });
    p.update(1, 30, 'epoch 1/30');
    now = 100;
    p.update(2, 30, 'epoch 2/30');
    p.end();
    expect(s.out).toBe('epoch 1/30\nepoch 2/30\n');
  });
});
