import { ConfigError, loadConfig, loggerFromEnv } from '../../core/index.js';
import { createKafka } from '../../ingest/index.js';
import { FeedbackJoiner, untilNoJoiner } from '../../labelling/index.js';
import { createFeedbackMetrics, startMetricsServer } from '../../ops/index.js';
import { isFenced } from '../../registry/index.js';
import { type Command, commonOverrides } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

/** Delay before a joiner that failed on a broker error is started again, doubled up to a minute. */
const RETRY_MS = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000];
/** How often a fenced joiner looks whether the joiner that fenced it is still in the group. */
const STANDBY_POLL_MS = 2000;

export const joinCommand: Command = {
  name: 'join',
  usage: `Usage: streamtune join [--brokers HOST:PORT,...] [--window-ms N] [--config FILE]

Reads the prediction log (feedback.log.topic, written by \`streamtune serve\` with
feedback.log.enabled) and the labels topic. Each label sent by reference — the Feedback
RPC, \`POST /v2/models/{m}/feedback\`, or an event {"id", "model", "prediction_id",
"label"} on the labels topic — is matched to its logged prediction and sent on the labels
topic once as a complete event (the prediction's input and the label), which the trainer
learns. A label whose prediction is not seen within feedback.windowMs (default 7 days)
is dead-lettered no_prediction; a second label for a prediction, duplicate_feedback.

Exactly once: each step is one Kafka transaction (joined events, dead letters, state,
offsets); a joiner killed at any point is started again by its supervisor (systemd,
Kubernetes, compose \`restart\`) and rebuilds its memory from the state topic and the
prediction log. Run one joiner per feedback.groupId: a new one fences the one before,
which then stands by until the group has no member (the new one gone) before it
takes over again.
Metrics (streamtune_feedback_*) on metrics.host:feedback.metricsPort (default 9466).

Example:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune join`,
  options: { 'window-ms': { type: 'string' } },
  async run(values) {
    const overrides = commonOverrides(values);
    if (typeof values['window-ms'] === 'string') {
      const n = Number(values['window-ms']);
      if (!Number.isInteger(n) || n < 1) throw new ConfigError('--window-ms', `"${values['window-ms']}" is not a whole number of milliseconds ≥ 1`);
      overrides.feedback = { windowMs: n };
    }
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides });
    const logger = loggerFromEnv(process.env);
    if (config.kafka.brokers.length === 0) throw new ConfigError('kafka.brokers', 'joining needs Kafka brokers (--brokers or KAFKA_BROKERS)');
    await usableBrokers(config.kafka);
    const metrics = createFeedbackMetrics({ defaultMetrics: false });
    const server = await startMetricsServer(metrics.registry, { host: config.metrics.host, port: config.feedback.metricsPort, tls: config.metrics.tls });
    logger.info(`feedback metrics on ${server.url}`);
    const kafka = createKafka(config.kafka, `${config.kafka.clientId}-joiner`, (l) => logger.warn(l));
    let joiner: FeedbackJoiner | undefined;
    let stopping = false;
    let failures = 0;
    // Supervision in the process: a joiner that failed is replaced after a backoff (its memory is rebuilt from Kafka).
    const launch = async (): Promise<void> => {
      while (!stopping) {
        const j = new FeedbackJoiner({ kafka, feedback: config.feedback, labelsTopic: config.kafka.labelsTopic, dlqTopic: config.kafka.dlqTopic, metrics, log: (l) => logger.info(l) });
        joiner = j;
        const failed = new Promise<Error>((resolve) => j.once('failed', resolve));
        let err: Error;
        try {
          await j.start();
          failures = 0;
          logger.info(`joining labels by reference on ${config.kafka.labelsTopic} to predictions on ${config.feedback.log.topic} (window ${config.feedback.windowMs} ms)`, { event: 'joiner_up' });
          err = await failed;
        } catch (e) {
          err = e as Error;
          logger.warn(`feedback joiner could not start: ${err.message}`);
          await j.close();
        }
        if (stopping) return;
        if (isFenced(err)) {
          // Another joiner holds the transactional id: taking it back now would fence that one, and the two would take turns.
          // (A transaction of this joiner's own that timed out is refused the same way; the group is empty then, and it starts at once.)
          logger.warn(`feedback joiner fenced (another joiner of ${config.feedback.groupId} took over): standing by until that group has no member`, { event: 'joiner_standby' });
          await j.close();
          await untilNoJoiner(kafka, config.feedback.groupId, { intervalMs: STANDBY_POLL_MS, stopped: () => stopping });
          failures = 0;
          continue;
        }
        const delay = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
        logger.warn(`feedback joiner starts again in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    };
    const loop = launch();
    await onShutdown(async () => {
      stopping = true;
      await joiner?.close();
      await server.close();
    });
    await Promise.race([loop, new Promise((r) => setTimeout(r, 100))]);
    return 0;
  },
};
