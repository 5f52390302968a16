/** PromQL helpers, so every dashboard writes quantiles, "0 when nothing happened" and the model filter the same way. */
import { METRIC_CATALOGUE } from '../metric-catalogue.js';

/** `q`-quantile of a histogram over `range`, aggregated over everything but `by`. */
export const quantile = (q: number, metric: string, range = '1m', selector = '', by: string[] = []): string =>
  `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${metric}_bucket${selector}[${range}])))`;

/**
 * Counters with a series only once something happened (rollbacks, drops, errors
 * by one code) answer 0 instead of nothing, so a quiet system is not "No data".
 */
export const orZero = (expr: string): string => `(${expr}) or vector(0)`;

/** Metrics with a `model` label: the `$model` variable filters them. */
const PER_MODEL = new Set(METRIC_CATALOGUE.filter((m) => m.labels.includes('model')).map((m) => m.name));
const SELECTOR = /\b(streamtune_[a-z0-9_]+?)(_bucket|_sum|_count|_total)?\b(\{[^}]*\})?/g;

/**
 * Adds `model=~"$model"` to every selector of a per-model metric, so one
 * dashboard shows all models or the ones picked in its `model` variable.
 *
 * @example
 * forSelectedModels('rate(streamtune_predictions_total[1m])'); // rate(streamtune_predictions_total{model=~"$model"}[1m])
 */
export function forSelectedModels(expr: string): string {
  return expr.replace(SELECTOR, (whole, base: string, suffix: string | undefined, braces: string | undefined) => {
    const name = PER_MODEL.has(base + (suffix ?? '')) ? base + (suffix ?? '') : PER_MODEL.has(base) ? base : null;
    if (!name) return whole;
    const inner = braces ? braces.slice(1, -1).trim() : '';
    return `${base}${suffix ?? ''}{model=~"$model"${inner ? `, ${inner}` : ''}}`;
  });
}
