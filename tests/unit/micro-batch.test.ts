import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { microBatch } from '../../src/ingest/micro-batch.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('microBatch', () => {
  it('emits full batches at once and partial ones after maxWaitMs', () => {
    scheduler().run(({ cold, expectObservable, time }) => {
      // a..d at frames 0-3, e at 24, complete at 125; the wait is 10 frames.
      const src = cold('abcd 20ms e 100ms |');
      const wait = time('----------|');
      expectObservable(src.pipe(microBatch(3, wait))).toBe('--x 10ms y 20ms z 90ms |', {
        x: ['a', 'b', 'c'],
        y: ['d'],
        z: ['e'],
      });
    });
  });

  it('flushes the last partial batch on completion and never emits empty arrays', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(microBatch(10, 1000))).toBe('--(x|)', { x: ['a', 'b'] });
      expectObservable(cold('---|').pipe(microBatch(10, 1))).toBe('---|');
    });
  });

  it('propagates errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a#').pipe(microBatch(10, 1000))).toBe('-#');
    });
  });
});
