import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * streamtune's Prometheus metrics, all in one registry per process. Names follow
 * Prometheus conventions (base units, `_total` counters); label values are bounded
 * (methods, codes, reasons, model names, versions kept in memory).
 */
export interface Metrics {
  registry: Registry;
  predictions: Counter<'model'>;
  predictRequests: Counter<'method' | 'code'>;
  predictLatency: Histogram<'method'>;
  eventsConsumed: Counter<'topic'>;
  eventsRejected: Counter<'reason'>;
  trainExamples: Counter<'model'>;
  trainSteps: Counter<'model'>;
  trainLoss: Gauge<'model'>;
  onlineAccuracy: Gauge<'model'>;
  versionsCreated: Counter<'model'>;
  modelSwaps: Counter<'model' | 'result'>;
  swapDuration: Histogram<'model'>;
  modelInfo: Gauge<'model' | 'version' | 'backend'>;
  backendInfo: Gauge<'role' | 'backend'>;
  trainerRestarts: Counter;
  eventsDuplicate: Counter<'model'>;
  eventsSkipped: Counter<'model'>;
  driftsDetected: Counter<'model'>;
  onlineAccuracyFaded: Gauge<'model'>;
  freshness: Histogram<'model'>;
  versionsLoaded: Gauge<'model'>;
  predictQueueSeconds: Histogram<'method'>;
  predictComputeSeconds: Histogram;
  predictBatchSize: Histogram;
  predictInflight: Gauge<'method'>;
  predictDropped: Counter<'reason'>;
  guardrailRejections: Counter<'model'>;
  rollbacks: Counter<'model' | 'trigger'>;
}

/** Creates the metrics in a fresh registry (one per server, so tests can run several). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    predictions: new Counter({ name: 'streamtune_predictions_total', help: 'Instances predicted', labelNames: ['model'], registers }),
    predictRequests: new Counter({
      name: 'streamtune_predict_requests_total',
      help: 'Prediction RPCs by method and gRPC status code',
      labelNames: ['method', 'code'],
      registers,
    }),
    predictLatency: new Histogram({
      name: 'streamtune_predict_latency_seconds',
      help: 'Time to answer a prediction RPC',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    eventsConsumed: new Counter({ name: 'streamtune_events_consumed_total', help: 'Label events read from Kafka', labelNames: ['topic'], registers }),
    eventsRejected: new Counter({
      name: 'streamtune_events_rejected_total',
      help: 'Label events sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers,
    }),
    trainExamples: new Counter({ name: 'streamtune_train_examples_total', help: 'Examples learned online', labelNames: ['model'], registers }),
    trainSteps: new Counter({ name: 'streamtune_train_steps_total', help: 'Online training steps', labelNames: ['model'], registers }),
    trainLoss: new Gauge({ name: 'streamtune_train_loss', help: 'Loss of the last online training step', labelNames: ['model'], registers }),
    onlineAccuracy: new Gauge({
      name: 'streamtune_online_accuracy',
      help: 'Prequential accuracy (predict, then learn) over the recent window of labelled events',
      labelNames: ['model'],
      registers,
    }),
    versionsCreated: new Counter({ name: 'streamtune_model_versions_total', help: 'Model versions saved by the trainer', labelNames: ['model'], registers }),
    modelSwaps: new Counter({
      name: 'streamtune_model_swaps_total',
      help: 'Hot-swaps of the serving model, by result (ok, failed)',
      labelNames: ['model', 'result'],
      registers,
    }),
    swapDuration: new Histogram({
      name: 'streamtune_model_swap_duration_seconds',
      help: 'Time to load, warm up and swap in a new version',
      labelNames: ['model'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'streamtune_model_info',
      help: 'The version being served (value 1) and the backend it runs on',
      labelNames: ['model', 'version', 'backend'],
      registers,
    }),
    backendInfo: new Gauge({
      name: 'streamtune_backend_info',
      help: 'TensorFlow.js backend in use (value 1) by role (serving, training)',
      labelNames: ['role', 'backend'],
      registers,
    }),
    trainerRestarts: new Counter({ name: 'streamtune_trainer_restarts_total', help: 'Times the trainer process died and was restarted', registers }),
    eventsDuplicate: new Counter({
      name: 'streamtune_events_duplicate_total',
      help: 'Events whose id was already learned within the dedupe window (not learned again)',
      labelNames: ['model'],
      registers,
    }),
    eventsSkipped: new Counter({
      name: 'streamtune_events_skipped_total',
      help: 'Records re-read after a restart or takeover that the restored checkpoint already includes',
      labelNames: ['model'],
      registers,
    }),
    driftsDetected: new Counter({ name: 'streamtune_drifts_total', help: 'Concept drifts detected on the prequential error', labelNames: ['model'], registers }),
    onlineAccuracyFaded: new Gauge({
      name: 'streamtune_online_accuracy_faded',
      help: 'Prequential accuracy with a fading factor (recent events weigh more)',
      labelNames: ['model'],
      registers,
    }),
    freshness: new Histogram({
      name: 'streamtune_freshness_seconds',
      help: 'Time from a label event (its timestamp) to the first served version that learned it',
      labelNames: ['model'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
      registers,
    }),
    versionsLoaded: new Gauge({
      name: 'streamtune_model_versions_loaded',
      help: 'Versions kept loaded and warm (requests may name any of them)',
      labelNames: ['model'],
      registers,
    }),
    // Queue and compute time apart, as Triton reports them: batching trades one for the other.
    predictQueueSeconds: new Histogram({
      name: 'streamtune_predict_queue_seconds',
      help: 'Time a prediction request waited in the dynamic batcher before its forward pass',
      labelNames: ['method'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    predictComputeSeconds: new Histogram({
      name: 'streamtune_predict_compute_seconds',
      help: 'Time of one forward pass (one batch)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    predictBatchSize: new Histogram({
      name: 'streamtune_predict_batch_size',
      help: 'Rows (instances) in one forward pass',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    }),
    predictInflight: new Gauge({ name: 'streamtune_predict_inflight_requests', help: 'RPCs being answered now', labelNames: ['method'], registers }),
    predictDropped: new Counter({
      name: 'streamtune_predict_dropped_total',
      help: 'Queued prediction requests dropped before their forward pass, by reason (deadline, cancelled)',
      labelNames: ['reason'],
      registers,
    }),
    guardrailRejections: new Counter({
      name: 'streamtune_guardrail_rejections_total',
      help: 'Candidate versions the promotion guardrail kept from serving',
      labelNames: ['model'],
      registers,
    }),
    rollbacks: new Counter({
      name: 'streamtune_rollbacks_total',
      help: 'Rollbacks of the serving version, by trigger (guardrail, operator)',
      labelNames: ['model', 'trigger'],
      registers,
    }),
  };
}
