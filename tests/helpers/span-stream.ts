import { seededRandom } from '../../src/core/index.js';
import type { Span } from '../../src/ingest/index.js';

const PEOPLE = ['Alice', 'Bob', 'Carmen', 'Deepak', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Keiko', 'Luca', 'Mina', 'Noah', 'Olga', 'Pavel'];
const PLACES = ['Paris', 'Berlin', 'Lagos', 'Osaka', 'Lima', 'Oslo', 'Quito', 'Dakar', 'Hanoi', 'Porto', 'Austin', 'Cairo', 'Seoul', 'Bergen', 'Tunis', 'Perth'];
/** Names and places only the held-out sentences use. */
const NEW_PEOPLE = ['Rosa', 'Tariq', 'Ulla', 'Viktor'];
const NEW_PLACES = ['Nairobi', 'Valencia', 'Kyoto', 'Tallinn'];
const TEMPLATES = [
  'the meeting in {LOC} with {PER}',
  '{PER} flew to {LOC} on monday',
  'we met {PER} and {PER} in {LOC}',
  'a call with {PER} about the office in {LOC}',
  'tomorrow {PER} visits {LOC} again',
  'is {PER} still living in {LOC} ?',
  'the report from {LOC} was written by {PER}',
  'lunch with {PER} , then a train to {LOC}',
];

export interface SpanExample {
  text: string;
  spans: Span[];
}

/**
 * Sentences of entity templates ("the meeting in Paris with Alice") with their
 * PER and LOC spans, seeded. `heldOut` draws some names and places the training
 * stream never has, so a tagger must read context and shape, not only words.
 */
export function spanStream(n: number, seed: number, heldOut = false): SpanExample[] {
  const rand = seededRandom(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  return Array.from({ length: n }, () => {
    let text = '';
    const spans: Span[] = [];
    for (const part of pick(TEMPLATES).split(/(\{PER\}|\{LOC\})/)) {
      if (part === '{PER}' || part === '{LOC}') {
        const label = part.slice(1, 4);
        const pool = label === 'PER' ? (heldOut && rand() < 0.5 ? NEW_PEOPLE : PEOPLE) : heldOut && rand() < 0.5 ? NEW_PLACES : PLACES;
        const word = pick(pool);
        spans.push({ start: text.length, end: text.length + word.length, label });
        text += word;
      } else text += part;
    }
    return { text, spans };
  });
}

/** A text as a `chars` model's input row. */
export function chars(text: string): number[] {
  return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
}
