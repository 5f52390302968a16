import { fnv1a } from './hash-text.js';

/** A token of a text and where it is: `[start, end)` in UTF-16 code units. */
export interface TextToken {
  text: string;
  start: number;
  end: number;
}

/**
 * Words (runs of Unicode letters, digits and marks) and single punctuation
 * characters, with their character offsets, so a tagger's answer maps back to
 * the text exactly.
 *
 * @example
 * textTokens('Alice, in Paris'); // [{ text: 'Alice', start: 0, end: 5 }, { text: ',', start: 5, end: 6 }, …]
 */
export function textTokens(text: string): TextToken[] {
  const out: TextToken[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu)) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** `Xxxx`-style shape of a word with repeats squeezed: `Paris` → `Xx`, `2026-12` → `d-d`. */
function shape(w: string): string {
  let out = '';
  for (const ch of w) {
    const c = /\p{Lu}/u.test(ch) ? 'X' : /\p{Ll}/u.test(ch) ? 'x' : /\p{N}/u.test(ch) ? 'd' : ch;
    if (!out.endsWith(c)) out += c;
  }
  return out;
}

/**
 * Hashed features of each token in its context (the hashing trick, as for
 * whole texts: no vocabulary to ship or grow): the word lower-cased, its shape,
 * prefixes and suffixes, its character trigrams, and the words and shapes of its
 * neighbours two either side. Each token gets the bucket indices (in
 * `[0, buckets)`) of its features, a bias bucket first.
 *
 * @example
 * tokenFeatures(textTokens('meet Alice'), 1 << 16); // [Int32Array [...], Int32Array [...]]
 */
export function tokenFeatures(tokens: readonly TextToken[], buckets: number): Int32Array[] {
  const words = tokens.map((t) => t.text.toLowerCase());
  const shapes = tokens.map((t) => shape(t.text));
  const at = (a: string[], i: number): string => (i < 0 ? '<s>' : i >= a.length ? '</s>' : a[i]!);
  return tokens.map((_, i) => {
    const w = words[i]!;
    const f: string[] = ['bias', `w=${w}`, `sh=${shapes[i]}`, `p1=${w.slice(0, 1)}`, `p2=${w.slice(0, 2)}`, `p3=${w.slice(0, 3)}`, `s2=${w.slice(-2)}`, `s3=${w.slice(-3)}`];
    const padded = `^${w}$`;
    for (let k = 0; k + 3 <= padded.length; k++) f.push(`c3=${padded.slice(k, k + 3)}`);
    for (const d of [-2, -1, 1, 2]) f.push(`w${d}=${at(words, i + d)}`, `sh${d}=${at(shapes, i + d)}`);
    f.push(`w-1w=${at(words, i - 1)}|${w}`, `ww+1=${w}|${at(words, i + 1)}`);
    if (i === 0) f.push('first');
    return Int32Array.from(f, (s) => fnv1a(s) % buckets);
  });
}
