import type { DashboardSpec } from './dashboard.js';
import { orZero } from './promql.js';

/** What arrives on the labels topic: how much, how much is rejected and why, duplicates, re-reads. */
export const dataQualityDashboard: DashboardSpec = {
  uid: 'streamtune-data-quality',
  title: 'streamtune — data quality',
  description: 'Label events: consumed, rejected by reason, dead-lettered, duplicates, re-reads after restarts, drift',
  panels: [
    { type: 'timeseries', title: 'Events consumed by topic', unit: 'ops', targets: [{ expr: 'sum by (topic) (rate(streamtune_events_consumed_total[1m]))', legendFormat: '{{topic}}' }] },
    { type: 'timeseries', title: 'Rejected by reason', unit: 'ops', targets: [{ expr: orZero('sum by (reason) (rate(streamtune_events_rejected_total[5m]))'), legendFormat: '{{reason}}' }] },
    {
      type: 'timeseries',
      title: 'Rejected share',
      unit: 'percentunit',
      targets: [{ expr: '(sum(rate(streamtune_events_rejected_total[5m])) or vector(0)) / clamp_min(sum(rate(streamtune_events_consumed_total[5m])), 1e-9)', legendFormat: 'rejected / consumed' }],
    },
    { type: 'timeseries', title: 'Dead-letter topic writes', unit: 'ops', targets: [{ expr: orZero('sum by (topic) (rate(streamtune_dlq_messages_total[1m]))'), legendFormat: '{{topic}}' }] },
    {
      type: 'timeseries',
      title: 'Duplicates and re-reads',
      description: 'Duplicate ids (producer retries) are not learned again; re-reads after a restart are already in the checkpoint',
      unit: 'ops',
      targets: [
        { expr: orZero('sum(rate(streamtune_events_duplicate_total[5m]))'), legendFormat: 'duplicates' },
        { expr: orZero('sum(rate(streamtune_events_skipped_total[5m]))'), legendFormat: 're-read, skipped' },
      ],
    },
    { type: 'timeseries', title: 'Drift detected (15m)', targets: [{ expr: orZero('sum by (model) (increase(streamtune_drifts_total[15m]))'), legendFormat: '{{model}}' }] },
    { type: 'stat', title: 'Dead letters (1h)', targets: [{ expr: orZero('sum(increase(streamtune_dlq_messages_total[1h]))') }] },
    { type: 'stat', title: 'Duplicates (1h)', targets: [{ expr: orZero('sum(increase(streamtune_events_duplicate_total[1h]))') }] },
    { type: 'stat', title: 'Consumer lag', targets: [{ expr: 'sum(streamtune_consumer_lag_messages)' }] },
  ],
};
