/** Panels shown on more than one dashboard, written once; a dashboard chains what it shows differently. */
import { stat, timeseries, query } from './panels.js';
import { orZero } from './promql.js';

/** Prequential accuracy of each model: over its window and exponentially faded. */
export const onlineAccuracy = (title = 'Online accuracy') =>
  timeseries(title, query('streamtune_online_accuracy', '{{model}} window'), query('streamtune_online_accuracy_faded', '{{model}} faded'))
    .unit('percentunit')
    .min(0)
    .max(1);

export const servingVersion = () => stat('Serving version', 'max by (model, version, backend) (streamtune_model_info)', '{{model}} {{version}} ({{backend}})');

export const sinceLastSwap = () => stat('Since last swap', 'time() - max(streamtune_model_last_swap_timestamp_seconds)').unit('s');

export const trainerUp = () => stat('Trainer up', orZero('max(streamtune_trainer_up)'));

export const consumerLag = () => stat('Consumer lag', 'sum(streamtune_consumer_lag_messages)');
