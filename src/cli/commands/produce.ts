import { loadConfig } from '../../config/index.js';
import { readEventsJsonl } from '../../data/index.js';
import { ConfigError } from '../../errors/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../kafka/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';
import { ensureLocalBroker } from '../local-broker.js';

export const produceCommand: Command = {
  name: 'produce',
  summary: 'send label events from a JSONL file to Kafka',
  usage: `Usage: streamtune produce FILE [--brokers HOST:PORT,...] [--topic NAME] [--rate EVENTS_PER_S] [--batch N]

Validates each line as a label event and sends the valid ones to the labels topic
(key = event id). Invalid lines are reported with their reason; the exit code is 2
when any line was rejected. Without brokers configured, the local broker is started.

Example:
  streamtune produce data/digits/stream.jsonl --rate 200`,
  options: {
    topic: { type: 'string' },
    rate: { type: 'string' },
    batch: { type: 'string' },
  },
  async run(values, positionals) {
    const file = positionals[0];
    if (!file) throw new ConfigError('FILE', 'a JSONL file of label events is required');
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
    const brokers = config.kafka.brokers.length > 0 ? config.kafka.brokers : await ensureLocalBroker();
    const topic = (values.topic as string | undefined) ?? config.kafka.labelsTopic;
    const rate = intFlag(values, 'rate');
    const batch = intFlag(values, 'batch') ?? 100;
    const { events, rejected } = await readEventsJsonl(file);
    for (const r of rejected) process.stderr.write(`${file}:${r.line}: rejected (${r.reason}): ${r.message}\n`);
    const kafka = createKafka(brokers, `${config.kafka.clientId}-producer`);
    await ensureTopics(kafka, [{ topic }]);
    const producer = new EventProducer(kafka, topic);
    const started = Date.now();
    try {
      for (let i = 0; i < events.length; i += batch) {
        await producer.send(events.slice(i, i + batch));
        if (rate) {
          const due = started + ((i + batch) / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
    } finally {
      await producer.close();
    }
    process.stdout.write(`${JSON.stringify({ topic, brokers, sent: events.length, rejected: rejected.length, seconds: (Date.now() - started) / 1000 })}\n`);
    return rejected.length > 0 ? 2 : 0;
  },
};
