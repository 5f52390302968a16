/**
 * The event stream of the chaos benchmark: valid labelled digits with unique ids,
 * and bad events of 11 kinds, among them two adjacent 1,000,500-byte events and
 * two adjacent ~600 KB schema rejects (each alone fits the labels topic; two in
 * one request would not). Keys say what each event is: `g-<n>` valid, `x-<kind>-…` bad.
 */
import type { LabelEvent } from '../../src/ingest/index.js';

export interface ChaosEvent {
  key: string;
  value: Buffer;
  /** The reason the trainer must dead-letter it with; undefined for a valid event. */
  reason?: string;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const features = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 16);

/** Each kind makes one or two adjacent events (the id suffix `k` tells them apart). */
const BAD_KINDS: { kind: string; reason: string; count: number; make(id: string): Buffer }[] = [
  { kind: 'bad-json', reason: 'bad_json', count: 1, make: (id) => Buffer.from(`{"id":"${id}","input":`) },
  { kind: 'no-input', reason: 'schema', count: 1, make: (id) => json({ id, label: '1' }) },
  { kind: 'long-text', reason: 'schema', count: 2, make: (id) => json({ id, input: { text: 'a'.repeat(600_000) }, label: '1' }) },
  { kind: 'plus-inf', reason: 'non_finite', count: 1, make: (id) => Buffer.from(`{"id":"${id}","input":{"features":[${features(63).join(',')},1e999]},"label":"1"}`) },
  { kind: 'minus-inf', reason: 'non_finite', count: 1, make: (id) => Buffer.from(`{"id":"${id}","input":{"features":[-1e999,${features(63).join(',')}]},"label":"1"}`) },
  { kind: 'oversize', reason: 'too_large', count: 2, make: () => Buffer.alloc(1_000_500, 'x') },
  { kind: 'empty', reason: 'empty', count: 1, make: () => Buffer.alloc(0) },
  { kind: 'text', reason: 'wrong_kind', count: 1, make: (id) => json({ id, input: { text: 'a digit?' }, label: '1' }) },
  { kind: 'short', reason: 'wrong_dimension', count: 1, make: (id) => json({ id, input: { features: [1, 2, 3] }, label: '1' }) },
  { kind: 'label', reason: 'unknown_label', count: 1, make: (id) => json({ id, input: { features: features(64) }, label: 'eleven' }) },
  { kind: 'model', reason: 'unknown_model', count: 1, make: (id) => json({ id, model: 'another-model', input: { features: features(64) }, label: '1' }) },
];

export const BAD_KIND_COUNT = BAD_KINDS.length;

/**
 * `total` events: `rounds` rounds of every bad kind spread evenly over the
 * stream, valid digits (cycled from `digits`, with unique ids) everywhere else.
 * Events are made on demand, so a long stream costs no memory.
 */
export function chaosStream(total: number, digits: readonly LabelEvent[], rounds = 3): { at(i: number): ChaosEvent; bad: number } {
  const bad = new Map<number, ChaosEvent>();
  const perRound = BAD_KINDS.reduce((a, k) => a + k.count, 0);
  const slots = rounds * BAD_KINDS.length;
  let placed = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [j, k] of BAD_KINDS.entries()) {
      // Evenly spread, never in the first or last 2% (so learning runs around every one).
      const at = Math.floor(total * 0.02 + ((r * BAD_KINDS.length + j + 0.5) / slots) * total * 0.96);
      for (let c = 0; c < k.count; c++) {
        const id = `x-${k.kind}-${r}-${c}`;
        bad.set(at + c, { key: id, value: k.make(id), reason: k.reason });
      }
    }
    placed += perRound;
  }
  return {
    bad: placed,
    at(i: number): ChaosEvent {
      const b = bad.get(i);
      if (b) return b;
      const d = digits[i % digits.length]!;
      const id = `g-${i}`;
      return { key: id, value: json({ id, input: d.input, label: d.label, ts: Date.now() }) };
    },
  };
}
