import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferFeatureSpec, trainBase } from '../../src/app/train-base.js';
import type { LabelEvent } from '../../src/ingest/index.js';
import { audioSpec, imageSpec } from '../../src/features/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { makePng, makeWav, stripes, tone } from '../helpers/media-fixtures.js';
import { useTestBackend } from '../helpers/test-backend.js';

describe('batch training on images and audio', () => {
  let store: VersionStore;
  let dir: string;
  let before = '';
  beforeAll(async () => {
    before = await useTestBackend();
    // WASM has no Conv2D gradients: a WASM run trains this tiny CNN on the CPU backend.
    if (before === 'wasm') await tf.setBackend('cpu');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-train-media-'));
    store = new VersionStore(dir);
  });
  afterAll(async () => {
    await tf.setBackend(before);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('infers image and audio specs from the first event (given shapes win over the defaults)', () => {
    const img: LabelEvent = { id: 'i', input: { image: 'x' }, label: 'a' };
    const wav: LabelEvent = { id: 'w', input: { audio: 'x' }, label: 'a' };
    expect(inferFeatureSpec([img])).toEqual(imageSpec(32, 32, 1));
    expect(inferFeatureSpec([wav])).toEqual(audioSpec(16_000, 64, 32));
    expect(inferFeatureSpec([img], 4096, { image: imageSpec(8, 8, 3) })).toEqual(imageSpec(8, 8, 3));
  });

  it('trains a ConvClassifier on stripe images and saves it with its image spec', async () => {
    const events: LabelEvent[] = Array.from({ length: 24 }, (_, i) => ({
      id: `s${i}`,
      input: { image: makePng(16, 16, stripes(i % 2 ? 'v' : 'h', i % 4)).toString('base64') },
      label: i % 2 ? 'vertical' : 'horizontal',
    }));
    const r = await trainBase({ model: 'stripes', store, events, backend: tf.getBackend(), epochs: 10, batchSize: 8, learningRate: 0.01, media: { image: imageSpec(8, 8) } });
    expect(r.trainAccuracy).toBe(1);
    expect(r.meta.className).toBe('ConvClassifier');
    expect(r.meta.config.featureSpec).toEqual(imageSpec(8, 8));
  });

  it('refuses a non-supervised regime for audio, naming the key', async () => {
    const events: LabelEvent[] = [{ id: 'a', input: { audio: makeWav([tone(300, 8000, 0.1)], 8000).toString('base64') }, label: 'low' }, { id: 'b', input: { audio: makeWav([tone(3000, 8000, 0.1)], 8000).toString('base64') }, label: 'high' }];
    await expect(trainBase({ model: 'tones', store, events, backend: 'x', regime: 'self-training', media: { audio: audioSpec(8000, 8, 8) } })).rejects.toThrow(/training.regime.*supervised only/);
  });
});
