import { afterEach, describe, expect, it, vi } from 'vitest';
import { OperatorLog } from '../../src/app/operator-log.js';
import { Logger } from '../../src/core/index.js';
import type { TrainerStats } from '../../src/training/trainer-stats.js';

const stats = (rejected: Record<string, number>): TrainerStats => ({
  model: 'm', topic: 't', consumed: 1, rejected, learned: 0, duplicates: 0, skipped: 0, steps: 1, drifts: 0, loss: null, accuracy: null, accuracyFaded: null,
});

describe('OperatorLog dead-letter summary', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const collect = (): { lines: string[]; ops: OperatorLog } => {
    const lines: string[] = [];
    const log = new Logger({ format: 'json', sink: (l) => lines.push((JSON.parse(l) as { msg: string }).msg) });
    return { lines, ops: new OperatorLog(log, { dlqBurstWindowMs: 10_000 }) };
  };

  it('a burst of 5 is logged within its window, the last ones when the window ends without waiting for more', () => {
    vi.useFakeTimers();
    const { lines, ops } = collect();
    for (let i = 0; i < 5; i++) {
      ops.stats(stats({ schema: 1 }), 'v1');
      vi.advanceTimersByTime(100);
    }
    expect(lines).toEqual(['dead-lettered 1 events (schema: 1)']);
    vi.advanceTimersByTime(9_600); // 10 s after the first line
    expect(lines).toEqual(['dead-lettered 1 events (schema: 1)', 'dead-lettered 4 events (schema: 4)']);
    // Quiet afterwards: nothing pending, no more lines; the next dead letter after the window is logged at once.
    vi.advanceTimersByTime(60_000);
    ops.stats(stats({ bad_json: 2 }), 'v1');
    expect(lines.at(-1)).toBe('dead-lettered 2 events (bad_json: 2)');
    expect(lines).toHaveLength(3);
  });

  it('close() logs what is pending and stops the timer', () => {
    vi.useFakeTimers();
    const { lines, ops } = collect();
    ops.stats(stats({ schema: 1 }), 'v1');
    ops.stats(stats({ wrong_dimension: 2 }), 'v1');
    ops.close();
    expect(lines).toEqual(['dead-lettered 1 events (schema: 1)', 'dead-lettered 2 events (wrong_dimension: 2)']);
    vi.advanceTimersByTime(20_000);
    expect(lines).toHaveLength(2);
  });
});
