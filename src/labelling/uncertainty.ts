/** How uncertainty is measured: normalised entropy of the scores, or 1 − (top − second) margin. */
export type UncertaintyStrategy = 'entropy' | 'margin';

/**
 * Uncertainty of one classifier answer in [0, 1]: 1 is a coin toss, 0 certain.
 * Entropy is divided by log(k) so the scale does not depend on the class count.
 *
 * @example
 * uncertainty({ a: 0.5, b: 0.5 }, 'entropy'); // 1
 * uncertainty({ a: 0.9, b: 0.1 }, 'margin');  // 0.2
 */
export function uncertainty(scores: Record<string, number>, strategy: UncertaintyStrategy): number {
  const p = Object.values(scores);
  if (p.length < 2) return 0;
  if (strategy === 'entropy') return -p.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0) / Math.log(p.length);
  const [top, second] = [...p].sort((a, b) => b - a);
  return 1 - (top! - second!);
}
