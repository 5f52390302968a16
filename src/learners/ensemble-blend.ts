import type { RollingWindow } from '../core/index.js';
import { leadOver, type LeadRule } from './candidate-lead.js';
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

/**
 * The member the `auto` ensemble answers with instead of its blend, or −1 for
 * the blend: the best-scored member, while it leads the blend's own score
 * (kept on the same events, whether or not the blend served) by the rule that
 * hands over the lead between candidates ({@link leadOver}: the margin over
 * full windows, or a clear lead). A blend can trail its best member — weak
 * members outvoting it, or members confident in different ways — and then the
 * ensemble answers as that member does. A lead within noise keeps the blend:
 * following whichever member is ahead by chance measured worse than the blend.
 *
 * @example
 * memberToFollow([knnHits, mlpHits], blendHits, { regression: false, margin: 0.02, clearLeadAfter: 30 }); // 0 while KNN leads the blend clearly
 */
export function memberToFollow(members: readonly RollingWindow[], blend: RollingWindow, rule: LeadRule): number {
  let best = -1;
  members.forEach((w, i) => {
    if (w.length && (best < 0 || (rule.regression ? w.mean < members[best]!.mean : w.mean > members[best]!.mean))) best = i;
  });
  return best >= 0 && blend.length && leadOver(members[best]!, blend, rule) > 0 ? best : -1;
}
