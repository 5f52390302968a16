import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import type { LabelEvent } from '../../src/ingest/index.js';
import { audioSpec, imageSpec, type FeatureSpec } from '../../src/features/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { ConvClassifier } from '../../src/learners/index.js';
import { PredictorClient, type ClientInstance } from '../../src/serving/index.js';
import { makePng, makeWav, stripes, tone } from '../helpers/media-fixtures.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { readTopic } from '../helpers/read-topic.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers);

const readAll = (topic: string, count: number): Promise<KafkaMessage[]> => readTopic(kafka, topic, count);

interface MediaCase {
  name: string;
  spec: FeatureSpec;
  labels: [string, string];
  /** Encoded example of class 0 or 1, varied by `rand`. */
  make(cls: 0 | 1, rand: () => number): Buffer;
  kind: 'image' | 'audio';
  /** Corrupt files, each with the DLQ reason it must get. */
  corrupt: [string, string][];
}

const png = makePng(16, 16, stripes('h'));
const wav = makeWav([tone(400, 8000, 0.3)], 8000);
const CASES: MediaCase[] = [
  {
    name: 'images: horizontal vs vertical stripes',
    spec: imageSpec(8, 8),
    labels: ['horizontal', 'vertical'],
    kind: 'image',
    make: (cls, rand) => makePng(16, 16, stripes(cls === 0 ? 'h' : 'v', Math.floor(rand() * 4))),
    corrupt: [
      ['bad_image', png.subarray(0, png.length - 30).toString('base64')],
      ['bad_image', Buffer.from('GIF89a not supported').toString('base64')],
      ['bad_image', wav.toString('base64')],
      ['wrong_dimension', makePng(1, 1, () => 0).toString('base64')],
    ],
  },
  {
    name: 'audio: low vs high tones',
    spec: audioSpec(8000, 16, 16),
    labels: ['high', 'low'],
    kind: 'audio',
    // Clips at 16 kHz stereo: the pipeline downmixes and resamples them to the model's 8 kHz.
    make: (cls, rand) => {
      const t = tone(cls === 0 ? 2000 + rand() * 800 : 250 + rand() * 150, 16_000, 0.3, rand);
      return makeWav([t, t], 16_000);
    },
    corrupt: [
      ['bad_audio', Buffer.from('not a wav at all').toString('base64')],
      ['bad_audio', wav.subarray(0, wav.length - 200).toString('base64')],
      ['bad_audio', png.toString('base64')],
    ],
  },
];

describe.each(CASES)('$name through the real broker to a served version', (c) => {
  let dir: string;
  let app: StreamtuneServer;
  let client: PredictorClient;
  const id = uniq();
  const labelsTopic = `test.media.labels.${id}`;
  const dlqTopic = `test.media.dlq.${id}`;

  beforeAll(async () => {
    // WASM has no Conv2D gradients: a WASM run trains these tiny CNNs on the CPU backend instead.
    const testBackend = await useTestBackend();
    const backend = testBackend === 'wasm' ? 'cpu' : testBackend;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-media-'));
    const config = loadConfig({
      overrides: {
        model: 'm',
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic, groupId: `media-${id}` },
        serving: { port: 0, http: { port: 0 } },
        metrics: { port: 0 },
        training: { maxBatchSize: 8, maxBatchWaitMs: 50, versionEverySteps: 5, versionEveryMs: 500 },
      },
    });
    app = new StreamtuneServer(config, () => {});
    const base = new ConvClassifier({ featureSpec: c.spec, labels: [...c.labels], filters: [8], hiddenUnits: [16], learningRate: 0.01 });
    await app.store.save('m', base, { parent: null, regime: 'supervised', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    await ensureTopics(kafka, [{ topic: labelsTopic }, { topic: dlqTopic }]);
    await app.start();
    client = new PredictorClient(app.grpc!.address);
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('learns the events, serves Predict on the raw file, and dead-letters each corrupt file with its reason', async () => {
    const rand = seededRandom(5);
    const events: LabelEvent[] = Array.from({ length: 160 }, (_, i) => {
      const cls = (i % 2) as 0 | 1;
      return { id: `${c.kind}-${i}`, input: { [c.kind]: c.make(cls, rand).toString('base64') } as LabelEvent['input'], label: c.labels[cls] };
    });
    const probe = Array.from({ length: 20 }, (_, i) => ({ cls: (i % 2) as 0 | 1, bytes: c.make((i % 2) as 0 | 1, rand) }));
    const asInstance = (b: Buffer): ClientInstance => (c.kind === 'image' ? { image: b } : { audio: b });
    const accuracy = async (): Promise<number> => {
      const res = await client.predict(probe.map((p) => asInstance(p.bytes)));
      return res.predictions.filter((p, i) => p.label === c.labels[probe[i]!.cls]).length / probe.length;
    };
    const before = await accuracy();

    const producer = new EventProducer(kafka, labelsTopic);
    const bad = c.corrupt.map(([, data], i) => ({ id: `bad-${i}`, input: { [c.kind]: data } as LabelEvent['input'], label: c.labels[0] }));
    const all = [...events.slice(0, 80), ...bad, ...events.slice(80)];
    // Small sends: a batch of WAV events would pass the broker's 1 MB request limit.
    for (let i = 0; i < all.length; i += 20) await producer.send(all.slice(i, i + 20));
    await producer.close();
    await waitFor('a served version that learned all 160 valid events', () => (app.holder.meta?.examplesSeen ?? 0) >= 160);
    const after = await accuracy();
    expect(after).toBeGreaterThanOrEqual(0.9);
    expect(after).toBeGreaterThan(before);

    const dead = await readAll(dlqTopic, bad.length);
    expect(dead.map((m) => m.headers!['streamtune-reason']!.toString())).toEqual(c.corrupt.map(([reason]) => reason));

    // The RPC edge names the field of a corrupt file and answers INVALID_ARGUMENT.
    const [, corruptData] = c.corrupt[0]!;
    const err = await client.predict([asInstance(probe[0]!.bytes), asInstance(Buffer.from(corruptData, 'base64'))]).catch((e: { code: number; details: string }) => e);
    expect((err as { code: number }).code).toBe(3);
    expect((err as { details: string }).details).toContain(`instances[1].${c.kind}`);
    const empty = await client.predict([asInstance(Buffer.alloc(0))]).catch((e: { code: number; details: string }) => e);
    expect((empty as { details: string }).details).toMatch(new RegExp(`instances\\[0\\]\\.${c.kind} is empty`));
  });
});
