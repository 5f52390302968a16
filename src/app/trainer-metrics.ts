import type { Config, Logger } from '../core/index.js';
import { createKafka } from '../ingest/index.js';
import { ConsumerLagMonitor, type Metrics } from '../ops/index.js';
import { applyStats } from '../training/trainer-stats.js';
import type { TrainerProcess } from './trainer-process.js';

/**
 * Counts what one trainer process reports in `metrics`: each step's stats, the
 * records it dead-lettered, the versions it saved and the backend it trains on.
 * `streamtune serve` and `streamtune learn` both count their trainer child with it,
 * so the learning metrics have one set of names whichever process exports them.
 *
 * @example
 * supervisor.on('spawned', (trainer) => countTrainer(trainer, metrics, config));
 */
export function countTrainer(trainer: TrainerProcess, metrics: Metrics, config: Config): void {
  trainer.on('stats', (m) => {
    applyStats(metrics, m.stats);
    // The step awaited the dead-letter producer before it sent its stats: these records are in the topic.
    const dead = Object.values(m.stats.rejected).reduce((a, b) => a + b, 0);
    if (dead > 0) metrics.dlqMessages.inc({ topic: config.kafka.dlqTopic }, dead);
  });
  trainer.on('version', (m) => metrics.versionsCreated.inc({ model: m.meta.model }));
  trainer.on('ready', (m) => metrics.backendInfo.set({ role: 'training', backend: m.backend }, 1));
}

/**
 * Measures the trainer group's consumer lag (`streamtune_consumer_lag_messages`)
 * from the broker's offsets every `metrics.consumerLagIntervalMs`; a broker that
 * cannot answer now is asked again at the next interval. Returned at once (the
 * first measurement runs in the background), so it can be closed at any time.
 *
 * @example
 * const monitor = startLagMonitor(config, metrics, logger);
 * // … on close: await monitor.close();
 */
export function startLagMonitor(config: Config, metrics: Metrics, logger: Logger): ConsumerLagMonitor {
  // No retries: a broker that is away is asked again at the next interval.
  const kafka = createKafka(config.kafka, `${config.kafka.clientId}-lag`, (l) => logger.debug(l), 0);
  const monitor = new ConsumerLagMonitor(kafka, metrics.consumerLag, {
    topic: config.kafka.labelsTopic,
    groupId: config.kafka.groupId,
    intervalMs: config.metrics.consumerLagIntervalMs,
    onError: (err) => logger.debug(`consumer lag not measured: ${err.message}`),
  });
  void monitor.start();
  return monitor;
}
