import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, seededRandom } from '../../src/core/index.js';
import { decodeEvent } from '../../src/ingest/index.js';
import { audioSpec, featurize, imageSpec } from '../../src/features/index.js';
import {
  colourJitter,
  decodeImage,
  decodeWav,
  downmix,
  flipHorizontal,
  frequencyMask,
  imageToTensorData,
  logMelSpectrogram,
  resample,
  timeMask,
  timeShift,
} from '../../src/features/media/index.js';
import { makeJpeg, makePng, makeWav, stripes, tone } from '../helpers/media-fixtures.js';
import { useTestBackend } from '../helpers/test-backend.js';

beforeAll(async () => {
  await useTestBackend();
});

/** The InvalidInputError `fn` throws, as `reason field`. */
function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return `${err.reason} ${err.field}`;
    throw err;
  }
  return 'accepted';
}

const b64 = (b: Buffer): string => b.toString('base64');

describe('images', () => {
  it('decodes PNG and JPEG, crops to the aspect ratio, resizes and normalises', () => {
    const png = decodeImage(makePng(40, 20, (x) => (x < 10 || x >= 30 ? 0 : 255)), 'image');
    expect([png.width, png.height]).toEqual([40, 20]);
    // The centre 20×20 square is all white: the black side bands are cropped away.
    const x = imageToTensorData(png, { width: 4, height: 4, channels: 1 }, 'image');
    expect(Math.min(...x)).toBeGreaterThan(0.95);
    const jpg = imageToTensorData(decodeImage(makeJpeg(16, 16, () => 40), 'image'), { width: 8, height: 8, channels: 3 }, 'image');
    expect(jpg).toHaveLength(192);
    for (const v of jpg) expect(Math.abs(v - 40 / 255)).toBeLessThan(0.03);
  });

  it('featurizes horizontal and vertical stripes differently, and flip is its own inverse', () => {
    const spec = imageSpec(8, 8);
    const h = featurize({ image: b64(makePng(16, 16, stripes('h'))) }, spec);
    const v = featurize({ image: b64(makePng(16, 16, stripes('v'))) }, spec);
    expect(h).toHaveLength(64);
    // Rows of horizontal stripes are constant; columns of vertical ones are.
    expect(new Set(h.slice(0, 8).map((n) => n.toFixed(3))).size).toBe(1);
    expect(new Set(v.slice(0, 8).map((n) => n.toFixed(3))).size).toBeGreaterThan(1);
    const shape = { width: 8, height: 8, channels: 1 as const };
    expect(flipHorizontal(flipHorizontal(v, shape), shape)).toEqual(v);
    expect(flipHorizontal(v, shape)).not.toEqual(v);
    const j = colourJitter(h, shape, seededRandom(3));
    expect(j).not.toEqual(h);
    for (const n of j) expect(n >= 0 && n <= 1).toBe(true);
  });

  it('rejects each corrupt or unsupported image with a precise reason naming the field', () => {
    const spec = imageSpec(8, 8);
    const good = makePng(16, 16, stripes('h'));
    const huge = Buffer.from(good);
    huge.writeUInt32BE(20_000, 16); // IHDR claims 20000×16
    huge.writeUInt32BE(20_000, 20);
    expect(rejection(() => featurize({ image: b64(good.subarray(0, good.length - 20)) }, spec))).toBe('bad_image input.image');
    expect(rejection(() => featurize({ image: b64(Buffer.from('just some text, not an image')) }, spec))).toBe('bad_image input.image');
    expect(rejection(() => featurize({ image: '***not base64***' }, spec))).toBe('bad_image input.image');
    expect(rejection(() => featurize({ image: '' }, spec))).toBe('bad_image input.image');
    expect(rejection(() => featurize({ image: b64(huge) }, spec))).toBe('too_large input.image');
    expect(rejection(() => featurize({ image: b64(Buffer.alloc(800_000, 1)) }, spec))).toBe('too_large input.image');
    expect(rejection(() => featurize({ image: b64(makePng(1, 1, () => 0)) }, spec))).toBe('wrong_dimension input.image');
    expect(rejection(() => featurize({ text: 'hello' }, spec))).toBe('wrong_kind input');
  });
});

describe('audio', () => {
  it('parses 16-bit stereo, float and 8-bit WAV, downmixes and resamples', () => {
    const left = tone(440, 22_050, 0.1);
    const stereo = decodeWav(makeWav([left, new Float32Array(left.length)], 22_050), 'audio');
    expect(stereo.sampleRate).toBe(22_050);
    expect(stereo.channels).toHaveLength(2);
    expect(stereo.channels[0]![100]).toBeCloseTo(left[100]!, 3);
    expect(downmix(stereo.channels)[100]).toBeCloseTo(left[100]! / 2, 3);
    const float = decodeWav(makeWav([left], 8000, 'float32'), 'audio');
    expect(float.channels[0]![50]).toBeCloseTo(left[50]!, 6);
    expect(decodeWav(makeWav([left], 8000, 'pcm8'), 'audio').channels[0]![50]).toBeCloseTo(left[50]!, 1);
    const down = resample(left, 22_050, 8000);
    expect(down.length).toBe(Math.round((left.length * 8000) / 22_050));
    expect(resample(down, 8000, 8000)).toBe(down);
  });

  it('puts a low tone and a high tone in different mel bands, with tf.signal.stft and the JS FFT agreeing', async () => {
    const spec = { sampleRate: 8000, frames: 16, melBins: 16 };
    const peak = (hz: number, useTf: boolean): number => {
      const s = logMelSpectrogram(tone(hz, 8000, 0.5), spec, { useTf });
      const band = Array.from({ length: 16 }, (_, m) => s.reduce((a, v, i) => a + (i % 16 === m ? v : 0), 0));
      return band.indexOf(Math.max(...band));
    };
    expect(peak(300, false)).toBeLessThan(peak(2500, false));
    // tf.signal.stft needs FFT kernels, which WASM lacks: compare on the CPU backend there.
    const before = tf.getBackend();
    if (!tf.getKernel('FFT', before)) await tf.setBackend('cpu');
    try {
      const a = logMelSpectrogram(tone(700, 8000, 0.5), spec, { useTf: true });
      const b = logMelSpectrogram(tone(700, 8000, 0.5), spec, { useTf: false });
      expect(a).toHaveLength(256);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-2);
    } finally {
      await tf.setBackend(before);
    }
  });

  it('featurizes a WAV event to frames × melBins, and augments spectrograms', () => {
    const spec = audioSpec(8000, 16, 8);
    const x = featurize({ audio: b64(makeWav([tone(500, 16_000, 0.3)], 16_000)) }, spec);
    expect(x).toHaveLength(128);
    const rand = seededRandom(1);
    const masked = timeMask(x, 16, 8, () => 0.99, 4);
    expect(masked.filter((v, i) => v !== x[i]).length).toBeGreaterThan(0);
    expect(frequencyMask(x, 16, 8, () => 0.99, 2)).not.toEqual(x);
    const shifted = timeShift(tone(500, 8000, 0.1), rand, 0.2);
    expect(shifted).toHaveLength(800);
  });

  it('rejects each corrupt or unsupported WAV with a precise reason naming the field', () => {
    const spec = audioSpec(8000, 16, 8);
    const wav = makeWav([tone(500, 8000, 0.2)], 8000);
    const adpcm = Buffer.from(wav);
    adpcm.writeUInt16LE(2, 20); // MS ADPCM
    const rate = Buffer.from(wav);
    rate.writeUInt32LE(1000, 24);
    expect(rejection(() => featurize({ audio: b64(Buffer.from('RIFF....AVI LIST')) }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: b64(makePng(4, 4, () => 0)) }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: b64(wav.subarray(0, wav.length - 100)) }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: b64(wav.subarray(0, 36)) }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: '' }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: b64(adpcm) }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: b64(rate) }, spec))).toBe('bad_audio input.audio');
    expect(rejection(() => featurize({ audio: b64(makeWav([new Float32Array(4000 * 61)], 4000, 'pcm8')) }, spec))).toBe('too_large input.audio');
  });
});

describe('label events with media', () => {
  it('accept exactly one of features, text, image or audio', () => {
    const ev = (input: object): string => JSON.stringify({ id: 'a', input, label: 'x' });
    expect(decodeEvent(ev({ image: 'iVBORw0KGgo=' })).input).toEqual({ image: 'iVBORw0KGgo=' });
    expect(decodeEvent(ev({ audio: 'UklGRg==' })).input).toEqual({ audio: 'UklGRg==' });
    expect(rejection(() => decodeEvent(ev({ image: 'aa==', audio: 'aa==' })))).toBe('schema input');
    expect(rejection(() => decodeEvent(ev({ video: 'aa==' })))).toMatch(/^schema input/);
  });
});
