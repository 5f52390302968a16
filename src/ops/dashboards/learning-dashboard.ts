import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardSpec } from './dashboard.js';
import { percentiles, query, stat, timeseries } from './panels.js';
import { orZero, quantile } from './promql.js';
import { onlineAccuracy, sinceLastSwap, trainerUp } from './shared-panels.js';

/** The trainer: how fast and how well it learns, how far behind the stream it is, what it promotes. */
export const learningDashboard = (): DashboardSpec => ({
  uid: 'streamtune-learning',
  title: 'streamtune — learning',
  description: 'Online learning: accuracy, loss, throughput, step time, consumer lag, freshness, promotions and the guardrail',
  panels: [
    onlineAccuracy(),
    timeseries(
      'Auto: candidate scores',
      query('streamtune_candidate_score', '{{model}} {{candidate}}'),
      query('streamtune_candidate_score * on (model, candidate) (streamtune_candidate_serving == 1)', '{{model}} serving: {{candidate}}'),
    ).description('Prequential score of each candidate over its window (accuracy, or MAE for regressors); the serving one is marked'),
    timeseries('Training loss', query('streamtune_train_loss', '{{model}}')),
    timeseries(
      'Examples and steps',
      query('sum by (model) (rate(streamtune_train_examples_total[1m]))', '{{model}} examples/s'),
      query('sum by (model) (rate(streamtune_train_steps_total[1m]))', '{{model}} steps/s'),
    ).unit('ops'),
    timeseries('Train step time', ...percentiles('streamtune_train_step_duration_seconds', '5m')).unit('s'),
    timeseries('Consumer lag by partition', query('max by (topic, partition) (streamtune_consumer_lag_messages)', '{{topic}}/{{partition}}')),
    timeseries('Freshness (event → served)', ...percentiles('streamtune_freshness_seconds', '5m')).unit('s'),
    timeseries(
      'Versions: saved, promoted, rejected (5m)',
      query('sum(increase(streamtune_model_versions_total[5m]))', 'saved'),
      query(orZero('sum(increase(streamtune_model_promotions_total[5m]))'), 'promoted'),
      query(orZero('sum(increase(streamtune_guardrail_rejections_total[5m]))'), 'rejected by guardrail'),
    ),
    timeseries(
      'Rollbacks and drift (15m)',
      query(orZero('sum by (trigger) (increase(streamtune_rollbacks_total[15m]))'), 'rollbacks {{trigger}}'),
      query(orZero('sum(increase(streamtune_drifts_total[15m]))'), 'drifts'),
    ),
    trainerUp(),
    stat('Trainer restarts (1h)', orZero('sum(increase(streamtune_trainer_restarts_total[1h]))')),
    stat('Examples learned', 'sum(streamtune_train_examples_total)').description('Since the server started'),
    sinceLastSwap(),
    stat('Training backend', orZero('max by (backend) (streamtune_backend_info{role="training"})'), '{{backend}}').span(8),
    // Exported by the joiner (`streamtune join`), a scrape target of its own.
    new RowBuilder('Live ground truth (feedback joined to served predictions)'),
    timeseries(
      'Served accuracy by version',
      // One query for both tasks: a model has one of the two series.
      query('max by (model, version) (streamtune_feedback_served_accuracy) or max by (model, version) (streamtune_feedback_served_mae)', '{{model}} {{version}}'),
    ).description('Share of the predictions each version served that the labels joined later say were right (for regression models: their mean absolute error)'),
    timeseries(
      'Label delay (prediction → label)',
      query(quantile(0.5, 'streamtune_feedback_label_delay_seconds', '15m', '', ['model']), '{{model}} p50'),
      query(quantile(0.99, 'streamtune_feedback_label_delay_seconds', '15m', '', ['model']), '{{model}} p99'),
    ).unit('s'),
    timeseries(
      'Feedback joined, unmatched, duplicate',
      query(orZero('sum(rate(streamtune_feedback_joined_total[5m]))'), 'joined'),
      query(orZero('sum(rate(streamtune_feedback_unmatched_total[5m]))'), 'unmatched (no_prediction)'),
      query(orZero('sum(rate(streamtune_feedback_duplicates_total[5m]))'), 'duplicate'),
    ).unit('ops'),
    stat('Labels waiting for their prediction', orZero('sum(streamtune_feedback_pending_labels)')),
    stat('Feedback joined (1h)', orZero('sum(increase(streamtune_feedback_joined_total[1h]))')),
    stat('Predictions not logged (1h)', orZero('sum(increase(streamtune_prediction_log_records_total{outcome!="logged"}[1h]))')).description('Dropped (buffer full) or failed (broker) entries of the prediction log'),
  ],
});
