import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Metrics of the learning regimes (issue 5), kept apart from the main catalogue
 * in metrics.ts: created once per registry, on first use.
 */
export interface RegimeMetrics {
  /** Prequential mean absolute error of regression models. */
  onlineMae: Gauge<'model'>;
  /** Unlabelled events pseudo-labelled and learned (self-training, co-training). */
  pseudoLabels: Counter<'model'>;
  /** Share of pseudo-labels confirmed by the true labels that arrived later. */
  pseudoLabelAccuracy: Gauge<'model'>;
}

const byRegistry = new WeakMap<Registry, RegimeMetrics>();

/** The regime metrics of a registry (created on first call). */
export function regimeMetrics(registry: Registry): RegimeMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    const registers = [registry];
    m = {
      onlineMae: new Gauge({ name: 'streamtune_online_mae', help: 'Prequential mean absolute error over the window (regression models)', labelNames: ['model'], registers }),
      pseudoLabels: new Counter({ name: 'streamtune_pseudo_labels_total', help: 'Unlabelled events pseudo-labelled and learned', labelNames: ['model'], registers }),
      pseudoLabelAccuracy: new Gauge({
        name: 'streamtune_pseudo_label_accuracy',
        help: 'Share of pseudo-labels confirmed by true labels that arrived later for the same event ids',
        labelNames: ['model'],
        registers,
      }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
