import type { RollingWindow } from '../core/index.js';

/**
 * Standard errors of the paired difference by which a candidate must lead
 * before its window is full: above the usual 2, because the test is repeated
 * after every step and for every candidate.
 */
export const CLEAR_LEAD_Z = 3;

/** How {@link leadOver} judges a lead. */
export interface LeadRule {
  /** Scores are absolute errors (lower is better) rather than hits. */
  regression: boolean;
  /** Lead needed: accuracy points, or a share of the incumbent's MAE. */
  margin: number;
  /** Events both must have scored before a clear lead counts without full windows. */
  clearLeadAfter: number;
}

/**
 * How far a challenger is ahead of the incumbent on the events both have
 * scored — accuracy points, or the share of the incumbent's MAE it saves —
 * when that lead is enough to take over, else 0. Enough means: beyond the
 * margin over full windows (short windows are noise), or, from
 * `clearLeadAfter` events on, beyond the margin *and* {@link CLEAR_LEAD_Z}
 * standard errors of the paired per-event difference (a clear lead). The two
 * windows must have been filled on the same events, newest last.
 *
 * @example
 * leadOver(knnHits, ensembleHits, { regression: false, margin: 0.02, clearLeadAfter: 30 }); // 0.06: KNN leads by 6 points
 */
export function leadOver(challenger: RollingWindow, incumbent: RollingWindow, rule: LeadRule): number {
  const a = challenger;
  const b = incumbent;
  const n = Math.min(a.length, b.length);
  const full = a.full && b.full;
  if (n < 2 || (!full && n < rule.clearLeadAfter)) return 0;
  let sum = 0;
  let sumSq = 0;
  let base = 0;
  for (let k = 0; k < n; k++) {
    const x = a.at(a.length - n + k);
    const y = b.at(b.length - n + k);
    // The challenger's advantage on one event: more hits, or less error.
    const d = rule.regression ? y - x : x - y;
    sum += d;
    sumSq += d * d;
    base += y;
  }
  const gap = sum / n;
  const margin = rule.regression ? (rule.margin * base) / n : rule.margin;
  if (!(gap > margin)) return 0;
  if (!full) {
    const se = Math.sqrt(Math.max(0, sumSq / n - gap * gap) / (n - 1));
    if (!(gap > CLEAR_LEAD_Z * se)) return 0;
  }
  return rule.regression ? gap / Math.max(base / n, 1e-12) : gap;
}
