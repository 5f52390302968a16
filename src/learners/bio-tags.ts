import type { TextToken } from '../features/index.js';
import type { Span } from '../ingest/index.js';
import type { PredictedSpan } from './learner.js';

/**
 * BIO tags over tokens: tag 0 is `O` (outside), tag `1 + 2c` is `B-label[c]`
 * (a span begins) and `2 + 2c` is `I-label[c]` (it goes on).
 *
 * @example
 * bioTagNames(['PER']); // ['O', 'B-PER', 'I-PER']
 */
export function bioTagNames(labels: readonly string[]): string[] {
  return ['O', ...labels.flatMap((l) => [`B-${l}`, `I-${l}`])];
}

/**
 * Whether tag `to` may follow tag `from` (-1: the sentence start): an `I-x`
 * only continues a `B-x` or an `I-x`.
 */
export function bioAllowed(from: number, to: number): boolean {
  if (to === 0 || to % 2 === 1) return true;
  return from > 0 && Math.ceil(from / 2) === to / 2;
}

/**
 * The tag of each token under `spans`: a token whose first character lies
 * inside a span takes its label (`B-` on the span's first such token).
 * Spans not covering any token's start are lost (they cut a word).
 */
export function spansToTags(tokens: readonly TextToken[], spans: readonly Span[], labels: readonly string[]): number[] {
  const tags = new Array<number>(tokens.length).fill(0);
  for (const s of spans) {
    const c = labels.indexOf(s.label);
    if (c < 0) continue;
    let first = true;
    tokens.forEach((t, i) => {
      if (t.start >= s.start && t.start < s.end) {
        tags[i] = first ? 1 + 2 * c : 2 + 2 * c;
        first = false;
      }
    });
  }
  return tags;
}

/** Spans from tags: from a `B-x` (or a stray `I-x`) through the `I-x` after it, offsets from the tokens. */
export function tagsToSpans(tokens: readonly TextToken[], tags: readonly number[], labels: readonly string[], text: string): PredictedSpan[] {
  const out: PredictedSpan[] = [];
  let open: { c: number; start: number; end: number } | null = null;
  const close = (): void => {
    if (open) out.push({ start: open.start, end: open.end, label: labels[open.c]!, text: text.slice(open.start, open.end) });
    open = null;
  };
  tags.forEach((tag, i) => {
    const t = tokens[i]!;
    if (tag === 0) return close();
    const c = Math.ceil(tag / 2) - 1;
    if (tag % 2 === 1 || !open || open.c !== c) {
      close();
      open = { c, start: t.start, end: t.end };
    } else open.end = t.end;
  });
  close();
  return out;
}
