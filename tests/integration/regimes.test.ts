/**
 * Every learning regime runs end to end through a real broker: a base version is
 * built for the regime, labelled and unlabelled events flow through Kafka, and
 * the trainer saves versions that the registry serves (promoted, loadable,
 * predicting), with the regime recorded.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { trainingConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier, trainBatch, type Learner } from '../../src/learners/index.js';
import { buildRegimeLearner, REGIMES, type Regime } from '../../src/regimes/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { startFleetLearning, type TrainerStats } from '../../src/training/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-test');
const DIM = 6;
const featureSpec = { kind: 'features' as const, dim: DIM };
const labels = ['down', 'up'];

function point(rand: () => number): number[] {
  return Array.from({ length: DIM }, () => rand() * 2 - 1);
}
// Both halves of the input carry the concept, so each co-training view can learn it.
const cls = (x: number[]): string => (x[0]! + x[1]! + x[3]! + x[4]! > 0 ? 'up' : 'down');
const reg = (x: number[]): number => 2 * x[0]! - x[3]! + 1;

type Ev = { id: string; input: { features: number[] }; label: string | number | null };

/** Labelled events, unlabelled ones, then the true labels of the unlabelled ones (same ids). */
function stream(regression: boolean, seed: number): Ev[] {
  const rand = seededRandom(seed);
  const out: Ev[] = [];
  const later: Ev[] = [];
  for (let i = 0; i < 400; i++) {
    const x = point(rand);
    const y = regression ? reg(x) : cls(x);
    if (!regression && i % 4 === 3) {
      out.push({ id: `e${i}`, input: { features: x }, label: null });
      later.push({ id: `e${i}`, input: { features: x }, label: y });
    } else out.push({ id: `e${i}`, input: { features: x }, label: y });
  }
  return [...out, ...later];
}

describe('every learning regime through a real Kafka broker', () => {
  let store: VersionStore;
  let encoderDir: string;

  beforeAll(async () => {
    await useTestBackend();
    store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-regimes-')));
    // A "pretrained" model whose hidden layers become the encoder of transfer and fine-tune.
    const pre = new DenseClassifier({ featureSpec, labels, hiddenUnits: [16, 8], learningRate: 0.01, seed: 3 });
    const rand = seededRandom(42);
    await trainBatch(pre, Array.from({ length: 300 }, () => point(rand)).map((x) => ({ x, y: cls(x) })), { epochs: 5 });
    const meta = await store.save('pretrained', pre, { parent: null, regime: 'supervised-batch', backend: 'test', examplesSeen: 300, metrics: {}, offsets: {} });
    encoderDir = store.versionDir('pretrained', meta.version);
    pre.dispose();
  });

  afterAll(async () => {
    await fs.rm(store.root, { recursive: true, force: true });
  });

  const cases: { regime: Regime; task: 'classification' | 'regression' }[] = [
    ...REGIMES.map((regime) => ({ regime, task: 'classification' as const })),
    { regime: 'supervised', task: 'regression' },
    { regime: 'autoencoder', task: 'regression' },
  ];

  it.each(cases)('$regime ($task) learns from the stream and produces a served version', async ({ regime, task }) => {
    const regression = task === 'regression';
    const model = `${regime}-${task}`;
    const rand = seededRandom(7);
    const learner: Learner = await buildRegimeLearner({
      regime,
      task,
      featureSpec,
      labels: regression ? [] : labels,
      hiddenUnits: [16, 8],
      // A new head on a frozen encoder has few weights to move: it takes a bigger step.
      learningRate: regime === 'transfer' || regime === 'fine-tune' ? 0.05 : 0.03,
      threshold: 0.8,
      unlabelled: Array.from({ length: 128 }, () => point(rand)),
      pretrainEpochs: 3,
      encoderDir,
    });
    await store.save(model, learner, { parent: null, regime: `${regime}-batch`, backend: 'test', examplesSeen: 0, metrics: {}, offsets: {} });
    const id = uniq();
    const topic = `test.regimes.${id}`;
    const dlq = `test.regimes.dlq.${id}`;
    await ensureTopics(kafka, [{ topic }, { topic: dlq }]);
    const events = stream(regression, 11);
    const producer = new EventProducer(kafka, topic);
    await producer.send(events);
    await producer.close();

    const stats: TrainerStats[] = [];
    learner.dispose();
    // The trainer's pipeline with one model: it loads v1 from the registry, as `streamtune learn` does.
    const ol = await startFleetLearning({
      kafka,
      defaultModel: model,
      store,
      backend: 'test',
      topics: { labelsTopic: topic, dlqTopic: dlq, groupId: `g-${id}` },
      training: trainingConfig({ maxBatchSize: 16, maxBatchWaitMs: 50, versionEverySteps: 4 }),
      onStats: (s) => stats.push(s),
    });
    await waitFor(`all ${events.length} events`, () => (ol.fleet.trainer(model)?.totals.consumed ?? 0) >= events.length, 90_000);
    const trainer = ol.fleet.trainer(model)!;
    await ol.close();

    const labelled = events.filter((e) => e.label !== null).length;
    expect(trainer.totals).toMatchObject({ consumed: events.length, learned: labelled, unlabelled: events.length - labelled, rejected: 0 });
    const latest = await store.latest(model);
    expect(latest).not.toBe('v1');
    const { learner: served, meta } = await store.load(model, latest!);
    expect(meta.regime).toBe(`${regime}-online`);
    expect(meta.className).toBe(learner.className);
    const probe = Array.from({ length: 200 }, () => point(rand));
    const preds = served.predict(probe);
    if (regression) {
      expect(preds.every((p) => Number.isFinite(p.value))).toBe(true);
      expect(stats.at(-1)!.mae).toBeGreaterThan(0);
      expect(meta.metrics.prequentialMae).toBeGreaterThan(0);
    } else {
      // The served version learned the concept from 300 labelled events (chance is about 0.5).
      const acc = preds.filter((p, i) => p.label === cls(probe[i]!)).length / probe.length;
      expect(acc).toBeGreaterThan(0.7);
      expect(stats.at(-1)!.accuracy).not.toBeNull();
    }
    if (regime === 'self-training' || regime === 'co-training') {
      // Unlabelled events were pseudo-labelled, and scored once their true labels arrived.
      expect(trainer.totals.pseudoLabelled).toBeGreaterThan(0);
      expect(trainer.pseudoLabels.checked).toBeGreaterThan(0);
      expect(meta.metrics.pseudoLabelAccuracy).toBeGreaterThan(0.5);
      expect(stats.some((s) => s.pseudoLabelAccuracy !== null && s.pseudoLabelAccuracy !== undefined)).toBe(true);
    } else expect(trainer.totals.pseudoLabelled).toBe(0);
    served.dispose();
  }, 180_000);
});
