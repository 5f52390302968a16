import { countTrainer, startLagMonitor, TrainerProcess, TrainerSupervisor } from '../../app/index.js';
import { loadConfig, loggerFromEnv, ConfigError, StreamtuneError } from '../../core/index.js';
import { checkBrokers } from '../../ingest/index.js';
import { createMetrics, initCounters, startMetricsServer } from '../../ops/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const learnCommand: Command = {
  name: 'learn',
  usage: `Usage: streamtune learn [--brokers HOST:PORT,...] [--model NAME] [--models A,B,...] [--metrics-port N] [--registry DIR] [--config FILE]

Learns every model of the registry from the labels topic: each event goes to the model it
names (\`model\`; none: --model), loaded from its newest version on its first event, so a
model made by \`streamtune train --model NAME\` meanwhile is learned without a restart.
Events for a model with no version are dead-lettered (unknown_model); --models (config
\`training.models\`) restricts a trainer to some models (others: wrong_model). Each model
saves a checkpoint version (weights + Kafka offsets) every N steps or T ms, announced on
the models topic for replicas started with \`streamtune serve --follow\`.
Scale out: run several in one group (same \`kafka.groupId\`); events are partitioned by model, so
the group splits the models, and when one trainer dies the others take its partitions
over, each model from its last checkpoint.

The trainer runs in a child process that learn restarts whenever it dies (after 1 s,
2 s, … at most 30 s; one line says why), from each model's newest checkpoint; a labels
topic the brokers do not know yet is waited for, and a broker that goes away is asked
again until it answers. learn exits non-zero only on a mistake of yours, found at start
(a bad flag or config key, brokers that do not answer, a registry with no model), in one
line that names it. Ctrl-C (or SIGTERM) saves, commits and exits 0.

/metrics on --metrics-port (config \`metrics\`, 9464, loopback unless
metrics.allowPlaintextNetwork or metrics.tls): the learning metrics \`serve\` exports
when it trains, under the same names (streamtune_train_examples_total, _loss,
_online_accuracy, _consumer_lag_messages, _trainer_up, …), for Prometheus to scrape
the trainers of a cross-machine deployment (see docs/scaling.md).

Example:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune learn --model digits --registry /shared/registry
  # a second and a third trainer on other machines share the models:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune learn --model digits --registry /shared/registry`,
  options: { models: { type: 'string' }, 'metrics-port': { type: 'string' } },
  async run(values) {
    const overrides = commonOverrides(values);
    if (typeof values.models === 'string') overrides.training = { models: values.models.split(',').filter(Boolean) };
    const metricsPort = intFlag(values, 'metrics-port');
    if (metricsPort !== undefined) overrides.metrics = { port: metricsPort };
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides });
    const logger = loggerFromEnv(process.env);
    if (config.kafka.brokers.length === 0) throw new ConfigError('kafka.brokers', 'learning needs Kafka brokers (--brokers or KAFKA_BROKERS)');
    await usableBrokers(config.kafka);
    // The trainer child's stats, counted here: the child comes and goes, the port stays.
    const metrics = createMetrics();
    initCounters(metrics, { 'labels topic': [config.kafka.labelsTopic], 'dead-letter topic': [config.kafka.dlqTopic] });
    metrics.trainerUp.set({ model: config.model }, 0);
    const metricsServer = await startMetricsServer(metrics.registry, config.metrics);
    const lagMonitor = startLagMonitor(config, metrics, logger);
    const supervisor = new TrainerSupervisor({
      create: () => new TrainerProcess(config),
      probe: () => checkBrokers(config.kafka),
      logger,
      meanwhile: 'learn keeps running',
      // Only a setting the user got wrong ends learn (a streamtune error that is not retriable:
      // a bad key, an unusable backend, no model in the registry), and only at the first start.
      fatalAtStart: (err) => err instanceof StreamtuneError && !err.retriable,
    });
    let learned = 0;
    let starts = 0;
    supervisor.on('spawned', (trainer) => {
      countTrainer(trainer, metrics, config);
      trainer.on('stats', (m) => (learned += m.stats.learned));
      trainer.on('version', (m) => logger.info(`checkpoint ${m.meta.model}@${m.meta.version}: ${m.meta.examplesSeen} examples, offsets ${JSON.stringify(m.meta.offsets)}`));
      trainer.on('log', (m) => (m.level === 'warn' ? logger.warn(m.line) : logger.info(m.line)));
      // Why a running trainer is about to exit; a failed start is the supervisor's to report.
      trainer.on('error-message', (message) => {
        if (trainer.ready) logger.error(`trainer error: ${message}`, { event: 'trainer_error' });
      });
    });
    supervisor.on('exited', () => {
      metrics.trainerUp.set({ model: config.model }, 0);
      metrics.trainerRestarts.inc();
    });
    supervisor.on('up', (trainer) => {
      metrics.trainerUp.set({ model: config.model }, 1);
      if (starts++ === 0) {
        // Said once learning runs: a mistake found at start stays the one line learn prints.
        logger.info(`metrics on ${metricsServer.url}`, { event: 'metrics_up', url: metricsServer.url });
        logger.info(`learning ${trainer.models.join(', ')} (and models added later) from ${config.kafka.labelsTopic} (backend ${trainer.backend}, pid ${trainer.pid}); Ctrl-C stops`, { event: 'trainer_up', pid: trainer.pid });
      } else {
        logger.info(`trainer restarted (pid ${trainer.pid}): learning again from each model's newest checkpoint`, { event: 'trainer_up', pid: trainer.pid, restarts: starts - 1 });
      }
    });
    // Listened to before anything can happen: a mistake found at start ends learn with its error line.
    const gaveUp = new Promise<never>((_, reject) => supervisor.once('gave-up', reject));
    const stopped = onShutdown(() => supervisor.close());
    const ended = Promise.race([stopped, gaveUp]);
    try {
      await supervisor.start();
      await ended;
    } finally {
      // After the trainer saved (Ctrl-C), or after a mistake found at start: nothing may hold the process open.
      await Promise.allSettled([lagMonitor.close(), metricsServer.close()]);
    }
    logger.info(`stopped after learning ${learned} events`);
    return 0;
  },
};
