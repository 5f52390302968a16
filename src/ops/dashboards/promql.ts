/** PromQL helpers, so every dashboard writes quantiles and "0 when nothing happened" the same way. */

/** `q`-quantile of a histogram over `range`, aggregated over everything but `by`. */
export const quantile = (q: number, metric: string, range = '1m', selector = '', by: string[] = []): string =>
  `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${metric}_bucket${selector}[${range}])))`;

/**
 * Counters with a series only once something happened (rollbacks, drops, errors
 * by one code) answer 0 instead of nothing, so a quiet system is not "No data".
 */
export const orZero = (expr: string): string => `(${expr}) or vector(0)`;
