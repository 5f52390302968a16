import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricDef } from './metric-catalogue.js';

/** The joiner's metrics (catalogue group `feedback`), in a registry of its own: the joiner is a process apart from the server. */
export interface FeedbackMetrics {
  registry: Registry;
  joined: Counter<'model'>;
  unmatched: Counter<'model'>;
  duplicates: Counter<'model'>;
  pending: Gauge;
  labelDelay: Histogram<'model'>;
  servedAccuracy: Gauge<'model' | 'version'>;
  servedMae: Gauge<'model' | 'version'>;
}

/**
 * Creates the `streamtune_feedback_*` metrics (and the process defaults) in a fresh registry.
 *
 * @example
 * const m = createFeedbackMetrics();
 * m.joined.inc({ model: 'digits' });
 */
export function createFeedbackMetrics(opts: { defaultMetrics?: boolean } = {}): FeedbackMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? false) collectDefaultMetrics({ register: registry });
  const spec = <T extends string>(name: string) => {
    const d = metricDef(name);
    return { name, help: d.help, labelNames: d.labels as T[], registers: [registry] };
  };
  return {
    registry,
    joined: new Counter(spec<'model'>('streamtune_feedback_joined_total')),
    unmatched: new Counter(spec<'model'>('streamtune_feedback_unmatched_total')),
    duplicates: new Counter(spec<'model'>('streamtune_feedback_duplicates_total')),
    pending: new Gauge(spec('streamtune_feedback_pending_labels')),
    labelDelay: new Histogram({ ...spec<'model'>('streamtune_feedback_label_delay_seconds'), buckets: [...(metricDef('streamtune_feedback_label_delay_seconds').buckets ?? [])] }),
    servedAccuracy: new Gauge(spec<'model' | 'version'>('streamtune_feedback_served_accuracy')),
    servedMae: new Gauge(spec<'model' | 'version'>('streamtune_feedback_served_mae')),
  };
}
