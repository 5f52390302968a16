import { TrainerProcess } from '../../app/index.js';
import { loadConfig, ConfigError } from '../../core/index.js';
import { type Command, commonOverrides } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const learnCommand: Command = {
  name: 'learn',
  summary: 'run only the online trainer: learn from Kafka, save checkpoints, announce versions',
  usage: `Usage: streamtune learn [--brokers HOST:PORT,...] [--model NAME] [--registry DIR] [--config FILE]

Learns from the labels topic and saves a checkpoint version (weights + Kafka offsets) every
N steps or T ms, announcing each on the models topic for replicas started with
\`streamtune serve --follow\`. Run two for a hot standby: the group gives one the partitions,
and the other takes over from the last checkpoint if it dies. Ctrl-C saves and commits.

Example:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune learn --model digits --registry /shared/registry`,
  options: {},
  async run(values) {
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
    if (config.kafka.brokers.length === 0) throw new ConfigError('kafka.brokers', 'learning needs Kafka brokers (--brokers or KAFKA_BROKERS)');
    await usableBrokers(config.kafka.brokers);
    const trainer = new TrainerProcess(config);
    let learned = 0;
    trainer.on('stats', (m) => (learned += m.stats.learned));
    trainer.on('version', (m) =>
      process.stderr.write(`checkpoint ${config.model}@${m.meta.version}: ${m.meta.examplesSeen} examples, offsets ${JSON.stringify(m.meta.offsets)}\n`),
    );
    trainer.on('log', (m) => process.stderr.write(`${m.line}\n`));
    const stopped = onShutdown(() => trainer.stop());
    await trainer.start();
    process.stderr.write(`learning ${config.model} from ${config.kafka.labelsTopic} (backend ${trainer.backend}); Ctrl-C stops\n`);
    await Promise.race([stopped, new Promise<void>((resolve) => trainer.once('exit', () => resolve()))]);
    process.stderr.write(`stopped after learning ${learned} events\n`);
    return 0;
  },
};
