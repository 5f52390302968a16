import type { DashboardSpec } from './dashboard.js';
import { orZero, quantile } from './promql.js';

const SERVER_ERRORS = 'streamtune_predict_requests_total{code!~"OK|INVALID_ARGUMENT|NOT_FOUND"}';

/** The first screen: is it healthy, is it learning, is the model getting better? */
export const overviewDashboard: DashboardSpec = {
  uid: 'streamtune-overview',
  title: 'streamtune — overview',
  description: 'Is it healthy? Is it learning? Is the model better? Details: the serving, learning and data-quality dashboards.',
  panels: [
    { type: 'row', title: 'Is it healthy?' },
    { type: 'stat', title: 'Server up', description: 'Prometheus scrapes the server (1) or not (0)', targets: [{ expr: 'max(up{job="streamtune"}) or vector(0)' }] },
    { type: 'stat', title: 'Trainer up', description: 'The trainer child process runs and consumes (1); 0 also when training is off', targets: [{ expr: orZero('max(streamtune_trainer_up)') }] },
    {
      type: 'stat',
      title: 'Server error ratio (5m)',
      description: 'Prediction RPCs failing for server-side reasons (client errors such as INVALID_ARGUMENT excluded)',
      unit: 'percentunit',
      targets: [{ expr: `(sum(rate(${SERVER_ERRORS}[5m])) or vector(0)) / clamp_min(sum(rate(streamtune_predict_requests_total[5m])), 1e-9)` }],
    },
    { type: 'stat', title: 'Predict p99 (5m)', unit: 's', targets: [{ expr: quantile(0.99, 'streamtune_predict_latency_seconds', '5m', '{method="Predict"}') }] },
    { type: 'stat', title: 'Predict calls/s', unit: 'reqps', targets: [{ expr: 'sum(rate(streamtune_predict_requests_total[1m]))' }] },
    { type: 'stat', title: 'Alerts firing', description: 'streamtune alert rules firing now (prometheus/alerts.yml)', targets: [{ expr: orZero('count(ALERTS{alertstate="firing", alertname=~"Streamtune.*"})') }] },
    { type: 'row', title: 'Is it learning?' },
    { type: 'stat', title: 'Serving version', w: 6, targets: [{ expr: 'max by (model, version, backend) (streamtune_model_info)', legendFormat: '{{model}} {{version}} ({{backend}})' }] },
    { type: 'stat', title: 'Since last swap', description: 'Time since the serving version last changed', unit: 's', targets: [{ expr: 'time() - max(streamtune_model_last_swap_timestamp_seconds)' }] },
    { type: 'stat', title: 'Learned/s (5m)', targets: [{ expr: 'sum(rate(streamtune_train_examples_total[5m]))' }] },
    { type: 'stat', title: 'Consumer lag', description: 'Records of the labels topic not yet committed by the trainer group (broker offsets)', targets: [{ expr: 'sum(streamtune_consumer_lag_messages)' }] },
    { type: 'stat', title: 'Freshness p50 (10m)', description: 'Label produced → served by a version that learned it', unit: 's', w: 6, targets: [{ expr: quantile(0.5, 'streamtune_freshness_seconds', '10m') }] },
    {
      type: 'timeseries',
      title: 'Events consumed, learned, dead-lettered',
      unit: 'ops',
      targets: [
        { expr: 'sum(rate(streamtune_events_consumed_total[1m]))', legendFormat: 'consumed' },
        { expr: 'sum(rate(streamtune_train_examples_total[1m]))', legendFormat: 'learned' },
        { expr: orZero('sum(rate(streamtune_dlq_messages_total[1m]))'), legendFormat: 'dead-lettered' },
      ],
    },
    { type: 'timeseries', title: 'Consumer lag', unit: 'short', targets: [{ expr: 'sum by (topic) (streamtune_consumer_lag_messages)', legendFormat: '{{topic}}' }] },
    { type: 'row', title: 'Is the model better?' },
    {
      type: 'timeseries',
      title: 'Online accuracy (prequential)',
      description: 'Each labelled event is predicted before it is learned; swaps and rollbacks are annotations',
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [
        { expr: 'streamtune_online_accuracy', legendFormat: '{{model}} window' },
        { expr: 'streamtune_online_accuracy_faded', legendFormat: '{{model}} faded' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Promotions, rejections, rollbacks (15m)',
      targets: [
        { expr: orZero('sum(increase(streamtune_model_promotions_total[15m]))'), legendFormat: 'promoted' },
        { expr: orZero('sum(increase(streamtune_guardrail_rejections_total[15m]))'), legendFormat: 'rejected by guardrail' },
        { expr: orZero('sum(increase(streamtune_rollbacks_total[15m]))'), legendFormat: 'rolled back' },
      ],
    },
  ],
};
