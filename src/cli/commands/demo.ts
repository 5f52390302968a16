import { runDemo } from '../../app/index.js';
import { type Command, intFlag } from '../args.js';
import { ensureLocalBroker, usableBrokers } from '../local-broker.js';
import { onShutdown } from '../shutdown.js';

export const demoCommand: Command = {
  name: 'demo',
  usage: `Usage: streamtune demo [--brokers HOST:PORT,...] [--port N] [--http-port N] [--metrics-port N] [--rate EVENTS_PER_S] [--exit]

Starts a local Kafka broker unless KAFKA_BROKERS/--brokers is set, batch-trains a base
digits classifier, serves it over gRPC, streams labelled events into Kafka, learns online,
hot-swaps new versions while clients call Predict, and prints a live summary. It then keeps
serving (metrics stay up) until Ctrl-C, or exits at once with --exit.

Example:
  npm run demo            # or: streamtune demo --exit`,
  options: {
    port: { type: 'string' },
    'http-port': { type: 'string' },
    'metrics-port': { type: 'string' },
    rate: { type: 'string' },
    exit: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(values) {
    let brokers = (typeof values.brokers === 'string' ? values.brokers : (process.env.KAFKA_BROKERS ?? '')).split(',').filter(Boolean);
    const local = brokers.length === 0;
    if (local) {
      process.stderr.write('0/4 no KAFKA_BROKERS set: starting the local broker (scripts/kafka.sh up)…\n');
      brokers = await ensureLocalBroker(process.env, (l) => process.stderr.write(`    ${l}\n`));
    } else {
      await usableBrokers({ brokers });
    }
    process.stderr.write(`    Kafka at ${brokers.join(',')}\n`);
    const demo = await runDemo({
      brokers,
      grpcPort: intFlag(values, 'port'),
      httpPort: intFlag(values, 'http-port'),
      metricsPort: intFlag(values, 'metrics-port'),
      rate: intFlag(values, 'rate'),
      backend: values.backend as string | undefined,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(demo.summary)}\n`);
    if (!values.exit) {
      process.stderr.write(`serving until Ctrl-C: try  curl -s ${demo.summary.metrics} | grep ^streamtune_\n`);
      await onShutdown(() => demo.stop());
    } else {
      await demo.stop();
    }
    process.stderr.write(local ? 'stopped (the local broker keeps running: npm run kafka:down stops it)\n' : 'stopped\n');
    return demo.summary.failedCalls === 0 ? 0 : 1;
  },
};
