import { ConfigError, loadConfig } from '../../core/index.js';
import { createKafka } from '../../ingest/index.js';
import { LabellingServer } from '../../labelling/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const labelCommand: Command = {
  name: 'label',
  summary: 'serve the labelling web page for uncertain predictions',
  usage: `Usage: streamtune label [--port P] [--host H] [--requests-topic NAME] [--group NAME] [--feature-shape ROWSxCOLS] [--brokers HOST:PORT,...]

Serves a web page that shows the label requests the server publishes (start it
with activeLearning.enabled) one at a time: the input (text, the image, an audio
player with its spectrogram; feature vectors of --feature-shape as an image,
others as a table), the model's guess and its confidence. A class button or its
number key labels the item, s skips it; the label goes to the labels topic as a
normal label event with the request's id. Every labelling server of one group
shares the requests: no item is shown twice.

Example:
  streamtune label --port 8080 --feature-shape 8x8     # the digits demo`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'requests-topic': { type: 'string' },
    group: { type: 'string' },
    'feature-shape': { type: 'string' },
  },
  async run(values) {
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
    const shape = values['feature-shape'] as string | undefined;
    const dims = shape === undefined ? undefined : /^([1-9]\d*)x([1-9]\d*)$/.exec(shape);
    if (dims === null) throw new ConfigError('--feature-shape', `"${shape}" is not ROWSxCOLS (e.g. 8x8)`);
    const connection = await usableBrokers(config.kafka);
    const topic = (values['requests-topic'] as string | undefined) ?? config.activeLearning.topic;
    const server = new LabellingServer(createKafka(connection, `${config.kafka.clientId}-labelling`), {
      topic,
      groupId: (values.group as string | undefined) ?? 'streamtune-labellers',
      labelsTopic: config.kafka.labelsTopic,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      port: intFlag(values, 'port') ?? 8080,
      ...(dims ? { featureShape: [Number(dims[1]), Number(dims[2])] as const } : {}),
    });
    await server.start();
    process.stderr.write(`labelling page on ${server.url} (requests from ${topic}, labels to ${config.kafka.labelsTopic})\n`);
    await onShutdown(() => server.close());
    return 0;
  },
};
