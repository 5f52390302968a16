import type { DashboardSpec } from './dashboard.js';
import { percentiles, query, stat, timeseries } from './panels.js';
import { orZero, quantile } from './promql.js';
import { servingVersion } from './shared-panels.js';

/** Prediction traffic, latency split into queue and compute, batching, versions in memory, the process. */
export const servingDashboard = (): DashboardSpec => ({
  uid: 'streamtune-serving',
  title: 'streamtune — serving',
  description: 'Predict traffic, errors, latency (queue vs compute), dynamic batching, swaps and the serving process',
  panels: [
    timeseries('Requests by code', query('sum by (code) (rate(streamtune_predict_requests_total[1m]))', '{{code}}')).unit('reqps'),
    timeseries('Slowest models (p99)', query(`topk(10, ${quantile(0.99, 'streamtune_model_predict_seconds', '5m', '', ['model'])})`, '{{model}}'))
      .description('The ten models with the highest p99 prediction time over 5 minutes (all APIs)')
      .unit('s'),
    timeseries('Requests by method', query('sum by (method) (rate(streamtune_predict_requests_total[1m]))', '{{method}}')).unit('reqps'),
    timeseries('Predict latency', ...percentiles('streamtune_predict_latency_seconds', '1m', [0.5, 0.9, 0.99], '{method="Predict"}')).unit('s'),
    timeseries(
      'Queue time vs compute time',
      query(quantile(0.99, 'streamtune_predict_queue_seconds', '1m'), 'queue p99'),
      query(quantile(0.5, 'streamtune_predict_queue_seconds', '1m'), 'queue p50'),
      query(quantile(0.99, 'streamtune_predict_compute_seconds', '1m'), 'compute p99'),
      query(quantile(0.5, 'streamtune_predict_compute_seconds', '1m'), 'compute p50'),
    )
      .description('Batching trades queue time for fewer, larger forward passes')
      .unit('s'),
    timeseries(
      'Batch size',
      query('sum(rate(streamtune_predict_batch_size_sum[1m])) / clamp_min(sum(rate(streamtune_predict_batch_size_count[1m])), 1e-9)', 'mean rows per forward pass'),
      query('sum(rate(streamtune_predict_batch_size_count[1m]))', 'forward passes/s'),
    ),
    timeseries(
      'In flight, dropped, overloaded',
      query('sum by (method) (streamtune_predict_inflight_requests)', 'in flight {{method}}'),
      query(orZero('sum by (reason) (rate(streamtune_predict_dropped_total[1m]))'), 'dropped {{reason}}'),
      query(orZero('sum(rate(streamtune_predict_requests_total{code="RESOURCE_EXHAUSTED"}[1m]))'), 'RESOURCE_EXHAUSTED'),
      query(orZero('sum(rate(streamtune_predict_requests_total{code="UNAUTHENTICATED"}[1m]))'), 'UNAUTHENTICATED'),
    ),
    servingVersion().span(8),
    stat('Versions loaded', 'sum(streamtune_model_versions_loaded)'),
    stat('Swaps (1h)', 'sum(increase(streamtune_model_swaps_total{result="ok"}[1h]))'),
    stat('Failed swaps (1h)', orZero('sum(increase(streamtune_model_swaps_total{result="failed"}[1h]))')),
    stat('Backends', 'max by (role, backend) (streamtune_backend_info)', '{{role}}: {{backend}}'),
    timeseries('Swap duration', ...percentiles('streamtune_model_swap_duration_seconds', '15m', [0.95])).unit('s'),
    timeseries('TensorFlow.js tensors', query('streamtune_tfjs_tensors', 'tensors')).description('Flat over many swaps, or a version leaks'),
    timeseries(
      'Process memory',
      query('process_resident_memory_bytes{job="streamtune"}', 'resident'),
      query('nodejs_heap_size_used_bytes{job="streamtune"}', 'V8 heap used'),
      query('nodejs_external_memory_bytes{job="streamtune"}', 'external (tensors)'),
    ).unit('bytes'),
    timeseries(
      'Event-loop lag and CPU',
      query('nodejs_eventloop_lag_p99_seconds{job="streamtune"}', 'event-loop lag p99'),
      query('rate(process_cpu_seconds_total{job="streamtune"}[1m])', 'CPU seconds/s'),
    )
      .description('A blocked event loop delays every RPC')
      .unit('s'),
  ],
});
