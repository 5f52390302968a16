/**
 * The best tag sequence under per-token scores and tag-to-tag transition scores
 * (Viterbi, O(n·T²)). `emit[i * T + t]` scores tag t at token i, `trans[(from + 1) * T + to]`
 * scores a transition (row 0: from the sentence start); `allowed(from, to)` rules
 * transitions out (from = -1 at the start).
 *
 * @example
 * viterbi(new Float64Array([1, 0, 0, 1]), new Float64Array(6), 2, () => true); // [0, 1]
 */
export function viterbi(emit: Float64Array, trans: ArrayLike<number>, T: number, allowed: (from: number, to: number) => boolean): number[] {
  const n = emit.length / T;
  if (n === 0) return [];
  const score = new Float64Array(n * T);
  const back = new Int32Array(n * T);
  for (let t = 0; t < T; t++) score[t] = allowed(-1, t) ? emit[t]! + trans[t]! : Number.NEGATIVE_INFINITY;
  for (let i = 1; i < n; i++) {
    for (let t = 0; t < T; t++) {
      let best = Number.NEGATIVE_INFINITY;
      let arg = 0;
      for (let f = 0; f < T; f++) {
        if (!allowed(f, t)) continue;
        const s = score[(i - 1) * T + f]! + trans[(f + 1) * T + t]!;
        if (s > best) {
          best = s;
          arg = f;
        }
      }
      score[i * T + t] = best + emit[i * T + t]!;
      back[i * T + t] = arg;
    }
  }
  let last = 0;
  for (let t = 1; t < T; t++) if (score[(n - 1) * T + t]! > score[(n - 1) * T + last]!) last = t;
  const path = new Array<number>(n);
  path[n - 1] = last;
  for (let i = n - 1; i > 0; i--) path[i - 1] = back[i * T + path[i]!]!;
  return path;
}
