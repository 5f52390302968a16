import { describe, expect, expectTypeOf, it } from 'vitest';
import { TypedEmitter } from '../../src/core/index.js';

interface ClockEvents {
  tick: (at: number, label: string) => void;
  stop: () => void;
}

describe('TypedEmitter', () => {
  it('delivers payloads to on/once listeners, and off removes them', () => {
    const clock = new TypedEmitter<ClockEvents>();
    const ticks: string[] = [];
    const onTick: ClockEvents['tick'] = (at, label) => ticks.push(`${label}@${at}`);
    let stops = 0;
    clock.on('tick', onTick);
    clock.once('stop', () => stops++);
    expect(clock.emit('tick', 1, 'a')).toBe(true);
    clock.emit('stop');
    clock.emit('stop');
    clock.off('tick', onTick);
    expect(clock.emit('tick', 2, 'b')).toBe(false);
    expect(ticks).toEqual(['a@1']);
    expect(stops).toBe(1);
  });

  it('infers listener payloads and rejects unknown events and wrong payloads (checked by tsc)', () => {
    const clock = new TypedEmitter<ClockEvents>();
    clock.on('tick', (at, label) => {
      expectTypeOf(at).toEqualTypeOf<number>();
      expectTypeOf(label).toEqualTypeOf<string>();
    });
    // @ts-expect-error: no such event
    clock.on('tock', () => undefined);
    // @ts-expect-error: tick's payload is (number, string)
    clock.emit('tick', 'soon');
    // @ts-expect-error: a listener that expects another payload
    clock.on('stop', (reason: string) => reason);
    expect(clock.listenerCount('tick')).toBe(1);
  });
});
