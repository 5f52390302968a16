import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardSpec } from './dashboard.js';
import { query, stat, timeseries } from './panels.js';
import { orZero, quantile } from './promql.js';
import { consumerLag, onlineAccuracy, servingVersion, sinceLastSwap, trainerUp } from './shared-panels.js';

const SERVER_ERRORS = 'streamtune_predict_requests_total{code!~"OK|INVALID_ARGUMENT|NOT_FOUND"}';

/** The first screen: is it healthy, is it learning, is the model getting better? */
export const overviewDashboard = (): DashboardSpec => ({
  uid: 'streamtune-overview',
  title: 'streamtune — overview',
  description: 'Is it healthy? Is it learning? Is the model better? Details: the serving, learning and data-quality dashboards.',
  panels: [
    new RowBuilder('Is it healthy?'),
    stat('Server up', 'max(up{job="streamtune"}) or vector(0)').description('Prometheus scrapes the server (1) or not (0)'),
    trainerUp().description('The trainer child process runs and consumes (1); 0 also when training is off'),
    stat('Server error ratio (5m)', `(sum(rate(${SERVER_ERRORS}[5m])) or vector(0)) / clamp_min(sum(rate(streamtune_predict_requests_total[5m])), 1e-9)`)
      .description('Prediction RPCs failing for server-side reasons (client errors such as INVALID_ARGUMENT excluded)')
      .unit('percentunit'),
    stat('Predict p99 (5m)', quantile(0.99, 'streamtune_predict_latency_seconds', '5m', '{method="Predict"}')).unit('s'),
    stat('Predict calls/s', 'sum(rate(streamtune_predict_requests_total[1m]))').unit('reqps'),
    stat('Alerts firing', orZero('count(ALERTS{alertstate="firing", alertname=~"Streamtune.*"})')).description('streamtune alert rules firing now (prometheus/alerts.yml)'),
    new RowBuilder('Is it learning?'),
    servingVersion().span(6),
    sinceLastSwap().description('Time since the serving version last changed'),
    stat('Learned/s (5m)', 'sum(rate(streamtune_train_examples_total[5m]))'),
    consumerLag().description('Records of the labels topic not yet committed by the trainer group (broker offsets)'),
    stat('Freshness p50 (10m)', quantile(0.5, 'streamtune_freshness_seconds', '10m')).description('Label produced → served by a version that learned it').unit('s').span(6),
    timeseries(
      'Events consumed, learned, dead-lettered',
      query('sum(rate(streamtune_events_consumed_total[1m]))', 'consumed'),
      query('sum(rate(streamtune_train_examples_total[1m]))', 'learned'),
      query(orZero('sum(rate(streamtune_dlq_messages_total[1m]))'), 'dead-lettered'),
    ).unit('ops'),
    timeseries('Consumer lag', query('sum by (topic) (streamtune_consumer_lag_messages)', '{{topic}}')),
    new RowBuilder('Is the model better?'),
    onlineAccuracy('Online accuracy (prequential)').description('Each labelled event is predicted before it is learned; swaps and rollbacks are annotations'),
    timeseries(
      'Promotions, rejections, rollbacks (15m)',
      query(orZero('sum(increase(streamtune_model_promotions_total[15m]))'), 'promoted'),
      query(orZero('sum(increase(streamtune_guardrail_rejections_total[15m]))'), 'rejected by guardrail'),
      query(orZero('sum(increase(streamtune_rollbacks_total[15m]))'), 'rolled back'),
    ),
  ],
});
