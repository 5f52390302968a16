import { StreamtuneServer } from '../../app/index.js';
import { loadConfig } from '../../core/index.js';
import { startTracing } from '../../ops/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: `Usage: streamtune serve [--port N] [--http-port N | --no-http] [--metrics-port N] [--brokers HOST:PORT,...] [--no-learn | --follow]
                       [--regime as-trained|self-training] [--model NAME] [--registry DIR] [--config FILE]

Serves streamtune.v1.Predictor, the Open Inference Protocol (KServe v2) and ModelAdmin
over gRPC on --port (50051, with health and reflection), KServe v2 REST on --http-port
(8000; --no-http turns it off) and /metrics on --metrics-port (9464). With
Kafka brokers (--brokers or KAFKA_BROKERS), a trainer process learns from the labels
topic and each new version is hot-swapped in without failing a call (and announced on the
models topic). With --follow the server is a serving replica: it does not train, and loads
each version announced on the models topic from the shared registry. Ctrl-C stops cleanly.

Example:
  KAFKA_BROKERS=127.0.0.1:19092 streamtune serve --model digits --port 50051 --http-port 8000`,
  options: {
    port: { type: 'string' },
    'http-port': { type: 'string' },
    'no-http': { type: 'boolean' },
    'metrics-port': { type: 'string' },
    'no-learn': { type: 'boolean' },
    follow: { type: 'boolean' },
    regime: { type: 'string' },
  },
  async run(values) {
    const overrides = commonOverrides(values);
    const port = intFlag(values, 'port');
    const metricsPort = intFlag(values, 'metrics-port');
    const httpPort = intFlag(values, 'http-port');
    const http = { ...(httpPort === undefined ? {} : { port: httpPort }), ...(values['no-http'] ? { enabled: false } : {}) };
    overrides.serving = { ...(port === undefined ? {} : { port }), ...(values.follow ? { follow: true } : {}), ...(Object.keys(http).length ? { http } : {}) };
    if (metricsPort !== undefined) overrides.metrics = { port: metricsPort };
    if (values['no-learn']) overrides.training = { enabled: false };
    // Online regime (training.regime): as-trained, or self-training on unlabelled events.
    if (typeof values.regime === 'string') overrides.training = { ...(overrides.training as object | undefined), regime: values.regime };
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides });
    // A replica that follows the models topic has nothing to serve without the brokers: say so
    // in seconds. A server that learns serves anyway and starts learning when they answer
    // (its trainer supervisor warns once, naming them).
    if (config.kafka.brokers.length > 0 && config.serving.follow) await usableBrokers(config.kafka);
    // Spans of this process (its trainer child starts its own from the same config); see docs/tracing.md.
    const tracing = await startTracing(config.tracing, { role: 'serve', log: (line) => process.stderr.write(`${line}\n`) });
    const app = new StreamtuneServer(config);
    // Every served model swaps: the line names the one that did.
    app.on('swap', (m) => process.stderr.write(`swapped in ${m.model}@${m.version} (parent ${m.parent ?? '-'})\n`));
    const stopped = onShutdown(async () => {
      process.stderr.write('shutting down: NOT_SERVING, draining, saving, committing…\n');
      await app.close();
      await tracing.shutdown();
    });
    await app.start();
    await stopped;
    return 0;
  },
};
