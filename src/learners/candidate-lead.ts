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
 * How far a challenger is ahead of the incumbent — accuracy points, or the
 * share of the incumbent's MAE it saves — when that lead is enough to take
 * over, else 0. Enough means either: beyond the margin over full windows (the
 * rule before: short windows are noise); or a *clear* lead over the recent
 * stretch — the last third of the window, or all the events both have scored
 * when fewer, from `clearLeadAfter` events on — beyond the margin *and*
 * {@link CLEAR_LEAD_Z} standard errors of the paired per-event difference. The
 * second lets a new model follow a clear leader before its windows fill, and a
 * model after a drift follow the candidate that adapted, without waiting for
 * the old concept to leave the whole window. The two windows must have been
 * filled on the same events, newest last.
 *
 * @example
 * leadOver(knnHits, ensembleHits, { regression: false, margin: 0.02, clearLeadAfter: 30 }); // 0.06: KNN leads by 6 points
 */
export function leadOver(challenger: RollingWindow, incumbent: RollingWindow, rule: LeadRule): number {
  const n = Math.min(challenger.length, incumbent.length);
  if (challenger.full && incumbent.full) {
    const all = paired(challenger, incumbent, n, rule.regression);
    if (all.gap > rule.margin * all.scale) return all.gap / all.scale;
  }
  const m = Math.min(n, Math.max(rule.clearLeadAfter, Math.floor(challenger.size / 3)));
  if (m < Math.max(2, rule.clearLeadAfter)) return 0;
  const recent = paired(challenger, incumbent, m, rule.regression);
  return recent.gap > rule.margin * recent.scale && recent.gap > CLEAR_LEAD_Z * recent.standardError ? recent.gap / recent.scale : 0;
}

/**
 * The challenger's mean per-event advantage over the last `n` events (more hits,
 * or less error), its standard error, and the scale margins are taken in (1 for
 * accuracy, the incumbent's MAE for regression).
 */
function paired(a: RollingWindow, b: RollingWindow, n: number, regression: boolean): { gap: number; standardError: number; scale: number } {
  let sum = 0;
  let sumSq = 0;
  let base = 0;
  for (let k = 0; k < n; k++) {
    const x = a.at(a.length - n + k);
    const y = b.at(b.length - n + k);
    const d = regression ? y - x : x - y;
    sum += d;
    sumSq += d * d;
    base += y;
  }
  const gap = sum / n;
  const standardError = Math.sqrt(Math.max(0, sumSq / n - gap * gap) / (n - 1));
  return { gap, standardError, scale: regression ? Math.max(base / n, 1e-12) : 1 };
}
