/** Prometheus metric types as prom-client reports them. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * Where a label's values come from: a fixed list, or a set the process knows at
 * start (the configured model and topics, the RPC methods it serves, gRPC's codes).
 */
export type LabelValues = readonly string[] | KnownLabelSource;
export type KnownLabelSource = 'model' | 'labels topic' | 'dead-letter topic' | 'rpc method' | 'grpc code';

/** One metric family: what an operator needs to read a series without the code. */
export interface MetricDef {
  name: string;
  type: MetricType;
  /** Label names (bounded: each value set is listed in `help` or is a model/version kept in memory). */
  labels: readonly string[];
  /**
   * Counters: the values of every label, so each series is exported at 0 from the
   * start (a series that first appears at 1 has no increase() in Prometheus, and
   * alerts and annotations miss the first event).
   */
  values?: Readonly<Record<string, LabelValues>>;
  /** Base unit of the value (`seconds`, `bytes`, `requests`, `ratio`, `1` for info metrics). */
  unit: string;
  help: string;
  /** Histogram buckets (base units). */
  buckets?: readonly number[];
  /** Dashboard/doc section. */
  group: 'serving' | 'versions' | 'learning' | 'data quality' | 'feedback' | 'process';
  /** `prom-client` for its default process metrics (not defined by us, listed so the registry has no unknown metric). */
  origin?: 'prom-client';
}

/** Why a label event is dead-lettered (`streamtune-reason` header and metric label). */
export const REJECT_REASONS = ['bad_json', 'schema', 'non_finite', 'too_large', 'empty', 'wrong_kind', 'wrong_dimension', 'unknown_label', 'wrong_label_kind', 'span_outside_text', 'overlapping_spans', 'box_outside_image', 'keypoint_outside_image', 'mask_size_mismatch', 'wrong_model', 'unknown_model', 'bad_image', 'bad_audio', 'internal'] as const;
export const DROP_REASONS = ['deadline', 'cancelled'] as const;
export const LABEL_REQUEST_OUTCOMES = ['published', 'lost'] as const;
export const SWAP_RESULTS = ['ok', 'failed'] as const;
export const ROLLBACK_TRIGGERS = ['guardrail', 'operator'] as const;
export const PIN_ACTIONS = ['pin', 'unpin'] as const;
export const PREDICTION_LOG_OUTCOMES = ['logged', 'dropped', 'failed'] as const;
/** Delays of labels after their prediction: a second to a week. */
const LABEL_DELAY_BUCKETS = [1, 10, 60, 600, 3600, 6 * 3600, 86_400, 3 * 86_400, 7 * 86_400];

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const FAST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/**
 * Every metric streamtune's server exports, in one place: `createMetrics` builds
 * the registry from it, `docs/metrics.md` is generated from it
 * (`npm run docs:metrics`), and a test fails when either drifts from it.
 */
export const METRIC_CATALOGUE: readonly MetricDef[] = [
  // serving
  { group: 'serving', name: 'streamtune_predictions_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'instances', help: 'Instances predicted' },
  { group: 'serving', name: 'streamtune_predict_requests_total', type: 'counter', labels: ['method', 'code'], values: { method: 'rpc method', code: 'grpc code' }, unit: 'requests', help: 'Calls by method (every RPC, and the KServe v2 REST endpoints under their protocol method names) and gRPC status code' },
  { group: 'serving', name: 'streamtune_predict_latency_seconds', type: 'histogram', labels: ['method'], unit: 'seconds', help: 'Time to answer a prediction RPC', buckets: LATENCY_BUCKETS },
  { group: 'serving', name: 'streamtune_model_predict_seconds', type: 'histogram', labels: ['model'], unit: 'seconds', help: 'Time to predict one request of a model (validation, queue and forward pass; every API), by model', buckets: LATENCY_BUCKETS },
  { group: 'serving', name: 'streamtune_predict_queue_seconds', type: 'histogram', labels: ['method'], unit: 'seconds', help: 'Time a prediction request waited in the dynamic batcher before its forward pass', buckets: FAST_BUCKETS },
  { group: 'serving', name: 'streamtune_predict_compute_seconds', type: 'histogram', labels: [], unit: 'seconds', help: 'Time of one forward pass (one batch)', buckets: FAST_BUCKETS },
  { group: 'serving', name: 'streamtune_predict_batch_size', type: 'histogram', labels: [], unit: 'rows', help: 'Rows (instances) in one forward pass', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] },
  { group: 'serving', name: 'streamtune_predict_inflight_requests', type: 'gauge', labels: ['method'], unit: 'requests', help: 'RPCs being answered now' },
  { group: 'serving', name: 'streamtune_predict_dropped_total', type: 'counter', labels: ['reason'], values: { reason: DROP_REASONS }, unit: 'requests', help: `Queued prediction requests dropped before their forward pass, by reason (${DROP_REASONS.join(', ')})` },
  { group: 'serving', name: 'streamtune_label_requests_total', type: 'counter', labels: ['outcome'], values: { outcome: LABEL_REQUEST_OUTCOMES }, unit: 'requests', help: `Uncertain predictions sent for labelling (active learning), by outcome (${LABEL_REQUEST_OUTCOMES.join(', ')})` },
  // versions
  { group: 'versions', name: 'streamtune_model_info', type: 'gauge', labels: ['model', 'version', 'backend'], unit: '1', help: 'The version being served (value 1) and the backend it runs on' },
  { group: 'versions', name: 'streamtune_backend_info', type: 'gauge', labels: ['role', 'backend'], unit: '1', help: 'TensorFlow.js backend in use (value 1) by role (serving, training)' },
  { group: 'versions', name: 'streamtune_model_versions_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'versions', help: 'Model versions saved by the trainer' },
  { group: 'versions', name: 'streamtune_model_versions_loaded', type: 'gauge', labels: ['model'], unit: 'versions', help: 'Versions kept loaded and warm (requests may name any of them)' },
  { group: 'versions', name: 'streamtune_model_swaps_total', type: 'counter', labels: ['model', 'result'], values: { model: 'model', result: SWAP_RESULTS }, unit: 'swaps', help: 'Loads of a new version (from the trainer, the models topic, or at start), by result (ok: swapped in or kept warm as a candidate; failed: the old one keeps serving). Pins, unpins and rollbacks are counted apart' },
  { group: 'versions', name: 'streamtune_model_swap_duration_seconds', type: 'histogram', labels: ['model'], unit: 'seconds', help: 'Time to load, warm up and swap in a new version', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
  { group: 'versions', name: 'streamtune_model_promotions_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'versions', help: 'New versions promoted to serving (not pins or rollbacks)' },
  { group: 'versions', name: 'streamtune_model_last_swap_timestamp_seconds', type: 'gauge', labels: ['model'], unit: 'seconds', help: 'Unix time the serving version last changed (promotion, pin or rollback)' },
  { group: 'versions', name: 'streamtune_guardrail_rejections_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'versions', help: 'Candidate versions the promotion guardrail kept from serving' },
  { group: 'versions', name: 'streamtune_rollbacks_total', type: 'counter', labels: ['model', 'trigger'], values: { model: 'model', trigger: ROLLBACK_TRIGGERS }, unit: 'rollbacks', help: `Rollbacks of the serving version, by trigger (${ROLLBACK_TRIGGERS.join(', ')})` },
  { group: 'versions', name: 'streamtune_model_pins_total', type: 'counter', labels: ['model', 'action'], values: { model: 'model', action: PIN_ACTIONS }, unit: 'calls', help: `Operator pins and unpins of the serving version (ModelAdmin), by action (${PIN_ACTIONS.join(', ')})` },
  // learning
  { group: 'learning', name: 'streamtune_train_examples_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'examples', help: 'Examples learned online' },
  { group: 'learning', name: 'streamtune_train_steps_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'steps', help: 'Online training steps' },
  { group: 'learning', name: 'streamtune_train_step_duration_seconds', type: 'histogram', labels: ['model'], unit: 'seconds', help: 'Time of one online training step (prequential predict, learn, drift check)', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
  { group: 'learning', name: 'streamtune_train_loss', type: 'gauge', labels: ['model'], unit: 'loss', help: 'Loss of the last online training step' },
  { group: 'learning', name: 'streamtune_online_accuracy', type: 'gauge', labels: ['model'], unit: 'ratio', help: 'Prequential accuracy (predict, then learn) over the recent window of labelled events' },
  { group: 'learning', name: 'streamtune_online_accuracy_faded', type: 'gauge', labels: ['model'], unit: 'ratio', help: 'Prequential accuracy with a fading factor (recent events weigh more)' },
  { group: 'learning', name: 'streamtune_online_span_f1', type: 'gauge', labels: ['model'], unit: 'ratio', help: 'Prequential entity-level F1 (exact start, end and label) over the recent window of labelled texts (span models)' },
  { group: 'learning', name: 'streamtune_online_box_map', type: 'gauge', labels: ['model'], unit: 'ratio', help: 'Prequential mAP@0.5 (PASCAL VOC, all points) over the recent window of labelled images (box models)' },
  { group: 'learning', name: 'streamtune_online_pck', type: 'gauge', labels: ['model'], unit: 'ratio', help: 'Prequential PCK (a keypoint within 0.1 of the image side of the truth) over the recent window of labelled images (keypoint models)' },
  { group: 'learning', name: 'streamtune_online_mae', type: 'gauge', labels: ['model'], unit: 'label units', help: 'Prequential mean absolute error over the recent window (regression models)' },
  { group: 'learning', name: 'streamtune_pseudo_labels_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'events', help: 'Unlabelled events pseudo-labelled and learned (self-training, co-training)' },
  { group: 'learning', name: 'streamtune_pseudo_label_accuracy', type: 'gauge', labels: ['model'], unit: 'ratio', help: 'Share of pseudo-labels confirmed by true labels that arrived later for the same event ids' },
  { group: 'learning', name: 'streamtune_candidate_score', type: 'gauge', labels: ['model', 'candidate'], unit: 'score', help: 'Prequential score of each candidate of an auto model over its window (accuracy for classifiers, MAE for regressors); candidates: linear, linear-slow, mlp, knn, knn-manhattan, naive-bayes, hoeffding-tree, forest, ensemble' },
  { group: 'learning', name: 'streamtune_candidate_serving', type: 'gauge', labels: ['model', 'candidate'], unit: '1', help: 'Which candidate of an auto model serves (1) and which do not (0)' },
  { group: 'learning', name: 'streamtune_freshness_seconds', type: 'histogram', labels: ['model'], unit: 'seconds', help: 'Time from a label event (its timestamp) to the first served version that learned it', buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300] },
  { group: 'learning', name: 'streamtune_freshness_stage_seconds', type: 'histogram', labels: ['stage'], unit: 'seconds', help: 'Where freshness goes, per sampled label event of a served version (a server that trains): queued (event timestamp to its training step: produce, fetch, micro-batch, step loop), checkpoint_wait (step to the start of the checkpoint that holds it), save (guardrail, write, fence, commit), handoff (saved to the server told), swap (told to serving: load, warm-up, the model\'s swap queue); the stages add up to streamtune_freshness_seconds', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] },
  { group: 'learning', name: 'streamtune_consumer_lag_messages', type: 'gauge', labels: ['topic', 'partition'], unit: 'messages', help: "Records of the labels topic the trainer group has not committed yet (broker end offset minus the group's committed offset)" },
  { group: 'learning', name: 'streamtune_trainer_up', type: 'gauge', labels: ['model'], unit: '1', help: 'Whether the trainer child process is running and consuming (1) or not (0: crashed and being restarted, or the broker is unreachable); absent when the server does not train' },
  { group: 'learning', name: 'streamtune_trainer_restarts_total', type: 'counter', labels: [], unit: 'restarts', help: 'Times the trainer process died and was restarted' },
  // data quality
  { group: 'data quality', name: 'streamtune_events_consumed_total', type: 'counter', labels: ['topic'], values: { topic: 'labels topic' }, unit: 'events', help: 'Label events read from Kafka' },
  { group: 'data quality', name: 'streamtune_events_rejected_total', type: 'counter', labels: ['reason'], values: { reason: REJECT_REASONS }, unit: 'events', help: `Label events rejected by validation, by reason (${REJECT_REASONS.join(', ')})` },
  { group: 'data quality', name: 'streamtune_dlq_messages_total', type: 'counter', labels: ['topic'], values: { topic: 'dead-letter topic' }, unit: 'messages', help: 'Records written to the dead-letter topic' },
  { group: 'data quality', name: 'streamtune_events_duplicate_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'events', help: 'Events whose id was already learned within the dedupe window (not learned again)' },
  { group: 'data quality', name: 'streamtune_events_skipped_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'events', help: 'Records re-read after a restart or takeover that the restored checkpoint already includes' },
  { group: 'data quality', name: 'streamtune_drifts_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'drifts', help: 'Concept drifts detected on the prequential error' },
  { group: 'serving', name: 'streamtune_prediction_log_records_total', type: 'counter', labels: ['outcome'], values: { outcome: PREDICTION_LOG_OUTCOMES }, unit: 'predictions', help: `Predictions for the prediction log, by outcome (${PREDICTION_LOG_OUTCOMES.join(', ')}: dropped when the buffer was full, failed when the broker refused them)` },
  // feedback: exported by the joiner (`streamtune join`), not by the server
  { group: 'feedback', name: 'streamtune_feedback_joined_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'labels', help: 'Labels by reference joined to their logged prediction and sent on the labels topic' },
  { group: 'feedback', name: 'streamtune_feedback_unmatched_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'labels', help: 'Labels by reference dead-lettered no_prediction: their window closed before their prediction was seen' },
  { group: 'feedback', name: 'streamtune_feedback_duplicates_total', type: 'counter', labels: ['model'], values: { model: 'model' }, unit: 'labels', help: 'Labels by reference dead-lettered duplicate_feedback: their prediction was already labelled' },
  { group: 'feedback', name: 'streamtune_feedback_pending_labels', type: 'gauge', labels: [], unit: 'labels', help: 'Labels by reference waiting for their prediction' },
  { group: 'feedback', name: 'streamtune_feedback_label_delay_seconds', type: 'histogram', labels: ['model'], unit: 'seconds', help: 'Time from a prediction to the label joined to it', buckets: LABEL_DELAY_BUCKETS },
  { group: 'feedback', name: 'streamtune_feedback_served_accuracy', type: 'gauge', labels: ['model', 'version'], unit: 'ratio', help: 'Share of joined predictions that were right, by the version that served them (classification; the newest versions of each model only)' },
  { group: 'feedback', name: 'streamtune_feedback_served_mae', type: 'gauge', labels: ['model', 'version'], unit: 'label units', help: 'Mean absolute error of joined predictions, by the version that served them (regression; the newest versions of each model only)' },
  // process
  { group: 'process', name: 'streamtune_tfjs_tensors', type: 'gauge', labels: [], unit: 'tensors', help: 'Tensors alive in the serving process (TensorFlow.js), read at each scrape' },
  ...promClientDefaults(),
];

function promClientDefaults(): MetricDef[] {
  const d = (name: string, type: MetricType, unit: string, help: string, labels: string[] = []): MetricDef => ({ group: 'process', origin: 'prom-client', name, type, labels, unit, help });
  return [
    d('process_cpu_user_seconds_total', 'counter', 'seconds', 'User CPU time'),
    d('process_cpu_system_seconds_total', 'counter', 'seconds', 'System CPU time'),
    d('process_cpu_seconds_total', 'counter', 'seconds', 'User and system CPU time'),
    d('process_start_time_seconds', 'gauge', 'seconds', 'Start time of the process (Unix time)'),
    d('process_resident_memory_bytes', 'gauge', 'bytes', 'Resident memory size'),
    d('process_virtual_memory_bytes', 'gauge', 'bytes', 'Virtual memory size'),
    d('process_heap_bytes', 'gauge', 'bytes', 'Process heap size'),
    d('process_open_fds', 'gauge', 'descriptors', 'Open file descriptors'),
    d('process_max_fds', 'gauge', 'descriptors', 'Maximum open file descriptors'),
    ...['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99'].map((s) =>
      d(`nodejs_eventloop_lag${s}_seconds`, 'gauge', 'seconds', s === '' ? 'Event-loop lag (time a timer fired late)' : `Event-loop delay, ${s.slice(1)} of the recorded delays`),
    ),
    // prom-client's nodejs_active_{resources,handles,requests}_total are gauges with a counter's
    // suffix, which `promtool check metrics` rejects; createMetrics drops them (sum the per-type gauges).
    d('nodejs_active_resources', 'gauge', 'resources', 'Active resources keeping the event loop alive, by async resource type', ['type']),
    d('nodejs_active_handles', 'gauge', 'handles', 'Active libuv handles, by handle type', ['type']),
    d('nodejs_active_requests', 'gauge', 'requests', 'Active libuv requests, by request type', ['type']),
    d('nodejs_heap_size_total_bytes', 'gauge', 'bytes', 'V8 heap size'),
    d('nodejs_heap_size_used_bytes', 'gauge', 'bytes', 'V8 heap used'),
    d('nodejs_external_memory_bytes', 'gauge', 'bytes', 'Memory of C++ objects bound to JS objects (tfjs-node tensors live here)'),
    d('nodejs_heap_space_size_total_bytes', 'gauge', 'bytes', 'V8 heap space size, by space', ['space']),
    d('nodejs_heap_space_size_used_bytes', 'gauge', 'bytes', 'V8 heap space used, by space', ['space']),
    d('nodejs_heap_space_size_available_bytes', 'gauge', 'bytes', 'V8 heap space available, by space', ['space']),
    d('nodejs_version_info', 'gauge', '1', 'Node.js version (value 1)', ['version', 'major', 'minor', 'patch']),
    d('nodejs_gc_duration_seconds', 'histogram', 'seconds', 'Garbage collection time, by kind (major, minor, incremental, weakcb)', ['kind']),
  ];
}

const BY_NAME = new Map(METRIC_CATALOGUE.map((m) => [m.name, m]));

/** The catalogue entry of `name` (throws for a name not catalogued: add it to METRIC_CATALOGUE first). */
export function metricDef(name: string): MetricDef {
  const def = BY_NAME.get(name);
  if (!def) throw new Error(`metric "${name}" is not in METRIC_CATALOGUE`);
  return def;
}
