/**
 * Box and keypoint models learn online from a stream of labelled images, as a
 * trainer does: each event is a PNG wider than the model's square input, with
 * its labels in pixels of the whole image; it is decoded, featurized (centre
 * crop, resize), its label moved into the model's frame, scored before it is
 * learned (prequential mAP@0.5 and PCK), then learned in micro-batches.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingConfig } from '../../src/core/index.js';
import { decodeRecord, imageSpec, modelTarget, type GoodRecord } from '../../src/features/index.js';
import { BoxDetector, KeypointDetector, type Learner } from '../../src/learners/index.js';
import { PromotionGuardrail, ScoreAndLearn } from '../../src/training/index.js';
import type { VersionStore } from '../../src/registry/index.js';
import { shapePngs } from '../helpers/shape-stream.js';
import { useTestBackend } from '../helpers/test-backend.js';

/** The whole image is 40×32 pixels (`shapePngs`); a 16×16 model sees its middle 32×32, halved. */
const spec = imageSpec(16, 16);
/** 60 conv steps take about a minute on the JS CPU backend (a WASM run's stand-in for convolutions) on a loaded machine. */
const STREAM_TIMEOUT_MS = 600_000;

function decoded(events: object[], target: Parameters<typeof decodeRecord>[1]): GoodRecord[] {
  return events.map((e, i) => {
    const d = decodeRecord({ topic: 'labels', partition: 0, offset: String(i), key: null, value: Buffer.from(JSON.stringify(e)), timestamp: '0' }, target);
    if (!d.ok) throw new Error(`event ${i} rejected: ${d.reason} ${d.message}`);
    return d;
  });
}

/** Streams the events through predict-then-learn in micro-batches of 8; the prequential metric after the first 100 events and at the end. */
async function stream(learner: Learner, records: GoodRecord[], metric: (s: ScoreAndLearn) => number): Promise<{ start: number; end: number }> {
  const guardrail = new PromotionGuardrail({} as VersionStore, 'shapes', { enabled: false });
  const s = new ScoreAndLearn(trainingConfig({ accuracyWindow: 100, replayMixRatio: 0 }), guardrail);
  let start = Number.NaN;
  for (let i = 0; i < records.length; i += 8) {
    await s.run(learner, records.slice(i, i + 8));
    if (i + 8 === 104) start = metric(s);
  }
  return { start, end: metric(s) };
}

describe('box and keypoint models learning online from labelled images', () => {
  let before = '';
  beforeAll(async () => {
    await useTestBackend();
    before = tf.getBackend();
    // WASM has no Conv2D gradients: tiny images train on the CPU backend there.
    if (before === 'wasm') await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend(before);
  });

  it('moves pixel labels of the whole image into the model frame (the centre crop)', () => {
    const [img] = shapePngs(1, 3);
    const { x, y, side } = img!.square;
    const target = modelTarget({ image: img!.png }, { keypoints: [{ x, y, label: 'corner' }] }, spec);
    expect(JSON.parse(target as string)).toEqual({ keypoints: [{ x: (x - 4) / 32, y: y / 32, label: 'corner' }], units: 'relative' });
    const box = modelTarget({ image: img!.png }, { boxes: [{ x: 0, y, w: x + side, h: side, label: 'square' }] }, spec);
    // Clipped at the crop's left edge (pixel 4 of the whole image).
    expect(JSON.parse(box as string).boxes[0]).toEqual({ x: 0, y: y / 32, w: (x + side - 4) / 32, h: side / 32, label: 'square' });
  });

  it('a box detector: prequential mAP@0.5 rises well above its start over 480 images', async () => {
    const events = shapePngs(480, 1).map((d, i) => ({
      id: `b${i}`,
      input: { image: d.png },
      label: { boxes: [{ x: d.square.x, y: d.square.y, w: d.square.side, h: d.square.side, label: 'square' }] },
    }));
    const records = decoded(events, { featureSpec: spec, labels: ['square'], structured: 'boxes' });
    const learner = new BoxDetector({ featureSpec: spec, labels: ['square'], filters: [8, 16], learningRate: 0.01, seed: 1 });
    const { start, end } = await stream(learner, records, (s) => s.boxMap.value);
    learner.dispose();
    expect(start).toBeLessThan(0.5);
    expect(end).toBeGreaterThan(Math.max(0.8, start + 0.4));
  }, STREAM_TIMEOUT_MS);

  it('a keypoint detector: prequential PCK rises well above its start over 480 images', async () => {
    const events = shapePngs(480, 2).map((d, i) => ({
      id: `k${i}`,
      input: { image: d.png },
      label: {
        keypoints: [
          { x: d.square.x + d.square.side / 2, y: d.square.y + d.square.side / 2, label: 'centre' },
          { x: d.square.x, y: d.square.y, label: 'corner' },
        ],
      },
    }));
    const records = decoded(events, { featureSpec: spec, labels: ['centre', 'corner'], structured: 'keypoints' });
    const learner = new KeypointDetector({ featureSpec: spec, labels: ['centre', 'corner'], filters: [8, 16], learningRate: 0.01, seed: 1 });
    const { start, end } = await stream(learner, records, (s) => s.pck.value);
    learner.dispose();
    expect(start).toBeLessThan(0.5);
    expect(end).toBeGreaterThan(Math.max(0.8, start + 0.4));
  }, STREAM_TIMEOUT_MS);
});
