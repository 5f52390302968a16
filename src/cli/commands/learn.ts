import { TrainerProcess } from '../../app/index.js';
import { loadConfig, ConfigError } from '../../core/index.js';
import { type Command, commonOverrides } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const learnCommand: Command = {
  name: 'learn',
  summary: 'run only the online trainer: learn from Kafka, save checkpoints, announce versions',
  usage: `Usage: streamtune learn [--brokers HOST:PORT,...] [--model NAME] [--models A,B,...] [--registry DIR] [--config FILE]

Learns every model of the registry from the labels topic: each event goes to the model it
names (\`model\`; none: --model), loaded from its newest version on its first event, so a
model made by \`streamtune train --model NAME\` meanwhile is learned without a restart.
Events for a model with no version are dead-lettered (unknown_model); --models (config
\`training.models\`) restricts a trainer to some models (others: wrong_model). Each model
saves a checkpoint version (weights + Kafka offsets) every N steps or T ms, announced on
the models topic for replicas started with \`streamtune serve --follow\`.
Scale out: run several in one group (same \`kafka.groupId\`); events are partitioned by model, so
the group splits the models, and when one trainer dies the others take its partitions
over, each model from its last checkpoint. Ctrl-C saves and commits.

Example:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune learn --model digits --registry /shared/registry
  # a second and a third trainer on other machines share the models:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune learn --model digits --registry /shared/registry`,
  options: { models: { type: 'string' } },
  async run(values) {
    const overrides = commonOverrides(values);
    if (typeof values.models === 'string') overrides.training = { models: values.models.split(',').filter(Boolean) };
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides });
    if (config.kafka.brokers.length === 0) throw new ConfigError('kafka.brokers', 'learning needs Kafka brokers (--brokers or KAFKA_BROKERS)');
    await usableBrokers(config.kafka.brokers);
    const trainer = new TrainerProcess(config);
    let learned = 0;
    trainer.on('stats', (m) => (learned += m.stats.learned));
    trainer.on('version', (m) =>
      process.stderr.write(`checkpoint ${m.meta.model}@${m.meta.version}: ${m.meta.examplesSeen} examples, offsets ${JSON.stringify(m.meta.offsets)}\n`),
    );
    trainer.on('log', (m) => process.stderr.write(`${m.line}\n`));
    const stopped = onShutdown(() => trainer.stop());
    await trainer.start();
    process.stderr.write(`learning ${trainer.models.join(', ')} (and models added later) from ${config.kafka.labelsTopic} (backend ${trainer.backend}, pid ${trainer.pid}); Ctrl-C stops\n`);
    await Promise.race([stopped, new Promise<void>((resolve) => trainer.once('exit', () => resolve()))]);
    process.stderr.write(`stopped after learning ${learned} events\n`);
    return 0;
  },
};
