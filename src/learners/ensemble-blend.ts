import type { Prediction } from './learner.js';

/**
 * The `auto` ensemble's answers: the candidates' class scores (or values)
 * averaged with weights that grow steeply with each candidate's recent score
 * (e^(−40·gap) in accuracy, e^(−10·relative gap) in MAE; 1 for a candidate not
 * scored yet), so it follows the best candidate closely and hedges between
 * near-equals. A regressor's non-finite values are left out.
 *
 * @example
 * blendAnswers([knnAnswers, mlpAnswers], [0.93, 0.90], ['a', 'b'], false); // KNN weighs e^(40·0.03) ≈ 3.3 times more
 */
export function blendAnswers(each: readonly Prediction[][], scored: readonly (number | null)[], labels: readonly string[], regression: boolean): Prediction[] {
  const known = scored.filter((s): s is number => s !== null);
  const best = known.length ? (regression ? Math.min(...known) : Math.max(...known)) : 0;
  const w = scored.map((s) => {
    if (s === null) return 1;
    return regression ? Math.exp((-10 * (s - best)) / Math.max(best, 1e-12)) : Math.exp(-40 * (best - s));
  });
  const total = w.reduce((a, b) => a + b, 0);
  return each[0]!.map((_, n) => {
    if (regression) {
      let v = 0;
      let wf = 0;
      each.forEach((ps, i) => {
        const p = ps[n]!.value!;
        if (Number.isFinite(p)) {
          v += w[i]! * p;
          wf += w[i]!;
        }
      });
      return { value: wf > 0 ? v / wf : Number.NaN };
    }
    const scores: Record<string, number> = {};
    for (const l of labels) scores[l] = 0;
    each.forEach((ps, i) => {
      const p = ps[n]!;
      if (p.scores) for (const [l, s] of Object.entries(p.scores)) scores[l] = (scores[l] ?? 0) + (w[i]! * s) / total;
      else if (p.label !== undefined) scores[p.label] = (scores[p.label] ?? 0) + w[i]! / total;
    });
    let label = labels[0]!;
    for (const l of labels) if (scores[l]! > scores[label]!) label = l;
    return { label, confidence: scores[label]!, scores };
  });
}
