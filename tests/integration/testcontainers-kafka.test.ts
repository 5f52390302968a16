/**
 * Testcontainers for real: a Kafka broker in a container (the apache/kafka image,
 * or STREAMTUNE_KAFKA_IMAGE) on the engine Testcontainers finds — Docker, or
 * podman's Docker API (DOCKER_HOST=unix://…) — and streamtune's producer and a
 * consumer through it. Outside the default `npm test` run (vitest.config.ts
 * includes it only with STREAMTUNE_TESTCONTAINERS=1); `npm run -s
 * test:testcontainers` starts podman's API socket and runs it, as CI does.
 * No engine is a failure, never a skip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { KAFKA_IMAGE, startKafkaContainer } from '../helpers/kafka-global-setup.js';
import { readTopic } from '../helpers/read-topic.js';
import { uniq } from '../helpers/wait-for.js';

describe(`Kafka in a container (${KAFKA_IMAGE}) through Testcontainers`, () => {
  let kafka: Awaited<ReturnType<typeof startKafkaContainer>> | undefined;

  beforeAll(async () => {
    try {
      kafka = await startKafkaContainer();
    } catch (err) {
      throw new Error(
        `Testcontainers could not start ${KAFKA_IMAGE}: ${(err as Error).message}\n` +
          'It needs a Docker-compatible engine (Docker, or `podman system service` with DOCKER_HOST set; npm run -s test:testcontainers does this) ' +
          'and the image (on machines without a registry: bash scripts/containers/build-bases.sh).',
      );
    }
  }, 300_000);

  afterAll(async () => {
    await kafka?.stop();
  });

  it('carries label events from streamtune’s producer to a consumer, in order, none lost', async () => {
    const client = createKafka(kafka!.brokers.split(','), 'streamtune-testcontainers');
    const topic = `test.testcontainers.${uniq()}`;
    await ensureTopics(client, [{ topic }]);
    const events = Array.from({ length: 50 }, (_, i) => ({ id: `tc-${i}`, input: { features: [i, i / 2, 50 - i] }, label: i % 2 ? 'odd' : 'even' }));
    const producer = new EventProducer(client, topic);
    await producer.send(events);
    await producer.close();

    const read = await readTopic(client, topic, events.length);
    expect(read.map((m) => m.key?.toString())).toEqual(events.map((e) => e.id));
    expect(read.map((m) => JSON.parse(m.value!.toString()) as unknown)).toEqual(events.map((e) => ({ ts: expect.any(Number), ...e })));
  });
});
