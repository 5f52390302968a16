/**
 * Box and keypoint models through the real broker: PNG label events with their
 * boxes or keypoints in pixels of the whole (wider) image → Kafka → the trainer
 * process learns them → a served version records its prequential mAP@0.5 or
 * PCK, and the metrics endpoint exports it; a box or keypoint outside its image is
 * dead-lettered with its reason.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig } from '../../src/core/index.js';
import { imageSpec } from '../../src/features/index.js';
import { createKafka, ensureTopics, EventProducer, type LabelEvent } from '../../src/ingest/index.js';
import { BoxDetector, KeypointDetector, type Learner } from '../../src/learners/index.js';
import { readTopic } from '../helpers/read-topic.js';
import { shapePngs, type ShapePng } from '../helpers/shape-stream.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers);
const EVENTS = 400;
const spec = imageSpec(16, 16);

interface Case {
  name: string;
  make(): Learner;
  label(s: ShapePng['square']): LabelEvent['label'];
  versionMetric: string;
  gauge: string;
}

const CASES: Case[] = [
  {
    name: 'boxes',
    make: () => new BoxDetector({ featureSpec: spec, labels: ['square'], filters: [8, 16], learningRate: 0.01 }),
    label: (s) => ({ boxes: [{ x: s.x, y: s.y, w: s.side, h: s.side, label: 'square' }] }),
    versionMetric: 'prequentialBoxMap',
    gauge: 'streamtune_online_box_map',
  },
  {
    name: 'keypoints',
    make: () => new KeypointDetector({ featureSpec: spec, labels: ['centre', 'corner'], filters: [8, 16], learningRate: 0.01 }),
    label: (s) => ({ keypoints: [{ x: s.x + s.side / 2, y: s.y + s.side / 2, label: 'centre' }, { x: s.x, y: s.y, label: 'corner' }] }),
    versionMetric: 'prequentialPck',
    gauge: 'streamtune_online_pck',
  },
];

describe.each(CASES)('$name models learn from the real broker', (c) => {
  let dir: string;
  let app: StreamtuneServer;
  const id = uniq();
  const labelsTopic = `test.shapes.labels.${id}`;
  const dlqTopic = `test.shapes.dlq.${id}`;

  beforeAll(async () => {
    // WASM has no Conv2D gradients: a WASM run trains these tiny CNNs on the CPU backend instead.
    const testBackend = await useTestBackend();
    const backend = testBackend === 'wasm' ? 'cpu' : testBackend;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-shapes-'));
    const config = loadConfig({
      overrides: {
        model: 'm',
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic, groupId: `shapes-${id}` },
        serving: { port: 0, http: { port: 0 } },
        metrics: { port: 0 },
        training: { maxBatchSize: 8, maxBatchWaitMs: 50, versionEverySteps: 5, versionEveryMs: 500, accuracyWindow: 100 },
      },
    });
    app = new StreamtuneServer(config, () => {});
    const base = c.make();
    await app.store.save('m', base, { parent: null, regime: 'supervised', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    await ensureTopics(kafka, [{ topic: labelsTopic }, { topic: dlqTopic }]);
    await app.start();
  });

  afterAll(async () => {
    await app?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('learns the labelled images, records the metric of its kind per version and exports it; a box or keypoint outside the image is dead-lettered', async () => {
    const events: LabelEvent[] = shapePngs(EVENTS, 3).map((d, i) => ({ id: `${c.name}-${i}`, input: { image: d.png }, label: c.label(d.square) }));
    const outside = { id: 'outside', input: events[0]!.input, label: c.name === 'boxes' ? { boxes: [{ x: 30, y: 4, w: 20, h: 8, label: 'square' }] } : { keypoints: [{ x: 41, y: 4, label: 'centre' }] } };
    const producer = new EventProducer(kafka, labelsTopic);
    const all = [...events.slice(0, 50), outside as LabelEvent, ...events.slice(50)];
    for (let i = 0; i < all.length; i += 50) await producer.send(all.slice(i, i + 50));
    await producer.close();

    await waitFor(`a served version that learned all ${EVENTS} images`, () => (app.holder.meta?.examplesSeen ?? 0) >= EVENTS, 540_000);
    const meta = app.holder.meta!;
    expect(meta.description.task).toBe(c.name);
    // Prequential over the last 100 images: each scored before it was learned.
    expect(meta.metrics[c.versionMetric]).toBeGreaterThan(0.7);

    const body = await (await fetch(app.metricsUrl)).text();
    const gauge = new RegExp(`^${c.gauge}\\{model="m"\\} ([0-9.e-]+)$`, 'm').exec(body);
    expect(gauge, `${c.gauge} in the scrape`).not.toBeNull();
    expect(Number(gauge![1])).toBeGreaterThan(0.7);

    const dead = await readTopic(kafka, dlqTopic, 1);
    expect(dead[0]!.headers!['streamtune-reason']!.toString()).toBe(c.name === 'boxes' ? 'box_outside_image' : 'keypoint_outside_image');
  }, 600_000);
});
