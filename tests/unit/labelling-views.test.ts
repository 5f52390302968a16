import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { audioSpectrogramPng, featureImagePng, inputView, type LabelRequest } from '../../src/labelling/index.js';

const req = (input: LabelRequest['input']): LabelRequest => ({ id: 'lr/1 x', model: 'm', version: 'v1', input, predicted: 'a', scores: { a: 0.6, b: 0.4 }, uncertainty: 0.9, ts: 1 });

/** 0.5 s of 8 kHz mono 16-bit PCM: a 1 kHz tone. */
function toneWav(): Buffer {
  const sr = 8000;
  const n = sr / 2;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFFxxxxWAVEfmt ', 0, 'latin1');
  b.writeUInt32LE(36 + n * 2, 4);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(sr, 24);
  b.writeUInt32LE(sr * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(10_000 * Math.sin((2 * Math.PI * 1000 * i) / sr)), 44 + i * 2);
  return b;
}

describe('how the labelling page shows an input', () => {
  it('text, image (PNG or JPEG), audio with its spectrogram, shaped features as a picture, others as a table', () => {
    expect(inputView(req({ text: 'hello' }))).toEqual({ kind: 'text' });
    expect(inputView(req({ image: 'iVBORw0KGgoAAAA' }))).toEqual({ kind: 'image', mediaType: 'image/png' });
    expect(inputView(req({ image: '/9j/4AAQSkZJRg' }))).toEqual({ kind: 'image', mediaType: 'image/jpeg' });
    expect(inputView(req({ audio: 'UklGRg' }))).toEqual({ kind: 'audio', mediaType: 'audio/wav', spectrogram: '/api/items/lr%2F1%20x/spectrogram.png' });
    const digit = Array.from({ length: 64 }, (_, i) => i % 17);
    expect(inputView(req({ features: digit }), [8, 8])).toEqual({ kind: 'feature-image', shape: [8, 8], src: '/api/items/lr%2F1%20x/features.png' });
    expect(inputView(req({ features: digit.slice(0, 63) }), [8, 8])).toEqual({ kind: 'feature-table' });
    expect(inputView(req({ features: digit }))).toEqual({ kind: 'feature-table' });
  });

  it('draws a shaped feature vector as ink on paper, one square per value', () => {
    const values = [0, 16, 8, 4];
    const png = PNG.sync.read(featureImagePng(values, [2, 2], 10));
    expect([png.width, png.height]).toEqual([20, 20]);
    const grey = (x: number, y: number): number => png.data[(y * 20 + x) * 4]!;
    // Highest value black, lowest white, the rest between; rows first.
    expect([grey(5, 5), grey(15, 5), grey(5, 15), grey(15, 15)]).toEqual([255, 0, 128, 191]);
  });

  it('draws a spectrogram with the tone where it is, and refuses what is not audio', async () => {
    const png = PNG.sync.read(await audioSpectrogramPng(toneWav().toString('base64')));
    expect(png.width).toBeGreaterThan(600);
    // The 1 kHz tone is one bright band across the whole clip: some row of the plot is bright from left to right.
    const bright = (x: number, y: number): boolean => png.data[(y * png.width + x) * 4]! > 200 && png.data[(y * png.width + x) * 4 + 1]! > 120;
    const rows = Array.from({ length: png.height }, (_, y) => y).filter((y) => [0.2, 0.35, 0.5, 0.65].every((f) => bright(Math.round(png.width * f), y)));
    expect(rows.length).toBeGreaterThan(2);
    await expect(audioSpectrogramPng(Buffer.from('not a wav').toString('base64'))).rejects.toBeInstanceOf(InvalidInputError);
  });
});
