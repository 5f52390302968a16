import type { DashboardSpec } from './dashboard.js';
import { orZero, quantile } from './promql.js';

/** The trainer: how fast and how well it learns, how far behind the stream it is, what it promotes. */
export const learningDashboard: DashboardSpec = {
  uid: 'streamtune-learning',
  title: 'streamtune — learning',
  description: 'Online learning: accuracy, loss, throughput, step time, consumer lag, freshness, promotions and the guardrail',
  panels: [
    {
      type: 'timeseries',
      title: 'Online accuracy',
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
      title: 'Auto: candidate scores',
      description: 'Prequential score of each candidate over its window (accuracy, or MAE for regressors); the serving one is marked',
      targets: [
        { expr: 'streamtune_candidate_score', legendFormat: '{{model}} {{candidate}}' },
        { expr: 'streamtune_candidate_score * on (model, candidate) (streamtune_candidate_serving == 1)', legendFormat: '{{model}} serving: {{candidate}}' },
      ],
    },
    { type: 'timeseries', title: 'Training loss', targets: [{ expr: 'streamtune_train_loss', legendFormat: '{{model}}' }] },
    {
      type: 'timeseries',
      title: 'Examples and steps',
      unit: 'ops',
      targets: [
        { expr: 'sum by (model) (rate(streamtune_train_examples_total[1m]))', legendFormat: '{{model}} examples/s' },
        { expr: 'sum by (model) (rate(streamtune_train_steps_total[1m]))', legendFormat: '{{model}} steps/s' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Train step time',
      unit: 's',
      targets: [
        { expr: quantile(0.5, 'streamtune_train_step_duration_seconds', '5m'), legendFormat: 'p50' },
        { expr: quantile(0.99, 'streamtune_train_step_duration_seconds', '5m'), legendFormat: 'p99' },
      ],
    },
    { type: 'timeseries', title: 'Consumer lag by partition', targets: [{ expr: 'max by (topic, partition) (streamtune_consumer_lag_messages)', legendFormat: '{{topic}}/{{partition}}' }] },
    {
      type: 'timeseries',
      title: 'Freshness (event → served)',
      unit: 's',
      targets: [
        { expr: quantile(0.5, 'streamtune_freshness_seconds', '5m'), legendFormat: 'p50' },
        { expr: quantile(0.99, 'streamtune_freshness_seconds', '5m'), legendFormat: 'p99' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Versions: saved, promoted, rejected (5m)',
      targets: [
        { expr: 'sum(increase(streamtune_model_versions_total[5m]))', legendFormat: 'saved' },
        { expr: orZero('sum(increase(streamtune_model_promotions_total[5m]))'), legendFormat: 'promoted' },
        { expr: orZero('sum(increase(streamtune_guardrail_rejections_total[5m]))'), legendFormat: 'rejected by guardrail' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Rollbacks and drift (15m)',
      targets: [
        { expr: orZero('sum by (trigger) (increase(streamtune_rollbacks_total[15m]))'), legendFormat: 'rollbacks {{trigger}}' },
        { expr: orZero('sum(increase(streamtune_drifts_total[15m]))'), legendFormat: 'drifts' },
      ],
    },
    { type: 'stat', title: 'Trainer up', targets: [{ expr: orZero('max(streamtune_trainer_up)') }] },
    { type: 'stat', title: 'Trainer restarts (1h)', targets: [{ expr: orZero('sum(increase(streamtune_trainer_restarts_total[1h]))') }] },
    { type: 'stat', title: 'Examples learned', description: 'Since the server started', targets: [{ expr: 'sum(streamtune_train_examples_total)' }] },
    { type: 'stat', title: 'Since last swap', unit: 's', targets: [{ expr: 'time() - max(streamtune_model_last_swap_timestamp_seconds)' }] },
    { type: 'stat', title: 'Training backend', w: 8, targets: [{ expr: orZero('max by (backend) (streamtune_backend_info{role="training"})'), legendFormat: '{{backend}}' }] },
  ],
};
