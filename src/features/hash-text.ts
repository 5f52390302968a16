/** Lower-cased word and number tokens of a text (Unicode letters and digits). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** 32-bit FNV-1a hash: stable across runs and machines, so saved models featurize alike. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Character n-gram lengths, shortest and longest (both included), e.g. `[3, 5]`. */
export type CharNgrams = readonly [number, number];

/**
 * Hashing-trick bag of words: words (and with `ngrams` 2, word pairs; with
 * `chars`, the character n-grams of each word padded with a space at both ends,
 * as scikit-learn's `char_wb`) into `dim` buckets, log-scaled counts,
 * L2-normalized. No vocabulary to ship or to grow while the stream runs. Word
 * pairs and character n-grams multiply the distinct terms several times over,
 * so in a few thousand buckets they mostly add collisions: measured on the spam
 * stream at 4096 buckets, words alone scored best (docs/regimes.md, "Text features").
 *
 * @example
 * hashText('spam spam eggs', 1024); // length-1024 vector, unit norm
 * hashText('spam spam eggs', 1024, 1, [3, 5]); // words and their 3- to 5-character pieces
 */
export function hashText(text: string, dim: number, ngrams: 1 | 2 = 1, chars?: CharNgrams): number[] {
  const v = new Array<number>(dim).fill(0);
  const toks = tokenize(text);
  const add = (t: string): void => {
    const h = fnv1a(t);
    // The top bit picks a sign so collisions cancel out on average instead of piling up.
    v[h % dim]! += h & 0x80000000 ? -1 : 1;
  };
  for (let i = 0; i < toks.length; i++) {
    add(toks[i]!);
    if (ngrams === 2 && i > 0) add(`${toks[i - 1]!} ${toks[i]!}`);
    if (chars) addCharNgrams(toks[i]!, chars, add);
  }
  let norm = 0;
  for (let j = 0; j < dim; j++) {
    const x = v[j]!;
    v[j] = Math.sign(x) * Math.log1p(Math.abs(x));
    norm += v[j]! * v[j]!;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let j = 0; j < dim; j++) v[j]! /= norm;
  return v;
}

/**
 * The n-grams of ` word ` for n from `min` to `max`, each marked with a `#` (never
 * in a word token) so that a piece never hashes as the word it spells. A word
 * shorter than n gives its padded self once.
 */
function addCharNgrams(word: string, [min, max]: CharNgrams, add: (t: string) => void): void {
  const w = ` ${word} `;
  for (let n = min; n <= max; n++) {
    for (let i = 0; i === 0 || i + n <= w.length; i++) add(`#${w.slice(i, i + n)}`);
    if (w.length <= n) break;
  }
}
