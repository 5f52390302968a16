import { ConfigError, loadConfig } from '../../core/index.js';
import { createKafka } from '../../ingest/index.js';
import { LabellingServer } from '../../labelling/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const labelCommand: Command = {
  name: 'label',
  usage: `Usage: streamtune label [--port P] [--host H] [--requests-topic NAME] [--group NAME] [--feature-shape ROWSxCOLS] [--brokers HOST:PORT,...]

Serves a web page that shows the label requests the server publishes (start it
with activeLearning.enabled) one at a time: the input (text, the image, an audio
player with its spectrogram; feature vectors of --feature-shape as an image,
others as a table), the model's guess and its confidence. A class button or its
number key (1-9, 0 for the tenth class) labels the item, s skips it; the label goes to the labels topic as a
normal label event with the request's id. Every labelling server of one group
shares the requests: no item is shown twice.

The page needs a login. With STREAMTUNE_LABEL_TOKEN (labelling.token, 16
characters or more) set, labellers type that token; without it, a random token
is made at each start and a login URL carrying it is printed. The page is served
on loopback unless labelling.tls is set (or labelling.allowPlaintextNetwork);
behind a reverse proxy, list its origin in labelling.origins.

Example:
  streamtune label --port 8080 --feature-shape 8x8     # the digits demo; open the printed login URL`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'requests-topic': { type: 'string' },
    group: { type: 'string' },
    'feature-shape': { type: 'string' },
  },
  async run(values) {
    // --host and --port are config keys like the others: the same binding rule, the same one-line error.
    const overrides = { ...commonOverrides(values), labelling: { host: values.host as string | undefined, port: intFlag(values, 'port') } };
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides });
    const shape = values['feature-shape'] as string | undefined;
    const dims = shape === undefined ? undefined : /^([1-9]\d*)x([1-9]\d*)$/.exec(shape);
    if (dims === null) throw new ConfigError('--feature-shape', `"${shape}" is not ROWSxCOLS (e.g. 8x8)`);
    const connection = await usableBrokers(config.kafka);
    const topic = (values['requests-topic'] as string | undefined) ?? config.activeLearning.topic;
    const { host, port, token, tls, origins } = config.labelling;
    const server = new LabellingServer(createKafka(connection, `${config.kafka.clientId}-labelling`), {
      topic,
      groupId: (values.group as string | undefined) ?? 'streamtune-labellers',
      labelsTopic: config.kafka.labelsTopic,
      host,
      port,
      token,
      origins,
      ...(tls ? { tls } : {}),
      ...(dims ? { featureShape: [Number(dims[1]), Number(dims[2])] as const } : {}),
    });
    await server.start();
    process.stderr.write(`labelling page on ${server.url} (requests from ${topic}, labels to ${config.kafka.labelsTopic})\n`);
    // A configured token is the operator's secret: never printed. A generated one exists only to be printed.
    process.stderr.write(server.tokenGenerated ? `log in: ${server.loginUrl}\n` : 'log in with the token of STREAMTUNE_LABEL_TOKEN (labelling.token)\n');
    await onShutdown(() => server.close());
    return 0;
  },
};
