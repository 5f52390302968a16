import type { DashboardSpec } from './dashboard.js';
import { query, stat, timeseries } from './panels.js';
import { orZero } from './promql.js';
import { consumerLag } from './shared-panels.js';

/** What arrives on the labels topic: how much, how much is rejected and why, duplicates, re-reads. */
export const dataQualityDashboard = (): DashboardSpec => ({
  uid: 'streamtune-data-quality',
  title: 'streamtune — data quality',
  description: 'Label events: consumed, rejected by reason, dead-lettered, duplicates, re-reads after restarts, drift',
  panels: [
    timeseries('Events consumed by topic', query('sum by (topic) (rate(streamtune_events_consumed_total[1m]))', '{{topic}}')).unit('ops'),
    timeseries('Rejected by reason', query(orZero('sum by (reason) (rate(streamtune_events_rejected_total[5m]))'), '{{reason}}')).unit('ops'),
    timeseries(
      'Rejected share',
      query('(sum(rate(streamtune_events_rejected_total[5m])) or vector(0)) / clamp_min(sum(rate(streamtune_events_consumed_total[5m])), 1e-9)', 'rejected / consumed'),
    ).unit('percentunit'),
    timeseries('Dead-letter topic writes', query(orZero('sum by (topic) (rate(streamtune_dlq_messages_total[1m]))'), '{{topic}}')).unit('ops'),
    timeseries(
      'Duplicates and re-reads',
      query(orZero('sum(rate(streamtune_events_duplicate_total[5m]))'), 'duplicates'),
      query(orZero('sum(rate(streamtune_events_skipped_total[5m]))'), 're-read, skipped'),
    )
      .description('Duplicate ids (producer retries) are not learned again; re-reads after a restart are already in the checkpoint')
      .unit('ops'),
    timeseries('Drift detected (15m)', query(orZero('sum by (model) (increase(streamtune_drifts_total[15m]))'), '{{model}}')),
    stat('Dead letters (1h)', orZero('sum(increase(streamtune_dlq_messages_total[1h]))')),
    stat('Duplicates (1h)', orZero('sum(increase(streamtune_events_duplicate_total[1h]))')),
    consumerLag(),
  ],
});
