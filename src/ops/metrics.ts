import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRIC_CATALOGUE, metricDef, type KnownLabelSource } from './metric-catalogue.js';

/** prom-client default gauges named like counters (`promtool check metrics` exits 3 on them). */
const MISNAMED_DEFAULTS = ['nodejs_active_resources_total', 'nodejs_active_handles_total', 'nodejs_active_requests_total'];

/**
 * streamtune's Prometheus metrics, all in one registry per process, built from
 * {@link METRIC_CATALOGUE} (names, help, labels and buckets live there). Names
 * follow Prometheus conventions (base units, `_total` counters); label values are
 * bounded (methods, codes, reasons, model names, versions kept in memory, partitions).
 */
export interface Metrics {
  registry: Registry;
  predictions: Counter<'model'>;
  /** Active learning: label requests by outcome (published, lost). */
  labelRequests: Counter<'outcome'>;
  predictRequests: Counter<'method' | 'code'>;
  predictLatency: Histogram<'method'>;
  modelPredictSeconds: Histogram<'model'>;
  eventsConsumed: Counter<'topic'>;
  eventsRejected: Counter<'reason'>;
  dlqMessages: Counter<'topic'>;
  trainExamples: Counter<'model'>;
  trainSteps: Counter<'model'>;
  trainStepDuration: Histogram<'model'>;
  trainLoss: Gauge<'model'>;
  onlineAccuracy: Gauge<'model'>;
  versionsCreated: Counter<'model'>;
  modelSwaps: Counter<'model' | 'result'>;
  swapDuration: Histogram<'model'>;
  promotions: Counter<'model'>;
  lastSwapTimestamp: Gauge<'model'>;
  modelInfo: Gauge<'model' | 'version' | 'backend'>;
  backendInfo: Gauge<'role' | 'backend'>;
  trainerRestarts: Counter;
  trainerUp: Gauge<'model'>;
  consumerLag: Gauge<'topic' | 'partition'>;
  eventsDuplicate: Counter<'model'>;
  eventsSkipped: Counter<'model'>;
  driftsDetected: Counter<'model'>;
  onlineAccuracyFaded: Gauge<'model'>;
  onlineSpanF1: Gauge<'model'>;
  onlineBoxMap: Gauge<'model'>;
  onlinePck: Gauge<'model'>;
  onlineMae: Gauge<'model'>;
  pseudoLabels: Counter<'model'>;
  pseudoLabelAccuracy: Gauge<'model'>;
  candidateScore: Gauge<'model' | 'candidate'>;
  candidateServing: Gauge<'model' | 'candidate'>;
  freshness: Histogram<'model'>;
  freshnessStage: Histogram<'stage'>;
  versionsLoaded: Gauge<'model'>;
  predictQueueSeconds: Histogram<'method'>;
  predictComputeSeconds: Histogram;
  predictBatchSize: Histogram;
  predictInflight: Gauge<'method'>;
  predictDropped: Counter<'reason'>;
  guardrailRejections: Counter<'model'>;
  rollbacks: Counter<'model' | 'trigger'>;
  /** Operator pins and unpins (not counted as swaps). */
  pins: Counter<'model' | 'action'>;
  /** The prediction log: predictions logged, dropped (buffer full) and failed (broker). */
  predictionLog: Counter<'outcome'>;
  tfjsTensors: Gauge;
}

export interface CreateMetricsOptions {
  /** prom-client's process_* and nodejs_* metrics. @defaultValue true */
  defaultMetrics?: boolean;
  /** Live tensor count, read at each scrape (e.g. `() => tf.memory().numTensors`). */
  tensorCount?: () => number;
}

/** Creates the metrics in a fresh registry (one per server, so tests can run several). */
export function createMetrics(opts: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  const spec = <T extends string>(name: string) => {
    const d = metricDef(name);
    return { name, help: d.help, labelNames: d.labels as T[], registers };
  };
  const counter = <T extends string = never>(name: string) => new Counter<T>(spec<T>(name));
  const gauge = <T extends string = never>(name: string) => new Gauge<T>(spec<T>(name));
  const histogram = <T extends string = never>(name: string) => new Histogram<T>({ ...spec<T>(name), buckets: [...(metricDef(name).buckets ?? [])] });
  const tensorCount = opts.tensorCount;
  return {
    registry,
    predictions: counter('streamtune_predictions_total'),
    labelRequests: counter('streamtune_label_requests_total'),
    predictRequests: counter('streamtune_predict_requests_total'),
    predictLatency: histogram('streamtune_predict_latency_seconds'),
    modelPredictSeconds: histogram('streamtune_model_predict_seconds'),
    eventsConsumed: counter('streamtune_events_consumed_total'),
    eventsRejected: counter('streamtune_events_rejected_total'),
    dlqMessages: counter('streamtune_dlq_messages_total'),
    trainExamples: counter('streamtune_train_examples_total'),
    trainSteps: counter('streamtune_train_steps_total'),
    trainStepDuration: histogram('streamtune_train_step_duration_seconds'),
    trainLoss: gauge('streamtune_train_loss'),
    onlineAccuracy: gauge('streamtune_online_accuracy'),
    versionsCreated: counter('streamtune_model_versions_total'),
    modelSwaps: counter('streamtune_model_swaps_total'),
    swapDuration: histogram('streamtune_model_swap_duration_seconds'),
    promotions: counter('streamtune_model_promotions_total'),
    lastSwapTimestamp: gauge('streamtune_model_last_swap_timestamp_seconds'),
    modelInfo: gauge('streamtune_model_info'),
    backendInfo: gauge('streamtune_backend_info'),
    trainerRestarts: counter('streamtune_trainer_restarts_total'),
    trainerUp: gauge('streamtune_trainer_up'),
    consumerLag: gauge('streamtune_consumer_lag_messages'),
    eventsDuplicate: counter('streamtune_events_duplicate_total'),
    eventsSkipped: counter('streamtune_events_skipped_total'),
    driftsDetected: counter('streamtune_drifts_total'),
    onlineAccuracyFaded: gauge('streamtune_online_accuracy_faded'),
    onlineSpanF1: gauge('streamtune_online_span_f1'),
    onlineBoxMap: gauge('streamtune_online_box_map'),
    onlinePck: gauge('streamtune_online_pck'),
    onlineMae: gauge('streamtune_online_mae'),
    pseudoLabels: counter('streamtune_pseudo_labels_total'),
    pseudoLabelAccuracy: gauge('streamtune_pseudo_label_accuracy'),
    candidateScore: gauge('streamtune_candidate_score'),
    candidateServing: gauge('streamtune_candidate_serving'),
    freshness: histogram('streamtune_freshness_seconds'),
    freshnessStage: histogram('streamtune_freshness_stage_seconds'),
    versionsLoaded: gauge('streamtune_model_versions_loaded'),
    // Queue and compute time apart, as Triton reports them: batching trades one for the other.
    predictQueueSeconds: histogram('streamtune_predict_queue_seconds'),
    predictComputeSeconds: histogram('streamtune_predict_compute_seconds'),
    predictBatchSize: histogram('streamtune_predict_batch_size'),
    predictInflight: gauge('streamtune_predict_inflight_requests'),
    predictDropped: counter('streamtune_predict_dropped_total'),
    guardrailRejections: counter('streamtune_guardrail_rejections_total'),
    rollbacks: counter('streamtune_rollbacks_total'),
    pins: counter('streamtune_model_pins_total'),
    predictionLog: counter('streamtune_prediction_log_records_total'),
    tfjsTensors: new Gauge({
      ...spec('streamtune_tfjs_tensors'),
      // Read at scrape time: a leak shows between two scrapes without any polling.
      collect() {
        if (tensorCount) this.set(tensorCount());
      },
    }),
  };
}

/**
 * Exports 0 for every series of every labelled counter whose label values are all
 * known here (fixed lists in the catalogue, plus `known`), so Prometheus sees each
 * series before its first event and `increase()` counts that event. Call it once
 * the values are known: the server with its model and topics, the gRPC server with
 * its methods and codes. Counters with a label not known here are left alone.
 *
 * @example
 * initCounters(metrics, { model: ['digits'], 'labels topic': ['streamtune.labels'] });
 */
export function initCounters(metrics: Metrics, known: Partial<Record<KnownLabelSource, readonly string[]>>): void {
  for (const def of METRIC_CATALOGUE) {
    if (def.type !== 'counter' || !def.values || def.labels.length === 0) continue;
    const lists = def.labels.map((l) => {
      const v = def.values![l];
      return typeof v === 'string' ? known[v] : v;
    });
    if (lists.some((l) => l === undefined)) continue;
    const counter = metrics.registry.getSingleMetric(def.name) as Counter<string> | undefined;
    if (!counter) continue;
    let combos: Record<string, string>[] = [{}];
    def.labels.forEach((label, i) => {
      combos = combos.flatMap((c) => lists[i]!.map((v) => ({ ...c, [label]: v })));
    });
    for (const labels of combos) counter.inc(labels, 0);
  }
}
