import type { DashboardSpec } from './dashboard.js';
import { orZero, quantile } from './promql.js';

/** Prediction traffic, latency split into queue and compute, batching, versions in memory, the process. */
export const servingDashboard: DashboardSpec = {
  uid: 'streamtune-serving',
  title: 'streamtune — serving',
  description: 'Predict traffic, errors, latency (queue vs compute), dynamic batching, swaps and the serving process',
  panels: [
    { type: 'timeseries', title: 'Requests by code', unit: 'reqps', targets: [{ expr: 'sum by (code) (rate(streamtune_predict_requests_total[1m]))', legendFormat: '{{code}}' }] },
    {
      type: 'timeseries',
      title: 'Slowest models (p99)',
      description: 'The ten models with the highest p99 prediction time over 5 minutes (all APIs)',
      unit: 's',
      targets: [{ expr: `topk(10, ${quantile(0.99, 'streamtune_model_predict_seconds', '5m', '', ['model'])})`, legendFormat: '{{model}}' }],
    },
    { type: 'timeseries', title: 'Requests by method', unit: 'reqps', targets: [{ expr: 'sum by (method) (rate(streamtune_predict_requests_total[1m]))', legendFormat: '{{method}}' }] },
    {
      type: 'timeseries',
      title: 'Predict latency',
      unit: 's',
      targets: [0.5, 0.9, 0.99].map((q) => ({ expr: quantile(q, 'streamtune_predict_latency_seconds', '1m', '{method="Predict"}'), legendFormat: `p${q * 100}` })),
    },
    {
      type: 'timeseries',
      title: 'Queue time vs compute time',
      description: 'Batching trades queue time for fewer, larger forward passes',
      unit: 's',
      targets: [
        { expr: quantile(0.99, 'streamtune_predict_queue_seconds', '1m'), legendFormat: 'queue p99' },
        { expr: quantile(0.5, 'streamtune_predict_queue_seconds', '1m'), legendFormat: 'queue p50' },
        { expr: quantile(0.99, 'streamtune_predict_compute_seconds', '1m'), legendFormat: 'compute p99' },
        { expr: quantile(0.5, 'streamtune_predict_compute_seconds', '1m'), legendFormat: 'compute p50' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Batch size',
      targets: [
        { expr: 'sum(rate(streamtune_predict_batch_size_sum[1m])) / clamp_min(sum(rate(streamtune_predict_batch_size_count[1m])), 1e-9)', legendFormat: 'mean rows per forward pass' },
        { expr: 'sum(rate(streamtune_predict_batch_size_count[1m]))', legendFormat: 'forward passes/s' },
      ],
    },
    {
      type: 'timeseries',
      title: 'In flight, dropped, overloaded',
      targets: [
        { expr: 'sum by (method) (streamtune_predict_inflight_requests)', legendFormat: 'in flight {{method}}' },
        { expr: orZero('sum by (reason) (rate(streamtune_predict_dropped_total[1m]))'), legendFormat: 'dropped {{reason}}' },
        { expr: orZero('sum(rate(streamtune_predict_requests_total{code="RESOURCE_EXHAUSTED"}[1m]))'), legendFormat: 'RESOURCE_EXHAUSTED' },
        { expr: orZero('sum(rate(streamtune_predict_requests_total{code="UNAUTHENTICATED"}[1m]))'), legendFormat: 'UNAUTHENTICATED' },
      ],
    },
    { type: 'stat', title: 'Serving version', w: 8, targets: [{ expr: 'max by (model, version, backend) (streamtune_model_info)', legendFormat: '{{model}} {{version}} ({{backend}})' }] },
    { type: 'stat', title: 'Versions loaded', targets: [{ expr: 'sum(streamtune_model_versions_loaded)' }] },
    { type: 'stat', title: 'Swaps (1h)', targets: [{ expr: 'sum(increase(streamtune_model_swaps_total{result="ok"}[1h]))' }] },
    { type: 'stat', title: 'Failed swaps (1h)', targets: [{ expr: orZero('sum(increase(streamtune_model_swaps_total{result="failed"}[1h]))') }] },
    { type: 'stat', title: 'Backends', targets: [{ expr: 'max by (role, backend) (streamtune_backend_info)', legendFormat: '{{role}}: {{backend}}' }] },
    { type: 'timeseries', title: 'Swap duration', unit: 's', targets: [{ expr: quantile(0.95, 'streamtune_model_swap_duration_seconds', '15m'), legendFormat: 'p95' }] },
    { type: 'timeseries', title: 'TensorFlow.js tensors', description: 'Flat over many swaps, or a version leaks', targets: [{ expr: 'streamtune_tfjs_tensors', legendFormat: 'tensors' }] },
    {
      type: 'timeseries',
      title: 'Process memory',
      unit: 'bytes',
      targets: [
        { expr: 'process_resident_memory_bytes{job="streamtune"}', legendFormat: 'resident' },
        { expr: 'nodejs_heap_size_used_bytes{job="streamtune"}', legendFormat: 'V8 heap used' },
        { expr: 'nodejs_external_memory_bytes{job="streamtune"}', legendFormat: 'external (tensors)' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Event-loop lag and CPU',
      description: 'A blocked event loop delays every RPC',
      unit: 's',
      targets: [
        { expr: 'nodejs_eventloop_lag_p99_seconds{job="streamtune"}', legendFormat: 'event-loop lag p99' },
        { expr: 'rate(process_cpu_seconds_total{job="streamtune"}[1m])', legendFormat: 'CPU seconds/s' },
      ],
    },
  ],
};
